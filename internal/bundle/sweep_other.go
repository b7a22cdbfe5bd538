//go:build !unix

package bundle

import (
	"os"
	"time"
)

// lockFile does nothing where there is no flock: sweep goes by age.
func lockFile(*os.File) error { return nil }

// abandonedAge is how old a spool file must be, without locks, for sweep
// to take it for abandoned: no import stages for a day.
const abandonedAge = 24 * time.Hour

func abandoned(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && time.Since(fi.ModTime()) > abandonedAge
}
