package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	ossignal "os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// Exit statuses, as grep has them: match uses all three, the other
// commands exitOK and exitError.
const (
	exitOK      = 0
	exitNoMatch = 1
	exitError   = 2
)

// env is what a command runs with: the streams run was given and a context
// that ends on an interrupt.
type env struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	name           string // the command, for messages: "hashdb add"
}

// A command is one of hashdb's sub-commands.
type command struct {
	name  string
	usage string // the forms, one per line, without the leading "hashdb "
	run   func(e *env, args []string) int
}

var commands []command

func init() {
	commands = []command{
		{"hash", "hash [--json] [--dihedral] [--every SECONDS] [--tmk] FILE|DIR...\n" +
			"hash --vpdq-file [--every SECONDS] VIDEO", runHash},
		{"add", "add --db F --source ORG [--foreign] [--allow-digest-only] [--label L]... [--tlp LEVEL] [--id ID] [--note TEXT] [--tmk] FILE|DIR...\n" +
			"add --db F --source ORG [--foreign] [--label L]... [--tlp LEVEL] --signals FILE|-\n" +
			"add --db F --source ORG [--foreign] [--label L]... [--tlp LEVEL] --id ID [--note TEXT] --vpdq FILE\n" +
			"add --db F --source ORG [--foreign] [--label L]... [--tlp LEVEL] --id ID [--note TEXT] [--vpdq FILE] --tmk-file FILE", runAdd},
		{"match", "match --db F [--json] [--threshold ALG=N]... [--include-unreliable] [--tmk] FILE|DIR...\n" +
			"match --db F [--json|--all] --tmk [--tmk-level1 S] [--tmk-level2 S] FILE|DIR...\n" +
			"match --db F [--json] [--threshold ALG=N]... [--include-unreliable] --signals FILE|-\n" +
			"match --db F --all [--threshold ALG=N]... [--include-unreliable] FILE|DIR...|--signals FILE|-\n" +
			"match --db F [--json|--all] [--vpdq-rule pytx|cpp] [--query-percent P] [--compared-percent P] --vpdq FILE\n" +
			"match --db F [--json|--all] [--tmk-level1 S] [--tmk-level2 S] --tmk-file FILE", runMatch},
		{"keygen", "keygen --out KEYFILE [--org ORG]", runKeygen},
		{"peer", "peer add --db F --id ORG --key PUBKEY [--key-id ID] [--name NAME] [--accept LEVEL] [--share LEVEL]\n" +
			"peer list --db F [--json]\n" +
			"peer remove --db F --id ORG", runPeer},
		{"export", "export --db F --key KEYFILE [--org ORG] [--since N] [--full] [--gzip] --out BUNDLE", runExport},
		{"import", "import --db F [--org ORG] BUNDLE", runImport},
		{"publish", "publish --db F --key KEYFILE --to URL [--full-every N] [--keep N] [--nats URL] [--json]", runPublish},
		{"follow", "follow --db F --from URL --peer ORG [--once | --interval D] [--nats URL] [--json]", runFollow},
		{"retract", "retract --db F --source ORG --id ID [--reason TEXT]", runRetract},
		{"ingest", "ingest --db F --format FORMAT [--source ORG] [--tlp LEVEL] [--label L]... [--json] FILE|-", runIngest},
		{"fetch", "fetch --db F --api threatexchange|tcap|ncmec|stopncii --credentials FILE [--collab ID] [--base-url URL] [--source ORG] [--since TIME] [--json]\n" +
			"fetch --db F --status [--json]", runFetch},
		{"report", "report --db F --api NAME --credentials FILE [--base-url URL]", runReport},
		{"dump", "dump --db F [--format jsonl|pytx|pytx-csv|pdq] [--source ORG] [--retracted]", runDump},
		{"opinion", "opinion --db F --source S --id ID --verdict confirmed|disputed|false-positive [--reason TEXT] [--org ORG]", runOpinion},
		{"history", "history --db F --source S --id ID [--json]", runHistory},
		{"stats", "stats --db F [--json]", runStats},
		{"check", "check --db F", runCheck},
	}
}

const usageText = `hashdb hashes media, keeps a database of known signals, matches against it
and exchanges signed bundles with partner organisations.

Usage:
%s
  hashdb help

--db defaults to $HASHSHARE_DB, then ./hashshare.db. Flags may come before or
after the other arguments, with one dash or two.

Signals are written <alg>:<hex> (pdq, phash, dhash, ahash, md5, sha1,
sha256). A --signals file has one signal a line:
  <alg>:<hex>[<TAB>item-id][<TAB>label,label...]
blank lines and lines starting with # are skipped; an item id left out is the
signal itself; lines with the same item id make one item.

match prints, for each query that matched, one line with its nearest match:
  <query>: <source>/<id> <alg> distance <n>[ <transform>][ labels L,...][ opinions ORG VERDICT,...][ (+K more)]
--all prints every match instead, one tab-separated line per matching item:
  <query><TAB><alg>:<hex><TAB><distance>[ (<transform>)]<TAB><source>/<id><TAB><labels>

ingest reads a hash list in FORMAT: pytx (python-threatexchange's local_file
and "tx dataset -P" lines), pytx-csv ("tx dataset -P --csv"), threatexchange,
tcap, ncmec, stopncii (the exchanges' API answers, saved), pdq (the PDQ tools'
lists), or auto. Records it cannot use are skipped and counted; deletions
retract. --source defaults to the exchange (threatexchange, tcap, ncmec,
stopncii) or, for pytx and pdq files, the database's organisation; --tlp to
AMBER. dump writes items in the order they were first stored, so a list
ingested and dumped in its format comes back as it was.

fetch follows a live exchange page by page, each page stored with its
checkpoint, so an interrupted fetch goes on where it stopped; --credentials is
a JSON file: {"access_token"} for threatexchange, {"username", "password"} for
tcap, {"username", "password", "environment"} for ncmec, {"subscription_key",
"fetch_function_key"} for stopncii; --ca FILE trusts a private CA. report
sends the local organisation's opinions on fetched items back, each once.

Exit status: 0 on success, 2 on error; match exits 0 when something
matched, 1 when nothing did, 2 on error.
`

func usage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands {
		for _, l := range strings.Split(c.usage, "\n") {
			b.WriteString("  hashdb " + l + "\n")
		}
	}
	fmt.Fprintf(w, usageText, strings.TrimSuffix(b.String(), "\n"))
}

// run runs hashdb with the given arguments and returns its exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitError
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		ctx, stop := ossignal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, name: "hashdb " + c.name}
		return c.run(e, args[1:])
	}
	fmt.Fprintf(stderr, "hashdb: unknown command %q; run 'hashdb help' for usage\n", args[0])
	return exitError
}

// errorf reports an error on stderr and returns exitError.
func (e *env) errorf(format string, a ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name, fmt.Sprintf(format, a...))
	return exitError
}

// fail reports err and returns exitError.
func (e *env) fail(err error) int {
	return e.errorf("%v", err)
}

// warnf reports a problem that does not stop the command.
func (e *env) warnf(format string, a ...any) {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name, fmt.Sprintf(format, a...))
}

// flags returns a flag set for the command whose usage is form.
func (e *env) flags(form string) *flag.FlagSet {
	fs := flag.NewFlagSet(e.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		for _, l := range strings.Split(form, "\n") {
			fmt.Fprintf(e.stderr, "usage: hashdb %s\n", l)
		}
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs, letting flags come after positional
// arguments: the flag package stops at the first non-flag, so parse picks
// it off and goes on. Everything after "--" is positional.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a wrong invocation and returns exitError.
func (e *env) usageError(fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name, fmt.Sprintf(format, a...))
	fs.Usage()
	return exitError
}

// dbFlag adds the --db flag, whose default is $HASHSHARE_DB, then
// ./hashshare.db.
func dbFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("HASHSHARE_DB")
	if def == "" {
		def = "hashshare.db"
	}
	return fs.String("db", def, "database `file` ($HASHSHARE_DB, else ./hashshare.db)")
}

// openDB opens the database at path. A read-only open requires the file to
// exist, so that a mistyped path is an error rather than an empty database.
func openDB(path, org string, readOnly bool) (*hashdb.DB, error) {
	opts := hashdb.DefaultOptions()
	opts.ReadOnly = readOnly
	opts.Organization = org
	opts.Timeout = 10 * time.Second
	if readOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	db, err := hashdb.Open(path, opts)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// closeDB closes db, turning a failure into the command's error when it
// had none.
func closeDB(e *env, db *hashdb.DB, status int) int {
	if err := db.Close(); err != nil && !errors.Is(err, hashdb.ErrClosed) {
		return e.fail(err)
	}
	return status
}

// strings is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// thresholds is the repeatable --threshold ALG=N flag.
type thresholds map[signal.Algorithm]int

func (t thresholds) String() string {
	var parts []string
	for _, a := range signal.Algorithms() {
		if n, ok := t[a]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", a, n))
		}
	}
	return strings.Join(parts, ",")
}

func (t thresholds) Set(s string) error {
	name, num, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want ALG=N, such as pdq=31, not %q", s)
	}
	a, err := signal.ParseAlgorithm(name)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 || n > a.Bits() {
		return fmt.Errorf("threshold for %s must be a whole number from 0 to %d, not %q", a, a.Bits(), num)
	}
	t[a] = n
	return nil
}

// tlpFlag is a flag holding a sharing level.
type tlpFlag struct{ t *tlp.Level }

func (f tlpFlag) String() string {
	if f.t == nil || *f.t == 0 {
		return ""
	}
	return f.t.String()
}

func (f tlpFlag) Set(s string) error {
	t, err := tlp.Parse(s)
	if err != nil {
		return err
	}
	*f.t = t
	return nil
}

// openFlagsOnly parses args for a command that takes flags only, and opens
// the database *dbPath names read-only. It returns the database, or nil
// and the exit code the command returns.
func (e *env) openFlagsOnly(fs *flag.FlagSet, dbPath *string, args []string) (*hashdb.DB, int) {
	rest, err := parse(fs, args)
	if err != nil {
		return nil, exitError
	}
	if len(rest) > 0 {
		return nil, e.usageError(fs, "unexpected arguments %q", rest)
	}
	db, err := openDB(*dbPath, "", true)
	if err != nil {
		return nil, e.fail(err)
	}
	return db, exitOK
}
