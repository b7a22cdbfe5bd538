package lists

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// A lineReader yields the lines of a line-oriented list without their
// line ends, and never holds more than one line of at most max bytes:
// bufio.Scanner would stop for good at the first over-long line, where a
// list should skip it and read on.
type lineReader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	line int // the number of the line last returned
}

func newLineReader(br *bufio.Reader, max int) *lineReader {
	return &lineReader{br: br, max: max}
}

// errLineTooLong is what next returns, with the line's number, for a
// line longer than max; the line has been read past.
var errLineTooLong = errors.New("line too long")

// next returns the next line, valid until the following call, without
// its "\n" or "\r\n". At the end of the input it returns io.EOF; a read
// error ends it too.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(chunk) > l.max+2 { // room for "\r\n"
				tooLong = true
				l.buf = l.buf[:0]
			} else if b := trimEOL(chunk); len(l.buf) == 0 && err == nil && len(b) <= l.max {
				// The common case: the whole line is in the buffer.
				l.line++
				return b, nil
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(chunk) > 0 || len(l.buf) > 0 || tooLong):
			// A last line without a line end is a line.
		case err != nil:
			return nil, err
		}
		l.line++
		if tooLong {
			return nil, errLineTooLong
		}
		b := trimEOL(l.buf)
		if len(b) > l.max {
			return nil, errLineTooLong
		}
		return b, nil
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
