package video

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// frameReader cuts a stream into frames of a fixed size: the n-th is
// decoded frame n × every, and a frame past maxOut means the video has
// more frames than the limit allows.
type frameReader struct {
	r                   io.Reader
	size, every, maxOut int
	n                   int // frames read
	maxFrames           int // the limit, for the message
}

// next reads the next frame into buf[:size] and returns its number: io.EOF
// at a clean end, ErrDecode when the stream ends inside a frame,
// ErrTooLarge for a frame past maxOut.
func (f *frameReader) next(buf []byte) (int, error) {
	if len(buf) < f.size {
		return 0, fmt.Errorf("video: frame buffer of %d bytes for frames of %d", len(buf), f.size)
	}
	m, err := io.ReadFull(f.r, buf[:f.size])
	switch {
	case err == io.ErrUnexpectedEOF:
		return 0, errorf(ErrDecode, "frame %d is short: %d of %d bytes", f.n*f.every, m, f.size)
	case err != nil:
		return 0, err
	case f.n == f.maxOut:
		return 0, errorf(ErrTooLarge, "more than %d frames", f.maxFrames)
	}
	f.n++
	return (f.n - 1) * f.every, nil
}

// pipeSource reads frames from one of ffmpeg's outputs, a pipe whose read
// end it owns. Two sources may share a child: each waits for it at its
// end, and either stops it when it fails or is closed.
type pipeSource struct {
	c    *child
	pipe *os.File
	w, h int
	fr   frameReader
	done bool
	err  error
}

func newPipeSource(c *child, pipe *os.File, w, h, every, maxOut, maxFrames int) *pipeSource {
	return &pipeSource{c: c, pipe: pipe, w: w, h: h,
		fr: frameReader{r: pipe, size: 3 * w * h, every: every, maxOut: maxOut, maxFrames: maxFrames}}
}

func (p *pipeSource) Size() (int, int) { return p.w, p.h }

func (p *pipeSource) Next(buf []byte) (int, error) {
	if p.done {
		return 0, p.err
	}
	p.c.resume()
	n, err := p.fr.next(buf)
	p.c.pause()
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		return 0, p.finish(p.c.wait())
	}
	// A short frame or one too many: stop ffmpeg, and report why it
	// failed if it did (a short frame usually means it crashed).
	p.c.kill()
	if werr := p.c.wait(); werr != nil && !errors.Is(err, ErrTooLarge) {
		err = werr
	}
	return 0, p.finish(err)
}

// finish ends the source with err; a clean end with no frame is ErrDecode.
func (p *pipeSource) finish(err error) error {
	p.done = true
	p.pipe.Close()
	switch {
	case err == nil && p.fr.n == 0:
		err = errorf(ErrDecode, "ffmpeg decoded no frames: %s", orNone(p.c.stderr.tail(600)))
	case err == nil:
		err = io.EOF
	}
	p.err = err
	return err
}

func orNone(s string) string {
	if s == "" {
		return "no message"
	}
	return s
}

// Close stops ffmpeg if it is still running.
func (p *pipeSource) Close() error {
	if !p.done {
		p.c.kill()
		p.c.wait()
		p.pipe.Close()
		p.done, p.err = true, errorf(ErrDecode, "the frame source is closed")
	}
	return nil
}
