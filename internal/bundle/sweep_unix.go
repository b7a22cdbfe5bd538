//go:build unix

package bundle

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f for as long as it is open, to
// tell sweep the spool is alive. The lock is advisory: it binds only
// hashshare's own sweeps.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// abandoned reports whether no process holds the spool file at path: its
// lock is free (the process that made it is gone).
func abandoned(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
