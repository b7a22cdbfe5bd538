package bundle

import (
	"os"
	"path/filepath"
	"strings"
)

// spoolPrefix begins the name of every spool file.
const spoolPrefix = "hashshare-import-"

// sweep removes the spool files in dir that no process holds: those a
// killed import left behind. A live spool holds a lock on its file (see
// lockFile), so a concurrent import's file is left alone. Errors are
// ignored: sweeping is housekeeping, and a file that cannot be removed
// now may be at the next import.
func sweep(dir string) {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), spoolPrefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if abandoned(path) {
			os.Remove(path)
		}
	}
}
