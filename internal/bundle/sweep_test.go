package bundle

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestSweep checks an import removes the spool files a killed import left
// in its directory, and leaves a live one alone.
func TestSweep(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("spools are swept by age where there is no flock")
	}
	dir := t.TempDir()
	stale := filepath.Join(dir, spoolPrefix+"123")
	if err := os.WriteFile(stale, []byte("left by a kill"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "unrelated")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := os.CreateTemp(dir, spoolPrefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := lockFile(live); err != nil {
		t.Fatal(err)
	}
	b, _ := write(t, testEntries(), false)
	r, err := NewReader(bytes.NewReader(b), testKeys, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpool(context.Background(), r, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a stale spool survived: %v", err)
	}
	for _, keep := range []string{live.Name(), other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was swept: %v", keep, err)
		}
	}
	s.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, spoolPrefix+"*")); len(left) != 1 {
		t.Errorf("after Close: %v, want only the live spool", left)
	}
}
