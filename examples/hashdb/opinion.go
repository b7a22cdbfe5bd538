package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
)

// parseVerdict reads a verdict by the name Verdict.String gives it.
func parseVerdict(s string) (hashdb.Verdict, error) {
	for v := hashdb.Confirmed; v.Valid(); v++ {
		if strings.EqualFold(s, v.String()) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("verdict %q: want confirmed, disputed or false-positive", s)
}

func runOpinion(e *env, args []string) int {
	fs := e.flags(usageOf("opinion"))
	dbPath := dbFlag(fs)
	source := fs.String("source", "", "the item's `org`anisation")
	id := fs.String("id", "", "the item's `id`")
	verdict := fs.String("verdict", "", "the `verdict`: confirmed, disputed or false-positive (which stops the item matching here)")
	reason := fs.String("reason", "", "why")
	org := fs.String("org", "", "the local `organisation` whose opinion it is (default: the one the database records; recorded in it if none)")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *source == "" || *id == "" || *verdict == "" || len(rest) > 0 {
		return e.usageError(fs, "want --source ORG, --id ID and --verdict VERDICT")
	}
	v, err := parseVerdict(*verdict)
	if err != nil {
		return e.usageError(fs, "%v", err)
	}
	db, err := openDB(*dbPath, *org, false)
	if err != nil {
		return e.fail(err)
	}
	if db.Organization() == "" {
		return closeDB(e, db, e.errorf("whose opinion? the database records no organisation: name it with --org ORG"))
	}
	key := hashdb.Key{Source: *source, ID: *id}
	// SetOpinion takes an opinion on an item not stored yet, for a
	// partner's item still to come; from the command line a missing item
	// is far likelier a mistyped id.
	if _, err := db.Get(key); err != nil {
		if errors.Is(err, hashdb.ErrNotFound) {
			return closeDB(e, db, e.errorf("no item %s", key))
		}
		return closeDB(e, db, e.fail(err))
	}
	if err := db.SetOpinion(e.ctx, hashdb.Opinion{Key: key, Verdict: v, Reason: *reason}); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}
