package video

import (
	"bytes"
	"sync"
)

// stderrKeep is how much of a child's stderr is kept for error messages.
const stderrKeep = 64 << 10

// ring keeps the last n bytes written to it, so that a child writing
// megabytes of warnings costs a fixed amount of memory.
type ring struct {
	mu    sync.Mutex
	buf   []byte
	next  int  // where the next byte goes
	full  bool // buf has wrapped
	total int64
}

func newRing(n int) *ring { return &ring{buf: make([]byte, n)} }

// Write keeps the tail of p; it never fails.
func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total += int64(len(p))
	n := len(p)
	if len(p) > len(r.buf) {
		p = p[len(p)-len(r.buf):]
	}
	for len(p) > 0 {
		c := copy(r.buf[r.next:], p)
		p = p[c:]
		r.next += c
		if r.next == len(r.buf) {
			r.next, r.full = 0, true
		}
	}
	return n, nil
}

// Bytes returns the bytes kept, oldest first.
func (r *ring) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return bytes.Clone(r.buf[:r.next])
	}
	return append(bytes.Clone(r.buf[r.next:]), r.buf[:r.next]...)
}

// tail returns the last lines kept, trimmed, at most max bytes, for an
// error message.
func (r *ring) tail(max int) string {
	b := bytes.TrimSpace(r.Bytes())
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
		b = append([]byte("…"), b...)
	}
	return string(bytes.ReplaceAll(b, []byte("\n"), []byte("; ")))
}
