//go:build !linux

package video

import (
	"os"
	"syscall"
)

// sysProcAttr is nil off Linux: there is no parent-death signal, and
// setLimits cannot reach another process.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills the child alone.
func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// setLimits does nothing off Linux: the wall-clock timeout still applies.
func setLimits(pid int, cpuSeconds, memory uint64) error { return nil }

const limitsApplied = false
