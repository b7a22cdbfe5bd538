package main

import (
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func runRetract(e *env, args []string) int {
	fs := e.flags(usageOf("retract"))
	dbPath := dbFlag(fs)
	source := fs.String("source", "", "the item's `org`anisation")
	id := fs.String("id", "", "the item's `id`")
	reason := fs.String("reason", "", "why the item is withdrawn")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *source == "" || *id == "" || len(rest) > 0 {
		return e.usageError(fs, "want --source ORG and --id ID")
	}
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	if err := db.Retract(e.ctx, hashdb.Key{Source: *source, ID: *id}, *reason); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

// statsJSON is "stats --json": hashdb.Stats with names for keys.
type statsJSON struct {
	Items     int            `json:"items"`
	Retracted int            `json:"retracted"`
	Signals   map[string]int `json:"signals"`
	Sources   map[string]int `json:"sources"`
	Labels    map[string]int `json:"labels"`
	TLP       map[string]int `json:"tlp"`
	Opinions  int            `json:"opinions"`
	Peers     int            `json:"peers"`
	LastSeq   uint64         `json:"last_seq"`
	FileSize  int64          `json:"file_size"`
}

func runStats(e *env, args []string) int {
	fs := e.flags(usageOf("stats"))
	dbPath := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print the counts as one JSON object")
	db, code := e.openFlagsOnly(fs, dbPath, args)
	if db == nil {
		return code
	}
	st, err := db.Stats()
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	j := statsJSON{Items: st.Items, Retracted: st.Retracted, Signals: map[string]int{}, Sources: st.Sources,
		Labels: st.Labels, TLP: map[string]int{}, Opinions: st.Opinions, Peers: st.Peers, LastSeq: st.LastSeq, FileSize: st.FileSize}
	for a, n := range st.Signals {
		j.Signals[a.String()] = n
	}
	for t, n := range st.TLP {
		j.TLP[t.String()] = n
	}
	if j.Sources == nil {
		j.Sources = map[string]int{}
	}
	if j.Labels == nil {
		j.Labels = map[string]int{}
	}
	if *asJSON {
		return closeDB(e, db, encodeJSON(e, j))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\t%d bytes\n", *dbPath, st.FileSize)
	fmt.Fprintf(tw, "items\t%d\t(%d retracted)\n", st.Items, st.Retracted)
	for _, a := range signal.Algorithms() {
		if n := st.Signals[a]; n > 0 {
			fmt.Fprintf(tw, "signals\t%s\t%d\n", a, n)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(st.Sources)) {
		fmt.Fprintf(tw, "source\t%s\t%d\n", k, st.Sources[k])
	}
	for t := tlp.Clear; t <= tlp.Red; t++ {
		if n := st.TLP[t]; n > 0 {
			fmt.Fprintf(tw, "tlp\t%s\t%d\n", t, n)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(st.Labels)) {
		fmt.Fprintf(tw, "label\t%s\t%d\n", k, st.Labels[k])
	}
	fmt.Fprintf(tw, "opinions\t%d\n", st.Opinions)
	fmt.Fprintf(tw, "peers\t%d\n", st.Peers)
	fmt.Fprintf(tw, "last change\t%d\n", st.LastSeq)
	if err := tw.Flush(); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

// runCheck exits 0 for a healthy database, 1 when Check found problems
// (each printed), 2 when it could not check.
func runCheck(e *env, args []string) int {
	fs := e.flags(usageOf("check"))
	dbPath := dbFlag(fs)
	db, code := e.openFlagsOnly(fs, dbPath, args)
	if db == nil {
		return code
	}
	problems, err := db.Check(e.ctx)
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "%s: %s: %d problems\n", e.name, *dbPath, len(problems))
		return closeDB(e, db, exitNoMatch)
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", *dbPath)
	return closeDB(e, db, exitOK)
}
