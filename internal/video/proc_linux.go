//go:build linux

package video

import (
	"fmt"
	"syscall"
	"unsafe"
)

// sysProcAttr puts the child in a process group of its own, so that
// killing the group also kills anything it started, and has the kernel
// kill it if this process dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the child's process group.
func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// setLimits sets the CPU-time (seconds) and address-space (bytes) limits of
// the running process pid, through the prlimit64 system call: Go's
// SysProcAttr has no rlimit field, and the prlimit program (util-linux) is
// not always installed. The child runs unlimited for the moment between
// its exec and this call, while the dynamic loader maps ffmpeg's hundred
// or so libraries and before it opens its input.
func setLimits(pid int, cpuSeconds uint64, memory uint64) error {
	for _, l := range []struct {
		res      int
		cur, max uint64
	}{
		// SIGXCPU at the soft limit, which ffmpeg handles by stopping;
		// SIGKILL a second later if it has not.
		{syscall.RLIMIT_CPU, cpuSeconds, cpuSeconds + 1},
		{syscall.RLIMIT_AS, memory, memory},
	} {
		if l.cur == 0 {
			continue
		}
		lim := syscall.Rlimit{Cur: l.cur, Max: l.max}
		_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(l.res), uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
		if errno == syscall.ESRCH {
			return nil // it has exited: nothing is left to limit
		}
		if errno != 0 {
			return fmt.Errorf("prlimit(%d, %d): %w", pid, l.res, errno)
		}
	}
	return nil
}

// limitsApplied reports whether setLimits takes effect on this system.
const limitsApplied = true
