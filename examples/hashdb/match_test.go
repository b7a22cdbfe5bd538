package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/media"
)

func TestMatch(t *testing.T) {
	m := writeMedia(t)
	dir := m.dir
	cli(t, dir, "", "add", "--db", "m.db", "--source", "acme", "--allow-digest-only", "--label", "entity:example", m.known).want(t, 0)
	known := jsonLines[hashJSON](t, cli(t, dir, "", "hash", "--json", m.original).want(t, 0).stdout)[0]

	// The altered copy matches the original through its perceptual hashes.
	r := cli(t, dir, "", "match", m.altered, "--db", "m.db", "--json").want(t, 0)
	got := jsonLines[matchLine](t, r.stdout)
	if len(got) != 1 || got[0].Query != m.altered || len(got[0].Matches) == 0 {
		t.Fatalf("altered copy: %s", r.stdout)
	}
	var pdq *matchHit
	for i, h := range got[0].Matches {
		if strings.HasPrefix(h.Signal, "pdq:") {
			pdq = &got[0].Matches[i]
		}
	}
	if pdq == nil || pdq.Signal != "pdq:"+known.PDQ || pdq.Distance == 0 || pdq.Distance > 31 ||
		len(pdq.Items) != 1 || pdq.Items[0].Source != "acme" || pdq.Items[0].ID != known.SHA256 ||
		strings.Join(pdq.Items[0].Labels, ",") != "entity:example" {
		t.Errorf("altered copy's PDQ match: %+v", pdq)
	}
	// The original matches itself exactly, digests included.
	r = cli(t, dir, "", "match", "--db", "m.db", "--json", m.original).want(t, 0)
	if !strings.Contains(r.stdout, `"signal":"sha256:`+known.SHA256+`","distance":0`) {
		t.Errorf("original: %s", r.stdout)
	}
	// The rotated copy matches through PDQ's dihedral variants.
	r = cli(t, dir, "", "match", "--db", "m.db", "--json", m.rotated).want(t, 0)
	if !strings.Contains(r.stdout, `"signal":"pdq:`+known.PDQ) {
		t.Errorf("rotated copy: %s", r.stdout)
	}
	// Nothing matches the unrelated image: exit 1, and a line with no matches.
	r = cli(t, dir, "", "match", "--db", "m.db", "--json", m.unrelated).want(t, 1)
	if got := jsonLines[matchLine](t, r.stdout); len(got) != 1 || len(got[0].Matches) != 0 {
		t.Errorf("unrelated: %s", r.stdout)
	}
	if r := cli(t, dir, "", "match", "--db", "m.db", m.unrelated).want(t, 1); r.stdout != "" {
		t.Errorf("text form printed %q for no match", r.stdout)
	}
	// Thresholds of 0 leave only exact matches: none for PDQ, whose 256
	// bits always move under a re-encode, while the coarse 64-bit hashes
	// may well come out identical.
	r = cli(t, dir, "", "match", "--db", "m.db", "--json", "--threshold", "pdq=0", "--threshold", "phash=0", "--threshold", "dhash=0", "--threshold", "ahash=0", m.altered)
	if r.code > 1 || regexp.MustCompile(`"distance":[1-9]|"signal":"pdq:`).MatchString(r.stdout) {
		t.Errorf("thresholds 0: exit %d, %s", r.code, r.stdout)
	}
	// A directory: one line per file, in any order.
	r = cli(t, dir, "", "match", "--db", "m.db", "--json", filepath.Dir(m.altered)).want(t, 0)
	if n := len(jsonLines[matchLine](t, r.stdout)); n != 4 {
		t.Errorf("directory: %d lines, want 4:\n%s", n, r.stdout)
	}
	// --all text form: query, signal, distance, item, labels.
	r = cli(t, dir, "", "match", "--db", "m.db", "--all", m.original).want(t, 0)
	if !strings.Contains(r.stdout, m.original+"\tpdq:"+known.PDQ+"\t0\tacme/"+known.SHA256+"\tentity:example\n") {
		t.Errorf("text form: %q", r.stdout)
	}
	if r := cli(t, dir, "", "match", "--db", "m.db", "--all", m.unrelated).want(t, 1); r.stdout != "" {
		t.Errorf("--all printed %q for no match", r.stdout)
	}
	// Default text form: one line, the nearest match.
	r = cli(t, dir, "", "match", "--db", "m.db", m.original).want(t, 0)
	if want := m.original + ": acme/" + known.SHA256 + " sha256 distance 0 labels entity:example\n"; r.stdout != want {
		t.Errorf("best-match line: %q, want %q", r.stdout, want)
	}
	// The line shows opinions on the item, and how many others matched.
	cli(t, dir, "", "opinion", "--db", "m.db", "--org", "acme", "--source", "acme", "--id", known.SHA256, "--verdict", "confirmed").want(t, 0)
	// Another organisation's items need --foreign: a typo in --source
	// must not mint them.
	if r := cli(t, dir, "", "add", "--db", "m.db", "--source", "partner", "--id", "copy", m.original).want(t, 2); !strings.Contains(r.stderr, "--foreign") {
		t.Errorf("add --source partner to acme's database: %q, want a hint at --foreign", r.stderr)
	}
	cli(t, dir, "", "add", "--db", "m.db", "--source", "partner", "--foreign", "--id", "copy", m.original).want(t, 0)
	r = cli(t, dir, "", "match", "--db", "m.db", m.original).want(t, 0)
	if want := m.original + ": acme/" + known.SHA256 + " sha256 distance 0 labels entity:example opinions acme confirmed (+1 more)\n"; r.stdout != want {
		t.Errorf("best-match line: %q, want %q", r.stdout, want)
	}
	cli(t, dir, "", "retract", "--db", "m.db", "--source", "partner", "--id", "copy").want(t, 0)

	// Signals, from a file or piped from hash.
	list := "pdq:" + known.PDQ + "\n# comment\nmd5:00000000000000000000000000000000\tq2\n"
	if err := os.WriteFile(filepath.Join(dir, "q.txt"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	r = cli(t, dir, "", "match", "--db", "m.db", "--json", "--signals", "q.txt").want(t, 0)
	got = jsonLines[matchLine](t, r.stdout)
	if len(got) != 2 || got[0].Query != "pdq:"+known.PDQ || len(got[0].Matches) != 1 || got[1].ID != "q2" || len(got[1].Matches) != 0 {
		t.Errorf("--signals: %s", r.stdout)
	}
	hashed := cli(t, dir, "", "hash", m.altered).want(t, 0).stdout
	cli(t, dir, hashed, "match", "--db", "m.db", "--signals", "-").want(t, 0)
	cli(t, dir, "md5:00000000000000000000000000000000\n", "match", "--db", "m.db", "--signals", "-").want(t, 1)

	// A retracted item no longer matches.
	cli(t, dir, "", "retract", "--db", "m.db", "--source", "acme", "--id", known.SHA256).want(t, 0)
	cli(t, dir, "", "match", "--db", "m.db", m.altered).want(t, 1)

	// Errors: exit 2 with the cause.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"match", "--db", "m.db", "missing.png"}, "missing.png"},
		{[]string{"match", "--db", "nope.db", m.original}, "nope.db"},
		{[]string{"match", "--db", "m.db", "--signals", "q.txt", m.original}, "exclusive"},
		{[]string{"match", "--db", "m.db", "--threshold", "pdq", m.original}, "ALG=N"},
		{[]string{"match", "--db", "m.db", "--threshold", "pdq=300", m.original}, "0 to 256"},
		{[]string{"match", "--db", "m.db"}, "nothing to match"},
	} {
		r := cli(t, dir, "", c.args...).want(t, 2)
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: stderr %q, want %q", c.args, r.stderr, c.want)
		}
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("pdq:00\n"), 0o644)
	if r := cli(t, dir, "", "match", "--db", "m.db", "--signals", bad).want(t, 2); !strings.Contains(r.stderr, "bad.txt:1:") {
		t.Errorf("bad signals file: %q", r.stderr)
	}
}

// matchLine is a line of "match --json" as a client reads it: the test
// checks the bytes the CLI prints, not the types that print them.
type matchLine struct {
	Query      string     `json:"query"`
	ID         string     `json:"id"`
	Matches    []matchHit `json:"matches"`
	Suppressed []matchHit `json:"suppressed"`
	Error      string     `json:"error"`
}

type matchHit struct {
	Signal    string `json:"signal"`
	Distance  int    `json:"distance"`
	Transform string `json:"transform"`
	Items     []struct {
		Source string   `json:"source"`
		ID     string   `json:"id"`
		Labels []string `json:"labels"`
		TLP    string   `json:"tlp"`
	} `json:"items"`
}

// hashJSON is a line of "hash --json" as a client reads it: the file as
// given and its hashes in media's JSON form.
type hashJSON struct {
	File string `json:"file"`
	media.JSON
}
