package hashdb

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// TestDigestPrefixCollision stores digests that share their first 64 bits,
// the code their index holds: lookups and matches must still tell them
// apart by the whole value.
func TestDigestPrefixCollision(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	for _, a := range []signal.Algorithm{signal.MD5, signal.SHA1, signal.SHA256} {
		t.Run(a.String(), func(t *testing.T) {
			base := testSignal(a, 1).Bytes()
			other := slices.Clone(base)
			other[len(other)-1] ^= 1
			s1, _ := signal.New(a, base)
			s2, _ := signal.New(a, other)
			k1, k2 := Key{Source: "local", ID: a.String() + "-1"}, Key{Source: "local", ID: a.String() + "-2"}
			if err := db.Put(ctx,
				Item{Key: k1, Signals: []signal.Signal{s1}, TLP: tlp.Green},
				Item{Key: k2, Signals: []signal.Signal{s2, testSignal(signal.PDQ, 9)}, TLP: tlp.Green},
			); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				s    signal.Signal
				want Key
			}{{s1, k1}, {s2, k2}} {
				items, err := db.Lookup(tc.s)
				if err != nil || len(items) != 1 || items[0].Key != tc.want {
					t.Errorf("Lookup(%s) = %v, %v; want only %s", tc.s, items, err, tc.want)
				}
				res, err := db.Match(ctx, []signal.Signal{tc.s}, nil)
				if err != nil || len(res[0].Matches) != 1 || res[0].Matches[0].Signal != tc.s ||
					len(res[0].Matches[0].Items) != 1 || res[0].Matches[0].Items[0].Key != tc.want {
					t.Errorf("Match(%s) = %+v, %v", tc.s, res, err)
				}
			}
			third := slices.Clone(base)
			third[len(third)-1] ^= 2
			s3, _ := signal.New(a, third)
			if items, err := db.Lookup(s3); err != nil || len(items) != 0 {
				t.Errorf("Lookup(unstored %s) = %v, %v", s3, items, err)
			}
		})
	}
}

// TestIndexesAfterReopen checks Open rebuilds every algorithm's index from
// the items: live signals found, retracted ones not.
func TestIndexesAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var sigs []signal.Signal
	for _, a := range signal.Algorithms() {
		sigs = append(sigs, testSignal(a, 5))
	}
	live := Item{Key: Key{Source: "local", ID: "live"}, Signals: sigs, TLP: tlp.Green}
	gone := Item{Key: Key{Source: "local", ID: "gone"}, Signals: []signal.Signal{testSignal(signal.PDQ, 6), testSignal(signal.MD5, 6)}, TLP: tlp.Green}
	if err := db.Put(ctx, live, gone); err != nil {
		t.Fatal(err)
	}
	if err := db.Retract(ctx, gone.Key, "test"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range sigs {
		if items, err := db.Lookup(s); err != nil || len(items) != 1 || items[0].Key != live.Key {
			t.Errorf("Lookup(%s) after reopen = %v, %v", s, items, err)
		}
	}
	for _, s := range gone.Signals {
		if items, err := db.Lookup(s); err != nil || len(items) != 0 {
			t.Errorf("Lookup(%s) of a retracted item after reopen = %v, %v", s, items, err)
		}
	}
}

// TestOrganizationRecorded checks the file remembers the organisation of
// its first writable open that names one.
func TestOrganizationRecorded(t *testing.T) {
	dir := t.TempDir()
	open := func(path, org string, readOnly bool) (*DB, error) {
		o := testOptions()
		o.Organization, o.ReadOnly = org, readOnly
		return Open(path, o)
	}
	path := filepath.Join(dir, "o.db")
	db, err := open(path, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Organization(); got != "" {
		t.Errorf("Organization of a file without one = %q", got)
	}
	db.Close()
	for _, step := range []struct {
		org      string
		readOnly bool
		want     string
		err      string
	}{
		{"", false, "", ""},
		{"org-a", true, "org-a", ""},     // read-only: used, not recorded
		{"", false, "", ""},              // so still none
		{"org-a", false, "org-a", ""},    // recorded
		{"", true, "org-a", ""},          // defaults to the recorded one
		{"", false, "org-a", ""},         //
		{"org-a", false, "org-a", ""},    // the same is fine
		{"org-b", false, "", "org-b"},    // another is refused
		{"org-b", true, "", "\"org-a\""}, // even read-only
	} {
		db, err := open(path, step.org, step.readOnly)
		if step.err != "" {
			if err == nil {
				db.Close()
				t.Fatalf("open with %q succeeded", step.org)
			}
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), step.err) {
				t.Errorf("open with %q: %v", step.org, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Organization(); got != step.want {
			t.Errorf("open with %q (read-only %v): Organization() = %q, want %q", step.org, step.readOnly, got, step.want)
		}
		db.Close()
	}
	// A new file records the organisation it is created with.
	path2 := filepath.Join(dir, "o2.db")
	db, err = open(path2, "org-c", false)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = open(path2, "", true); err != nil || db.Organization() != "org-c" {
		t.Fatalf("reopened: %v, %v", db, err)
	}
	db.Close()
}
