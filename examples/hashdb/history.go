package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/hashshare/hashshare/hashdb"
)

// historyJSON is one line of "history --json": a change to the item, or
// to an opinion on it.
type historyJSON struct {
	Seq     uint64       `json:"seq"`
	Time    string       `json:"time"`
	Kind    string       `json:"kind"`
	Actor   string       `json:"actor"`
	Reason  string       `json:"reason,omitempty"`
	Opinion *opinionJSON `json:"opinion,omitempty"`
}

type opinionJSON struct {
	Org     string `json:"org"`
	Verdict string `json:"verdict"`
	Actor   string `json:"actor,omitempty"`
	Time    string `json:"time"`
	Reason  string `json:"reason,omitempty"`
}

func runHistory(e *env, args []string) int {
	fs := e.flags(usageOf("history"))
	dbPath := dbFlag(fs)
	source := fs.String("source", "", "the item's `org`anisation")
	id := fs.String("id", "", "the item's `id`")
	asJSON := fs.Bool("json", false, "print one JSON object per change")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *source == "" || *id == "" || len(rest) > 0 {
		return e.usageError(fs, "want --source ORG and --id ID")
	}
	db, err := openDB(*dbPath, "", true)
	if err != nil {
		return e.fail(err)
	}
	hist, err := db.History(hashdb.Key{Source: *source, ID: *id})
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	out := bufio.NewWriter(e.stdout)
	enc := json.NewEncoder(out)
	for _, c := range hist {
		j := historyJSON{Seq: c.Seq, Time: c.Time.UTC().Format(time.RFC3339Nano), Kind: c.Kind.String(), Actor: c.Actor, Reason: c.Reason}
		if c.Kind == hashdb.KindOpinion {
			op := c.Opinion
			j.Opinion = &opinionJSON{Org: op.Org, Verdict: op.Verdict.String(), Actor: op.Actor, Time: rfc3339(op.Time), Reason: op.Reason}
		}
		if *asJSON {
			err = enc.Encode(j)
		} else {
			_, err = fmt.Fprintf(out, "%d\t%s\t%s\t%s\t%s\n", j.Seq, j.Time, j.Kind, orDash(j.Actor), orDash(changeReason(&c)))
		}
		if err != nil {
			return closeDB(e, db, e.fail(err))
		}
	}
	if err := out.Flush(); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

// changeReason is the text form's reason column: a retraction's reason;
// for an opinion, whose it is and the verdict, then its reason.
func changeReason(c *hashdb.Change) string {
	if c.Kind != hashdb.KindOpinion {
		return c.Reason
	}
	s := c.Opinion.Org + " " + c.Opinion.Verdict.String()
	if c.Opinion.Reason != "" {
		s += ": " + c.Opinion.Reason
	}
	return s
}

// orDash keeps an empty column visible in tab-separated text, and a tab
// or line break in free text from splitting it.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
