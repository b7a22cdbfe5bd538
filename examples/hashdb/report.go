package main

import (
	"fmt"

	"github.com/hashshare/hashshare/hashdb/feeds"
)

func runReport(e *env, args []string) int {
	fs := e.flags(usageOf("report"))
	dbPath := dbFlag(fs)
	ff := addFeedFlags(fs)
	source := fs.String("source", "", "the `org`anisation the items were fetched under (default: the sources the API was fetched under)")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if len(rest) > 0 {
		return e.usageError(fs, "unexpected arguments %q", rest)
	}
	f, err := ff.newFeed(false)
	if err != nil {
		return e.usageError(fs, "%v", err)
	}
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	if db.Organization() == "" {
		return closeDB(e, db, e.errorf("whose opinions? %s records no organisation (set one with opinion --org ORG)", *dbPath))
	}
	sum, err := feeds.Report(e.ctx, db, f, &feeds.ReportOptions{Source: *source})
	if err != nil {
		if sum.Sent > 0 {
			e.warnf("before the error: sent %d opinions (they will not be sent again)", sum.Sent)
		}
		return closeDB(e, db, e.fail(err))
	}
	fmt.Fprintf(e.stderr, "%s: sent %d opinions of %s to %s", e.name, sum.Sent, db.Organization(), f.API())
	if sum.Missing > 0 {
		fmt.Fprintf(e.stderr, "; %d on items no longer stored, not sent", sum.Missing)
	}
	fmt.Fprintln(e.stderr)
	return closeDB(e, db, exitOK)
}
