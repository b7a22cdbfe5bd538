package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun runs the quickstart twice on one database: every altered copy
// matches and no unrelated picture does, and a second run over the kept
// file does the same (the items are updated in place, not duplicated).
func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	for run1 := range 2 {
		var out bytes.Buffer
		sum, err := run(context.Background(), path, &out)
		if err != nil {
			t.Fatal(err)
		}
		if sum.alteredTotal != altered*len(alterations) || sum.alteredMatched != sum.alteredTotal {
			t.Errorf("run %d: altered copies matched %d of %d\n%s", run1, sum.alteredMatched, sum.alteredTotal, out.String())
		}
		if sum.unrelatedTotal != unrelated || sum.unrelatedMatched != 0 {
			t.Errorf("run %d: unrelated matched %d of %d\n%s", run1, sum.unrelatedMatched, sum.unrelatedTotal, out.String())
		}
		for _, want := range []string{"database: " + path, "QUERY", "rotated 90°", "(rot90)", "(flipy)", "altered copies matched: 15 of 15"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %d: output lacks %q:\n%s", run1, want, out.String())
			}
		}
	}
}
