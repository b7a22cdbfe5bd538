package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// isTerminal reports whether w is a terminal, where a progress bar helps
// rather than fills a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// A bar draws progress on stderr when stderr is a terminal; otherwise, and
// as a nil *bar, it does nothing.
type bar struct {
	pb *progressbar.ProgressBar
}

// newBar returns a bar counting to max (-1 for unknown) of bytes or of
// things, or nil when e.stderr is not a terminal.
func newBar(e *env, max int64, bytes bool, desc string) *bar {
	if !isTerminal(e.stderr) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	return &bar{pb: progressbar.NewOptions64(max, opts...)}
}

// set moves the bar to n of max; max grows as a walk counts more.
func (b *bar) set(n, max int64) {
	if b == nil {
		return
	}
	if max > 0 && max != b.pb.GetMax64() {
		b.pb.ChangeMax64(max)
	}
	_ = b.pb.Set64(n)
}

// add moves the bar on by n.
func (b *bar) add(n int64) {
	if b != nil {
		_ = b.pb.Add64(n)
	}
}

// done removes the bar.
func (b *bar) done() {
	if b != nil {
		_ = b.pb.Finish()
		_ = b.pb.Clear()
	}
}

// reader counts the bytes read through it on a bar.
type reader struct {
	r io.Reader
	b *bar
}

func (r reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.b.add(int64(n))
	return n, err
}

// writer counts the bytes written through it on a bar.
type writer struct {
	w io.Writer
	b *bar
}

func (w writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.b.add(int64(n))
	return n, err
}
