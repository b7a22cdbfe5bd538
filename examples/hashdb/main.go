// Command hashdb is hashshare's command-line tool: it hashes media, keeps a
// database of known signals, matches media and signals against it, and
// exchanges signed bundles with partner organisations.
//
// Its command forms and its --json output are a stable interface that
// scripts drive; run "hashdb help" for the forms. Exit status is 0 on
// success, 2 on error, and for "match" (like grep) 0 when something
// matched, 1 when nothing did, 2 on error.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
