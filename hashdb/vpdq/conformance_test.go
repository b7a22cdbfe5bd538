package vpdq

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/internal/testenv"
)

// The level-0 conformance tests read upstream's expected hash files from
// $HASHSHARE_TESTDATA/vpdq; they need no decoder.

// TestUpstreamFilesRoundTrip parses every upstream and reference hash
// file and writes it back byte for byte.
func TestUpstreamFilesRoundTrip(t *testing.T) {
	root := testenv.Dir(t, "vpdq")
	total := 0
	for _, sub := range []string{"hashes", "reference-debian", "reference-debian-nosimd"} {
		files, _ := filepath.Glob(filepath.Join(root, sub, "*.txt"))
		if sub == "hashes" && len(files) != 31 {
			t.Errorf("%s: %d hash files, want upstream's 31", sub, len(files))
		}
		for _, path := range files {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			h, err := ParseCPP(b)
			if err != nil {
				t.Errorf("%s/%s: %v", sub, filepath.Base(path), err)
				continue
			}
			if got := h.AppendCPP(nil); !bytes.Equal(got, b) {
				t.Errorf("%s/%s: re-emitted form differs (%d bytes, want %d)", sub, filepath.Base(path), len(got), len(b))
				continue
			}
			// The pytx form keeps hash, quality and the timestamp's 3
			// significant digits.
			p, err := Parse(h.String())
			if err != nil || len(p.Features) != len(h.Features) {
				t.Errorf("%s/%s: pytx form does not parse back: %v", sub, filepath.Base(path), err)
			}
			t.Logf("%s/%s: %d features, %d bytes re-emitted identically", sub, filepath.Base(path), len(h.Features), len(b))
			total++
		}
	}
	t.Logf("%d files round-trip byte for byte", total)
}

// TestUpstreamMatchTable compares every pair in the tables made by
// running upstream's own matchers on upstream's files (see
// testdata/README.md): C++ match-hashes-brute and pytx's
// match_VPDQ_hash_brute. Both rules must agree to two decimals.
func TestUpstreamMatchTable(t *testing.T) {
	root := filepath.Join(testenv.Dir(t, "vpdq"), "hashes")
	cache := map[string]*Hash{}
	load := func(name string) *Hash {
		if h, ok := cache[name]; ok {
			return h
		}
		b, err := os.ReadFile(filepath.Join(root, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseCPP(b)
		if err != nil {
			t.Fatal(err)
		}
		cache[name] = h
		return h
	}
	tables, _ := filepath.Glob("testdata/upstream-match-*.txt")
	if len(tables) == 0 {
		t.Fatal("no upstream match tables in testdata")
	}
	for _, table := range tables {
		var distance, quality int
		if _, err := fmt.Sscanf(filepath.Base(table), "upstream-match-d%d-q%d.txt", &distance, &quality); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		f, err := os.Open(table)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		rows, bad := 0, 0
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
				continue
			}
			if len(fs) != 6 {
				t.Fatalf("%s: bad row %q", table, sc.Text())
			}
			q, c := load(fs[0]), load(fs[1])
			for _, r := range []struct {
				rule   Rule
				q, c   string
				column int
			}{{CPP, fs[2], fs[3], 2}, {PyTX, fs[4], fs[5], 4}} {
				res := Compare(q, c, &CompareOptions{Rule: r.rule, Distance: distance, Quality: quality})
				gq, gc := fmt.Sprintf("%.2f", res.QueryPercent), fmt.Sprintf("%.2f", res.ComparedPercent)
				if r.q == "error" { // pytx divides by zero on an empty side
					if !res.Empty() {
						t.Errorf("%s %s %s: pytx fails on an empty side, we found %d/%d frames", fs[0], fs[1], r.rule, res.QueryFrames, res.ComparedFrames)
					}
					continue
				}
				if gq != r.q || gc != r.c {
					bad++
					t.Errorf("%s vs %s, %s rule (d=%d, q=%d): %s / %s, upstream %s / %s", fs[0], fs[1], r.rule, distance, quality, gq, gc, r.q, r.c)
				}
			}
			rows++
		}
		f.Close()
		if rows < 200 {
			t.Errorf("%s: only %d rows", table, rows)
		}
		t.Logf("%s: %d pairs × 2 rules, %d differ from upstream", filepath.Base(table), rows, bad)
	}
}

// TestUpstreamEdgeCases checks the files the spec names for the filter
// and the dedupe: doorknob's qualities span 0–100, test-padded-dimensions
// repeats 27 of its 150 hashes.
func TestUpstreamEdgeCases(t *testing.T) {
	root := filepath.Join(testenv.Dir(t, "vpdq"), "hashes")
	read := func(name string) *Hash {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseCPP(b)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	pad := read("test-padded-dimensions.txt")
	if n, u := len(pad.Features), len(Prepare(pad, PyTX, -1).Frames); n != 150 || u != 123 {
		t.Errorf("test-padded-dimensions: %d features, %d distinct; want 150, 123", n, u)
	}
	door := read("doorknob-hd-no-bar.txt")
	low := 0
	for _, f := range door.Features {
		if f.Quality < DefaultQuality {
			low++
		}
	}
	if low != 60 || len(door.Features) != 120 {
		t.Errorf("doorknob: %d of %d frames under 50, want 60 of 120", low, len(door.Features))
	}
	// Against itself: every kept frame matches; the C++ rule's denominator
	// counts repeats, pytx's does not.
	for _, r := range []Rule{PyTX, CPP} {
		res := Compare(pad, pad, &CompareOptions{Rule: r})
		if res.QueryPercent != 100 || res.ComparedPercent != 100 || !res.Match {
			t.Errorf("%s: padded vs itself = %+v", r, res)
		}
	}
	// A quality threshold above every frame leaves both sides empty.
	res := Compare(door, door, &CompareOptions{Quality: 101})
	if !res.Empty() || res.Match || res.QueryPercent != 0 {
		t.Errorf("nothing left after the filter: %+v", res)
	}
}

// TestSpecTable pins the rows of the spec's measured table (§1.6), so a
// damaged table file cannot hide them.
func TestSpecTable(t *testing.T) {
	root := filepath.Join(testenv.Dir(t, "vpdq"), "hashes")
	read := func(name string) *Hash {
		b, err := os.ReadFile(filepath.Join(root, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseCPP(b)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, r := range []struct{ q, c, cpp, pytx string }{
		{"chair-19-sd-bar", "chair-20-sd-bar", "100.00 / 92.18", "100.00 / 92.76"},
		{"chair-19-sd-bar", "chair-22-sd-grey-bar", "100.00 / 83.95", "100.00 / 85.67"},
		{"chair-20-sd-bar", "chair-22-with-small-logo-bar", "94.30 / 92.57", "94.24 / 92.93"},
		{"pattern-hd-no-bar", "pattern-longer-no-bar", "100.00 / 88.03", "100.00 / 87.93"},
		{"pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar", "99.51 / 99.51", "99.50 / 99.51"},
		{"chair-22-with-large-logo-bar", "chair-orig-22-sd-bar", "11.00 / 10.10", "11.04 / 10.27"},
		{"doorknob-hd-no-bar", "doorknob-hd-no-bar-128x128", "98.33 / 95.16", "98.33 / 95.16"},
		{"chair-20-sd-bar", "chair-orig-22-hd-no-bar", "0.00 / 0.00", "0.00 / 0.00"},
		{"chair-22-sd-grey-bar", "chair-orig-22-fhd-no-bar", "0.00 / 0.00", "0.00 / 0.00"},
	} {
		q, c := read(r.q), read(r.c)
		for _, want := range []struct {
			rule Rule
			s    string
		}{{CPP, r.cpp}, {PyTX, r.pytx}} {
			res := Compare(q, c, &CompareOptions{Rule: want.rule})
			if got := fmt.Sprintf("%.2f / %.2f", res.QueryPercent, res.ComparedPercent); got != want.s {
				t.Errorf("%s vs %s, %s: %s, spec %s", r.q, r.c, want.rule, got, want.s)
			}
		}
	}
}
