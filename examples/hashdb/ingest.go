package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// ingestJSON is "ingest --json": lists.Summary under stable names.
// Skipped is always present, {} when nothing was.
type ingestJSON struct {
	Format    string         `json:"format"`
	Items     int            `json:"items"`
	Signals   int            `json:"signals"`
	Retracted int            `json:"retracted"`
	Opinions  int            `json:"opinions"`
	Skipped   map[string]int `json:"skipped"`
}

func runIngest(e *env, args []string) int {
	fs := e.flags(usageOf("ingest"))
	dbPath := dbFlag(fs)
	format := fs.String("format", "", "the list's `format`: pytx, pytx-csv, threatexchange, tcap, ncmec, stopncii, pdq, or auto to tell from the content (required)")
	source := fs.String("source", "", "the `org`anisation whose list it is, for records that name none (default: the format's: threatexchange, tcap, ncmec, stopncii; the database's organisation for pytx and pdq)")
	var level tlp.Level
	fs.Var(tlpFlag{&level}, "tlp", "sharing `level` of items the list gives none (default AMBER)")
	var labels stringList
	fs.Var(&labels, "label", "a `label` for every item (repeatable)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	files, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	switch {
	case *format == "":
		return e.usageError(fs, "--format is required")
	case len(files) != 1:
		return e.usageError(fs, "want one list FILE (- for stdin)")
	}
	f, err := lists.ParseFormat(*format)
	if err != nil {
		return e.usageError(fs, "%v", err)
	}
	for _, l := range labels {
		if err := hashdb.ValidateLabel(l); err != nil {
			return e.usageError(fs, "%v", err)
		}
	}
	name := files[0]
	var in io.Reader = e.stdin
	var size int64 = -1
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return e.fail(err)
		}
		defer file.Close()
		if fi, err := file.Stat(); err == nil {
			size = fi.Size()
		}
		in = file
	}
	b := newBar(e, size, true, "ingesting "+name)
	r, err := lists.NewReader(reader{in, b}, f, nil)
	if err != nil {
		b.done()
		return e.fail(fmt.Errorf("%s: %w", name, err))
	}
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		b.done()
		return e.fail(err)
	}
	sum, err := lists.Ingest(e.ctx, db, r, &lists.IngestOptions{Source: *source, TLP: level, Labels: labels})
	b.done()
	if errors.Is(err, lists.ErrNoSource) {
		return closeDB(e, db, e.errorf("%s: whose list is it? %s files name no organisation, and %s records none: name it with --source ORG", name, sum.Format, *dbPath))
	}
	if err != nil {
		if sum.Items+sum.Retracted+sum.Opinions > 0 {
			e.warnf("before the error: %s", summaryText(name, &sum))
		}
		return closeDB(e, db, e.fail(fmt.Errorf("%s: %w", name, err)))
	}
	if *asJSON {
		return closeDB(e, db, encodeJSON(e, ingestJSON{Format: string(sum.Format), Items: sum.Items, Signals: sum.Signals,
			Retracted: sum.Retracted, Opinions: sum.Opinions, Skipped: sum.Skipped}))
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name, summaryText(name, &sum))
	return closeDB(e, db, exitOK)
}

// summaryText describes what an ingest did, with the first record skipped
// for each reason, so that a bad list can be fixed where it is wrong.
func summaryText(name string, sum *lists.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): stored %d items with %d signals, retracted %d, recorded %d opinions", name, sum.Format, sum.Items, sum.Signals, sum.Retracted, sum.Opinions)
	n := 0
	for _, k := range sum.Skipped {
		n += k
	}
	if n == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "; skipped %d:", n)
	for _, reason := range slices.Sorted(maps.Keys(sum.Skipped)) {
		fmt.Fprintf(&b, "\n  %d %s", sum.Skipped[reason], reason)
		if ex := sum.Examples[reason]; ex != "" && ex != reason {
			fmt.Fprintf(&b, " (first: %s)", ex)
		}
	}
	return b.String()
}
