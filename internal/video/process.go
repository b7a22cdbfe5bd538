package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// child is a running ffmpeg or ffprobe.
type child struct {
	name   string // "ffmpeg" or "ffprobe", for messages
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr *ring
	ctx    context.Context // the caller's
	lim    Limits

	mu       sync.Mutex
	timer    *time.Timer   // nil while paused
	timeout  time.Duration // the whole allowance
	left     time.Duration // what is left of it when the timer last stopped
	since    time.Time     // when the timer last started
	timedOut bool
	cpu      time.Duration
	waiting  int // readers waiting on the child, for the wall clock

	waitOnce sync.Once
	waitErr  error
	exited   chan struct{} // closed once the child has been reaped
}

// startHook, when set (by tests), is called with each child's pid once
// its limits are set.
var startHook func(pid int)

// start runs prog with args under the limits: its own process group, an
// empty environment but PATH, no stdin, extra as its file descriptors 3
// on, stderr kept in a ring, CPU and memory limits, and a wall-clock
// timeout after which its group is killed, as it is when ctx ends.
func start(ctx context.Context, name, prog string, args []string, extra []*os.File, timeout, cpu time.Duration, lim Limits) (*child, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("video: %s: %w", name, err)
	}
	c := &child{name: name, stderr: newRing(stderrKeep), ctx: ctx, lim: lim, exited: make(chan struct{})}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Stdin = nil
	cmd.Stderr = c.stderr
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return nil, errorf(ErrNoDecoder, "%s: %v; %s", name, err, installHint)
		}
		return nil, fmt.Errorf("video: starting %s: %w", name, err)
	}
	c.cmd, c.stdout = cmd, out
	if err := c.limit(timeout, cpu); err != nil {
		c.kill()
		cmd.Wait()
		return nil, err
	}
	if startHook != nil {
		startHook(cmd.Process.Pid)
	}
	return c, nil
}

// limit sets, or resets, the child's wall-clock timeout from now and its
// CPU-time and memory limits.
func (c *child) limit(timeout, cpu time.Duration) error {
	cpu = (cpu + time.Second - 1).Truncate(time.Second) // RLIMIT_CPU counts whole seconds
	if err := setLimits(c.cmd.Process.Pid, uint64(cpu/time.Second), uint64(c.lim.Memory)); err != nil {
		return fmt.Errorf("video: limiting %s: %w", c.name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.timeout, c.left, c.cpu = timeout, timeout, cpu
	c.resumeLocked()
	return nil
}

// resume counts a reader that waits on the child and restarts the wall
// clock, with what is left of the timeout, if it was stopped.
func (c *child) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting++
	c.resumeLocked()
}

func (c *child) resumeLocked() {
	if c.timer != nil || c.timedOut {
		return
	}
	c.since = time.Now()
	c.timer = time.AfterFunc(max(c.left, 0), func() {
		c.mu.Lock()
		c.timedOut = true
		c.mu.Unlock()
		c.kill()
	})
}

// pause stops the wall clock while no reader waits, busy with its frame,
// so that the timeout bounds how long ffmpeg makes its readers wait, not
// how long they take: a child blocked on a full pipe is not the one being
// slow. With two readers the clock runs while either waits.
func (c *child) pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting > 0 {
		c.waiting--
	}
	if c.waiting > 0 {
		return
	}
	if c.timer != nil && c.timer.Stop() {
		c.left -= time.Since(c.since)
	}
	c.timer = nil
}

// kill stops the child's group at once, unless the child has been reaped
// (its process group id may then be another's).
func (c *child) kill() {
	select {
	case <-c.exited:
	default:
		killGroup(c.cmd.Process.Pid)
	}
}

// wait waits for the child to exit and says why it failed, if it did:
// the caller's context ending, the timeout (ErrTimeout), the CPU limit
// (ErrTimeout), the memory limit (ErrTooLarge), an allow-list
// (ErrUnsupported), or anything else (ErrDecode, with the end of its
// stderr). It may be called more than once, from more than one goroutine:
// each gets the first call's answer.
func (c *child) wait() error {
	c.waitOnce.Do(func() { c.waitErr = c.reap() })
	return c.waitErr
}

func (c *child) reap() error {
	c.resume() // a child that hangs on exit is still timed
	err := c.cmd.Wait()
	close(c.exited)
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	timedOut, timeout, cpu := c.timedOut, c.timeout, c.cpu
	c.mu.Unlock()
	if err == nil {
		return nil
	}
	if cerr := c.ctx.Err(); cerr != nil {
		return fmt.Errorf("video: %s: %w", c.name, cerr)
	}
	if timedOut {
		return errorf(ErrTimeout, "%s stopped after %v", c.name, timeout)
	}
	// The kernel signals at the limit by its own accounting, which
	// ProcessState's can trail by a few ticks.
	if ps := c.cmd.ProcessState; limitsApplied && ps != nil && ps.UserTime()+ps.SystemTime() >= cpu*9/10 {
		return errorf(ErrTimeout, "%s used its CPU-time limit of %v", c.name, cpu)
	}
	msg := c.stderr.tail(600)
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
