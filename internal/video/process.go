package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// child is a running ffmpeg or ffprobe.
type child struct {
	name    string // "ffmpeg" or "ffprobe", for messages
	cmd     *exec.Cmd
	stdout  io.ReadCloser
	stderr  *ring
	ctx     context.Context // the caller's context
	timeout time.Duration
	timer   context.Context // ctx with the timeout
	cancel  context.CancelFunc
	lim     Limits
	cpu     time.Duration
}

// startHook, when set (by tests), is called with each child's pid once
// its limits are set.
var startHook func(pid int)

// start runs prog with args under the limits: its own process group, an
// empty environment but PATH, no stdin, stderr kept in a ring, CPU and
// memory limits, and a wall-clock timeout, capped by ctx, after which the
// group is killed.
func start(ctx context.Context, name, prog string, args []string, timeout, cpu time.Duration, lim Limits) (*child, error) {
	cpu = (cpu + time.Second - 1).Truncate(time.Second) // RLIMIT_CPU counts whole seconds
	timer, cancel := context.WithTimeout(ctx, timeout)
	c := &child{name: name, stderr: newRing(stderrKeep), ctx: ctx, timeout: timeout, timer: timer, cancel: cancel, lim: lim, cpu: cpu}
	cmd := exec.CommandContext(timer, prog, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Stdin = nil
	cmd.Stderr = c.stderr
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("video: %s: %w", name, ctx.Err())
		case timer.Err() != nil:
			return nil, errorf(ErrTimeout, "%s stopped after %v", name, timeout)
		}
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return nil, errorf(ErrNoDecoder, "%s: %v; %s", name, err, installHint)
		}
		return nil, fmt.Errorf("video: starting %s: %w", name, err)
	}
	c.cmd, c.stdout = cmd, out
	if err := setLimits(cmd.Process.Pid, uint64(cpu/time.Second), uint64(lim.Memory)); err != nil {
		killGroup(cmd.Process.Pid)
		cmd.Wait()
		cancel()
		return nil, fmt.Errorf("video: limiting %s: %w", name, err)
	}
	if startHook != nil {
		startHook(cmd.Process.Pid)
	}
	return c, nil
}

// kill stops the child's group at once.
func (c *child) kill() { killGroup(c.cmd.Process.Pid) }

// wait waits for the child to exit and says why it failed, if it did:
// the caller's context ending, the timeout (ErrTimeout), the CPU limit
// (ErrTimeout), the memory limit (ErrTooLarge), or anything else
// (ErrDecode, with the end of its stderr).
func (c *child) wait() error {
	err := c.cmd.Wait()
	defer c.cancel()
	if err == nil {
		return nil
	}
	return c.failure(err)
}

func (c *child) failure(err error) error {
	if cerr := c.ctx.Err(); cerr != nil {
		return fmt.Errorf("video: %s: %w", c.name, cerr)
	}
	if c.timer.Err() != nil {
		return errorf(ErrTimeout, "%s stopped after %v", c.name, c.timeout)
	}
	msg := c.stderr.tail(600)
	// The kernel signals at the limit by its own accounting, which
	// ProcessState's can trail by a few ticks.
	if ps := c.cmd.ProcessState; limitsApplied && ps != nil && ps.UserTime()+ps.SystemTime() >= c.cpu*9/10 {
		return errorf(ErrTimeout, "%s used its CPU-time limit of %v", c.name, c.cpu)
	}
	if outOfMemory(msg) {
		return errorf(ErrTooLarge, "%s ran out of memory under its limit of %d MiB: %s", c.name, c.lim.Memory>>20, msg)
	}
	if strings.Contains(msg, "not on whitelist") {
		return errorf(ErrUnsupported, "%s refused the file: %s", c.name, msg)
	}
	if msg == "" {
		msg = "no message"
	}
	return errorf(ErrDecode, "%s: %v: %s", c.name, err, msg)
}

// outOfMemory reports whether ffmpeg's messages say an allocation failed,
// as they do when it reaches its address-space limit.
func outOfMemory(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "cannot allocate memory") || strings.Contains(m, "out of memory") ||
		strings.Contains(m, "failed to map segment") || strings.Contains(m, "failed to allocate")
}
