package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb/media"
)

// A gate bounds how many requests do one costly thing at once — decode
// and hash media, import a bundle — and how many may wait for a turn.
// Past that the server answers 503 with Retry-After at once, rather
// than let requests pile up holding memory and connections. (Decoding is
// also bounded by memory: media's process-wide Budget refuses an image
// that would take more than all of it, and makes others wait.)
type gate struct {
	what    string        // "hashing", "importing": for the 503's message
	tickets chan struct{} // held by each request running or waiting
	slots   chan struct{} // held by each request running
	retry   time.Duration // the Retry-After sent when full
}

func newGate(what string, running, waiting int, retry time.Duration) *gate {
	return &gate{
		what:    what,
		tickets: make(chan struct{}, running+waiting),
		slots:   make(chan struct{}, running),
		retry:   retry,
	}
}

// A busyError reports a gate with no room to wait: the server answers
// 503 with the gate's Retry-After.
type busyError struct{ g *gate }

func (e *busyError) Error() string {
	return "the server is " + e.g.what + " as much as it may at once: try again later"
}

// enter waits for a turn and returns the function that ends it; it fails
// with a *busyError when the queue is full, and with ctx's error if ctx
// ends while waiting.
func (g *gate) enter(ctx context.Context) (leave func(), err error) {
	select {
	case g.tickets <- struct{}{}:
	default:
		return nil, &busyError{g}
	}
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots; <-g.tickets }, nil
	case <-ctx.Done():
		<-g.tickets
		return nil, ctx.Err()
	}
}

// retryAfter sets the Retry-After header of a 503 a gate caused.
func retryAfter(w http.ResponseWriter, err error) {
	var be *busyError
	if errors.As(err, &be) {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, be.g.retry).Seconds())))
	}
}

// hashing takes a turn of the hashing gate, within the per-request
// hashing timeout: ctx is the request's, bounded; leave ends the turn
// and releases ctx.
func (s *server) hashing(parent context.Context) (ctx context.Context, leave func(), err error) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.HashTimeout)
	out, err := s.hashGate.enter(ctx)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, func() { out(); cancel() }, nil
}

// bodyDeadline is when reading a request's body must be done: a grace
// period plus its declared length (or, undeclared, the largest body the
// route takes) at the slowest rate the server waits for. A slow client
// holds a connection only as long as its body needs, not the minutes a
// fixed read timeout would give every request.
func bodyDeadline(now time.Time, r *http.Request, largest int64, grace time.Duration, minRate int64) time.Time {
	n := r.ContentLength
	if n < 0 || n > largest {
		n = largest
	}
	return now.Add(grace + time.Duration(float64(n)/float64(minRate)*float64(time.Second)))
}

// maxMediaBody is the largest media body any route takes: a video's, or
// another medium's if that limit is the larger.
func (s *server) maxMediaBody() int64 { return max(s.cfg.MaxBody, s.cfg.MaxVideoBody) }

// mediaLimit is the body limit of media whose first bytes are head:
// MaxVideoBody for a video, MaxBody for anything else.
func (s *server) mediaLimit(head []byte) int64 {
	if looksLikeVideo(head) {
		return s.cfg.MaxVideoBody
	}
	return s.cfg.MaxBody
}

// looksLikeVideo reports whether head begins like a video container:
// what the WHATWG rules sniff as video, an ISO-BMFF or QuickTime box
// (MP4, MOV, 3GP), or EBML (Matroska). It only picks the size limit;
// hashdb/media decides what the bytes are.
func looksLikeVideo(head []byte) bool {
	if strings.HasPrefix(http.DetectContentType(head), "video/") || bytes.HasPrefix(head, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		return true
	}
	if len(head) < 8 {
		return false
	}
	switch string(head[4:8]) {
	case "ftyp", "moov", "mdat", "wide":
		return true
	}
	return false
}

// capBody reads r and fails with an *http.MaxBytesError (413) once it
// has more than limit bytes: a limit within a body that a larger
// http.MaxBytesReader already bounds.
func capBody(r io.Reader, limit int64) io.Reader {
	return &capReader{r: r, left: limit, limit: limit}
}

type capReader struct {
	r           io.Reader
	left, limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, &http.MaxBytesError{Limit: c.limit}
	}
	// Ask for one byte more than is left: getting it shows the body is
	// over the limit.
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n - 1, &http.MaxBytesError{Limit: c.limit}
	}
	return n, err
}

// videoOptions are the options the server hashes videos with: pytx's
// sampling, spooled in TempDir.
func (s *server) videoOptions() media.VideoOptions {
	return media.VideoOptions{TempDir: s.cfg.TempDir}
}
