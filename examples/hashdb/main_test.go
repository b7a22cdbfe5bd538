package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// binary is the hashdb command built for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hashdb-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "hashdb")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building hashdb: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the built binary in dir with args, without $HASHSHARE_DB.
func cli(t *testing.T, dir string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HASHSHARE_DB=")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running hashdb %q: %v", args, err)
	}
	return r
}

// want fails the test unless r exited with code.
func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// lines decodes one JSON object per line of r.stdout.
func jsonLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var vs []T
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var v T
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		vs = append(vs, v)
	}
	return vs
}

var (
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

func TestHashJSON(t *testing.T) {
	m := writeMedia(t)
	// Flags after the files, with one dash: parse picks them up.
	r := cli(t, m.dir, "", "hash", m.original, m.text, m.tiny, "-json", "--dihedral").want(t, 0)
	got := jsonLines[hashJSON](t, r.stdout)
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(got), r.stdout)
	}
	img, txt, tiny := got[0], got[1], got[2]
	if img.File != m.original || txt.File != m.text || tiny.File != m.tiny {
		t.Errorf("files %q %q %q, want the paths as given", img.File, txt.File, tiny.File)
	}
	for _, c := range []struct {
		name, v string
		re      *regexp.Regexp
	}{{"pdq", img.PDQ, hex64}, {"phash", img.PHash, hex16}, {"dhash", img.DHash, hex16}, {"ahash", img.AHash, hex16},
		{"md5", img.MD5, hex32}, {"sha1", img.SHA1, hex40}, {"sha256", img.SHA256, hex64}} {
		if !c.re.MatchString(c.v) {
			t.Errorf("image %s = %q, want bare lowercase hex", c.name, c.v)
		}
	}
	if img.PDQQuality == nil || *img.PDQQuality < 50 || img.Unreliable != nil {
		t.Errorf("pdq_quality %v, unreliable %q: want a reliable PDQ for a busy image", img.PDQQuality, img.Unreliable)
	}
	if len(img.PDQDihedral) != 8 || img.PDQDihedral[0] != img.PDQ {
		t.Errorf("pdq_dihedral = %q, want 8 hashes starting with the pdq %s", img.PDQDihedral, img.PDQ)
	}
	if txt.PHash != "" || txt.DHash != "" || txt.AHash != "" {
		t.Errorf("%s has perceptual hashes: %+v", txt.File, txt)
	}
	for _, j := range []hashJSON{txt, tiny} { // PDQ needs 5 px a side
		if j.PDQ != "" || j.PDQQuality != nil || j.PDQDihedral != nil {
			t.Errorf("%s has a PDQ hash: %+v", j.File, j)
		}
		if !hex64.MatchString(j.SHA256) || !hex32.MatchString(j.MD5) {
			t.Errorf("%s lacks its digests: %+v", j.File, j)
		}
	}
	// The rotated copy's PDQ is the original's rot90 variant, within the
	// default threshold (resampling moves a few bits).
	rot := jsonLines[hashJSON](t, cli(t, m.dir, "", "hash", "--json", m.rotated).want(t, 0).stdout)[0]
	if d := hexDistance(t, rot.PDQ, img.PDQDihedral[1]); d > signal.PDQ.DefaultThreshold() {
		t.Errorf("rotated copy is %d bits from the rot90 variant", d)
	}
}

func TestHashText(t *testing.T) {
	m := writeMedia(t)
	r := cli(t, m.dir, "", "hash", m.original).want(t, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines, want one per algorithm:\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		sig, file, ok := strings.Cut(l, "\t")
		if !ok || file != m.original || !regexp.MustCompile(`^[a-z0-9]+:[0-9a-f]+$`).MatchString(sig) {
			t.Errorf("line %q, want <alg>:<hex><TAB>%s", l, m.original)
		}
	}
	// A directory is walked; stdin is "-".
	r = cli(t, m.dir, "", "hash", "--json", m.known).want(t, 0)
	if n := len(jsonLines[hashJSON](t, r.stdout)); n != 3 {
		t.Errorf("hash of a directory of 3 files printed %d lines", n)
	}
	r = cli(t, m.dir, "hello", "hash", "--json", "-").want(t, 0)
	if j := jsonLines[hashJSON](t, r.stdout); len(j) != 1 || j[0].File != "-" || j[0].MD5 != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("hash of stdin: %s", r.stdout)
	}
}

func TestHashErrors(t *testing.T) {
	m := writeMedia(t)
	// A missing file is reported, the others are still hashed, and the
	// exit status says something failed.
	r := cli(t, m.dir, "", "hash", "--json", "missing.png", m.original).want(t, 2)
	if !strings.Contains(r.stderr, "missing.png") || len(jsonLines[hashJSON](t, r.stdout)) != 1 {
		t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	// A corrupt image still gets its digests.
	bad := filepath.Join(m.dir, "bad.png")
	data, _ := os.ReadFile(m.original)
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r = cli(t, m.dir, "", "hash", "--json", bad).want(t, 2)
	if j := jsonLines[hashJSON](t, r.stdout); len(j) != 1 || j[0].SHA256 == "" || j[0].PDQ != "" {
		t.Errorf("corrupt image: %s", r.stdout)
	}
	cli(t, m.dir, "", "hash").want(t, 2)
	cli(t, m.dir, "", "hash", "--bogus", m.original).want(t, 2)
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	if r := cli(t, dir, "").want(t, 2); !strings.Contains(r.stderr, "hashdb match --db F") {
		t.Errorf("no args: %q", r.stderr)
	}
	if r := cli(t, dir, "", "help").want(t, 0); !strings.Contains(r.stdout, "hashdb export --db F --key KEYFILE") {
		t.Errorf("help: %q", r.stdout)
	}
	if r := cli(t, dir, "", "frobnicate").want(t, 2); !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command: %q", r.stderr)
	}
}

// statsOf returns the database's stats --json.
func statsOf(t *testing.T, dir, db string) statsJSON {
	t.Helper()
	return jsonLines[statsJSON](t, cli(t, dir, "", "stats", "--db", db, "--json").want(t, 0).stdout)[0]
}

func TestAddFilesStatsCheck(t *testing.T) {
	m := writeMedia(t)
	// A file that is not media is refused, not stored as an item no
	// perceptual hash can match; the images beside it are stored.
	r := cli(t, m.dir, "", "add", "--db", "strict.db", "--source", "acme", m.known).want(t, 2)
	if n := strings.Count(r.stdout, "\n"); n != 2 || !strings.Contains(r.stderr, "notes.txt") || !strings.Contains(r.stderr, "--allow-digest-only") {
		t.Errorf("add of a directory holding a text file: %d items, stderr %q", n, r.stderr)
	}
	// --db defaults to ./hashshare.db.
	r = cli(t, m.dir, "", "add", "--source", "acme", "--allow-digest-only", "--label", "entity:example", "--label", "type:image", "--tlp", "amber", m.known).want(t, 0)
	if n := strings.Count(r.stdout, "\n"); n != 3 {
		t.Errorf("add printed %d item lines, want 3:\n%s", n, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(m.dir, "hashshare.db")); err != nil {
		t.Fatal(err)
	}
	st := statsOf(t, m.dir, "hashshare.db")
	if st.Items != 3 || st.Sources["acme"] != 3 || st.Labels["entity:example"] != 3 || st.TLP["AMBER"] != 3 || st.Signals["pdq"] != 2 || st.Signals["sha256"] != 3 {
		t.Errorf("stats %+v", st)
	}
	// The item id is the file's SHA-256 unless --id; adding again changes nothing.
	sha := jsonLines[hashJSON](t, cli(t, m.dir, "", "hash", "--json", m.original).want(t, 0).stdout)[0].SHA256
	if !strings.Contains(r.stdout, sha+"\t"+m.original) {
		t.Errorf("add output lacks %s\t%s:\n%s", sha, m.original, r.stdout)
	}
	cli(t, m.dir, "", "add", "--source", "acme", "--allow-digest-only", "--label", "entity:example", "--label", "type:image", "--tlp", "amber", m.known).want(t, 0)
	cli(t, m.dir, "", "add", m.altered, "--id", "case-17", "--source", "acme").want(t, 0)
	if st2 := statsOf(t, m.dir, "hashshare.db"); st2.Items != 4 || st2.LastSeq != st.LastSeq+1 {
		t.Errorf("after re-adding and one new item: %+v", st2)
	}
	if r := cli(t, m.dir, "", "check").want(t, 0); !strings.Contains(r.stdout, "ok") {
		t.Errorf("check: %q", r.stdout)
	}
	cli(t, m.dir, "", "retract", "--source", "acme", "--id", "case-17", "--reason", "mistake").want(t, 0)
	if st3 := statsOf(t, m.dir, "hashshare.db"); st3.Items != 3 || st3.Retracted != 1 {
		t.Errorf("after retracting: %+v", st3)
	}
	if r := cli(t, m.dir, "", "stats"); r.code != 0 || !strings.Contains(r.stdout, "retracted") {
		t.Errorf("stats text: %+v", r)
	}

	// Errors: the cause on stderr, status 2.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add", m.original}, "--source is required"},
		{[]string{"add", "--source", "acme", "--label", "Bad Label", m.original}, "label"},
		{[]string{"add", "--source", "acme", "--tlp", "purple", m.original}, "TLP"},
		{[]string{"add", "--source", "acme", "--id", "x", m.original, m.other}, "exactly one file"},
		{[]string{"add", "--source", "Not/Valid", m.original}, "invalid item"},
		{[]string{"retract", "--source", "acme", "--id", "nope"}, "not found"},
		{[]string{"stats", "--db", "missing.db"}, "missing.db"},
		{[]string{"check", "--db", filepath.Join(m.known, "notes.txt")}, "not a hashshare database"},
	} {
		r := cli(t, m.dir, "", c.args...).want(t, 2)
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: stderr %q, want it to mention %q", c.args, r.stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(m.dir, "missing.db")); err == nil {
		t.Error("stats created the missing database")
	}
}

func TestAddSignals(t *testing.T) {
	dir := t.TempDir()
	pdqA := "pdq:" + strings.Repeat("f0", 32)
	pdqB := "pdq:" + strings.Repeat("0f", 32)
	md5 := "md5:d41d8cd98f00b204e9800998ecf8427e"
	good := strings.Join([]string{
		"# known signals",
		"",
		pdqA + "\tcase-1\tentity:example,type:image",
		md5 + "\tcase-1\tbehaviour:propaganda",
		pdqB,
		"PHASH:8000000000000001\t\ttype:image",
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "good.txt"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, dir, "", "add", "--db", "s.db", "--source", "acme", "--signals", "good.txt").want(t, 0)
	st := statsOf(t, dir, "s.db")
	if st.Items != 3 || st.Signals["pdq"] != 2 || st.Signals["md5"] != 1 || st.Labels["type:image"] != 2 || st.Labels["behaviour:propaganda"] != 1 {
		t.Errorf("stats %+v", st)
	}
	// From stdin, with a default label.
	cli(t, dir, "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709\n", "add", "--db", "s.db", "--source", "acme", "--label", "x", "--signals", "-").want(t, 0)
	if st := statsOf(t, dir, "s.db"); st.Items != 4 || st.Labels["x"] != 1 {
		t.Errorf("after stdin: %+v", st)
	}
	// A bad line names its file and line, and nothing is stored.
	for _, c := range []struct{ text, want string }{
		{pdqA + "\n\n" + "pdq:1234\n", "bad.txt:3:"},
		{"# c\n" + strings.Repeat("f0", 32) + "\n", "bad.txt:2: signal \"f0f0"},
		{pdqA + "\tid\tBad Label\n", "bad.txt:1:"},
		{pdqA + "\tid\tl\textra\n", "bad.txt:1: 4 tab-separated fields"},
		{"nope:00\n", "bad.txt:1:"},
	} {
		if err := os.WriteFile(filepath.Join(dir, "bad.txt"), []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		r := cli(t, dir, "", "add", "--db", "s.db", "--source", "other", "--signals", "bad.txt").want(t, 2)
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: stderr %q, want %q", c.text, r.stderr, c.want)
		}
	}
	if st := statsOf(t, dir, "s.db"); st.Sources["other"] != 0 {
		t.Errorf("a bad file stored items: %+v", st)
	}
	// A whole add is all or nothing: an item the database refuses late in
	// a large file (here one of more signals than it allows) stores none
	// of the thousands before it.
	var big strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&big, "pdq:%064x\titem-%d\n", i+1, i)
	}
	for i := range 70 {
		fmt.Fprintf(&big, "md5:%032x\tlast\n", i+1)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(big.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	before := statsOf(t, dir, "s.db")
	r := cli(t, dir, "", "add", "--db", "s.db", "--source", "acme", "--signals", "big.txt").want(t, 2)
	if !strings.Contains(r.stderr, "all or nothing") {
		t.Errorf("a failed add: stderr %q", r.stderr)
	}
	if after := statsOf(t, dir, "s.db"); after.Items != before.Items || after.LastSeq != before.LastSeq {
		t.Errorf("a failed add stored items: %+v, before %+v", after, before)
	}
	cli(t, dir, "", "add", "--db", "s.db", "--source", "acme", "--signals", "missing.txt").want(t, 2)
}

func TestExchange(t *testing.T) {
	m := writeMedia(t)
	dir := m.dir
	// acme makes a key and adds items; partner trusts acme's key.
	r := cli(t, dir, "", "keygen", "--out", "acme.key", "--org", "acme").want(t, 0)
	pub := regexp.MustCompile(`public key: ([0-9a-f]{64})`).FindStringSubmatch(r.stdout)
	kid := regexp.MustCompile(`key id: ([0-9a-f]{16})`).FindStringSubmatch(r.stdout)
	if pub == nil || kid == nil {
		t.Fatalf("keygen printed %q", r.stdout)
	}
	if fi, err := os.Stat(filepath.Join(dir, "acme.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	cli(t, dir, "", "keygen", "--out", "acme.key").want(t, 2) // never overwritten
	cli(t, dir, "", "add", "--db", "acme.db", "--source", "acme", "--allow-digest-only", "--label", "entity:example", m.known).want(t, 0)
	cli(t, dir, "", "peer", "add", "--db", "partner.db", "--id", "acme", "--key", pub[1]).want(t, 0)
	if r := cli(t, dir, "", "peer", "list", "--db", "partner.db", "--json").want(t, 0); !strings.Contains(r.stdout, kid[1]) {
		t.Errorf("peer list lacks the key id %s: %s", kid[1], r.stdout)
	}

	// First export: everything so far; the partner imports it.
	// What a killed export left is replaced, not left to pile up.
	partial := filepath.Join(dir, ".b1.bundle.partial")
	if err := os.WriteFile(partial, []byte("left by a kill"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, dir, "", "export", "--db", "acme.db", "--key", "acme.key", "--out", "b1.bundle").want(t, 0)
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("the partial export survived: %v", err)
	}
	r = cli(t, dir, "", "import", "--db", "partner.db", "b1.bundle").want(t, 0)
	if !strings.Contains(r.stdout, "from acme") {
		t.Errorf("import: %q", r.stdout)
	}
	if st := statsOf(t, dir, "partner.db"); st.Items != 3 || st.Sources["acme"] != 3 {
		t.Errorf("partner after b1: %+v", st)
	}
	// Importing it again changes nothing.
	if r := cli(t, dir, "", "import", "--db", "partner.db", "b1.bundle").want(t, 0); !strings.Contains(r.stdout, "already imported") {
		t.Errorf("re-import: %q", r.stdout)
	}

	// A delta with neither --since nor --full: only what changed since b1.
	cli(t, dir, "", "add", "--db", "acme.db", "--source", "acme", m.unrelated).want(t, 0)
	cli(t, dir, "", "retract", "--db", "acme.db", "--source", "acme", "--id", jsonLines[hashJSON](t, cli(t, dir, "", "hash", "--json", m.text).stdout)[0].SHA256).want(t, 0)
	cli(t, dir, "", "export", "--db", "acme.db", "--key", "acme.key", "--out", "b2.bundle").want(t, 0)
	r = cli(t, dir, "", "import", "--db", "partner.db", "b2.bundle").want(t, 0)
	if !strings.Contains(r.stdout, ": 2 entries") {
		t.Errorf("delta import: %q", r.stdout)
	}
	if st := statsOf(t, dir, "partner.db"); st.Items != 3 || st.Retracted != 1 {
		t.Errorf("partner after b2: %+v", st)
	}
	cli(t, dir, "", "check", "--db", "partner.db").want(t, 0)

	// A full bundle, and one resent --since; the key's organisation is
	// taken from the file, or guessed when the file names none.
	cli(t, dir, "", "export", "--db", "acme.db", "--key", "acme.key", "--full", "--out", "b3.bundle").want(t, 0)
	cli(t, dir, "", "import", "--db", "partner.db", "b3.bundle").want(t, 0)
	cli(t, dir, "", "keygen", "--out", "anon.key").want(t, 0)
	cli(t, dir, "", "export", "--db", "acme.db", "--key", "anon.key", "--since", "1", "--out", "b4.bundle").want(t, 0)

	// Errors: an unknown producer, a tampered bundle, a bad key.
	r = cli(t, dir, "", "import", "--db", "stranger.db", "b1.bundle").want(t, 2)
	if !strings.Contains(r.stderr, "peer add") {
		t.Errorf("unknown peer: %q", r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "b2.bundle"))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(filepath.Join(dir, "bad.bundle"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, dir, "", "import", "--db", "partner.db", "bad.bundle").want(t, 2)
	cli(t, dir, "", "peer", "add", "--db", "partner.db", "--id", "x", "--key", "abcd").want(t, 2)
	cli(t, dir, "", "export", "--db", "acme.db", "--key", "acme.db", "--out", "b5.bundle").want(t, 2)
	cli(t, dir, "", "export", "--db", "acme.db", "--key", "acme.key", "--full", "--since", "1", "--out", "b5.bundle").want(t, 2)
	if _, err := os.Stat(filepath.Join(dir, "b5.bundle")); err == nil {
		t.Error("a failed export left a bundle")
	}
}

// hexDistance is the Hamming distance between two PDQ hex strings.
func hexDistance(t *testing.T, a, b string) int {
	t.Helper()
	sa, err := signal.ParseHex(signal.PDQ, a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := signal.ParseHex(signal.PDQ, b)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sa.Distance(sb)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
