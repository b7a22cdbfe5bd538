package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// A signalSource is a --signals file to be read twice: a named file is
// read twice, and checked not to have changed in between; stdin ("-") is
// spooled to a temporary file as the first pass reads it, and the second
// pass reads that file, so memory stays flat whatever its size.
type signalSource struct {
	name string
	f    *os.File // the file, or the spool of stdin
	size int64    // -1 when unknown (stdin)

	// a named file: its size and time when first opened
	modTime time.Time

	// stdin: what is read, and the spool it is copied to
	stdin io.Reader
	in    io.Closer // stdin when it is a file named on the command line
	spool *bufio.Writer
	temp  string // the spool's path, when it could not be removed at once
}

// openSignals opens the --signals file name, or prepares to spool stdin.
func openSignals(e *env, name string) (*signalSource, error) {
	s := &signalSource{name: name, size: -1}
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		s.f = f
		if fi.Mode().IsRegular() {
			s.size, s.modTime = fi.Size(), fi.ModTime()
			return s, nil
		}
		// A pipe or device named on the command line (/dev/stdin, a
		// FIFO) cannot be read twice: spool it as stdin is.
		s.stdin, s.in = f, f
		s.f = nil
	} else {
		s.stdin = e.stdin
	}
	f, err := os.CreateTemp("", "hashdb-signals-*")
	if err != nil {
		if s.in != nil {
			s.in.Close()
		}
		return nil, fmt.Errorf("spooling %s: %w", name, err)
	}
	// Removed at once where the system allows, so that nothing is left
	// behind even if the command is killed.
	if err := os.Remove(f.Name()); err != nil {
		s.temp = f.Name()
	}
	s.f = f
	s.spool = bufio.NewWriterSize(f, 256<<10)
	return s, nil
}

// first returns the reader of the first pass.
func (s *signalSource) first() io.Reader {
	if s.spool != nil {
		return io.TeeReader(s.stdin, s.spool)
	}
	return s.f
}

// rewind readies the second pass: it ends the spool, or checks the named
// file is as it was, and goes back to the start.
func (s *signalSource) rewind() error {
	if s.spool != nil {
		if err := s.spool.Flush(); err != nil {
			return fmt.Errorf("spooling %s: %w", s.name, err)
		}
		s.spool = nil
	} else {
		fi, err := s.f.Stat()
		if err != nil {
			return err
		}
		if fi.Size() != s.size || !fi.ModTime().Equal(s.modTime) {
			return fmt.Errorf("%s changed while it was read", s.name)
		}
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

// second returns the reader of the second pass.
func (s *signalSource) second() io.Reader { return s.f }

// close closes the file and removes the spool.
func (s *signalSource) close() error {
	err := s.f.Close()
	if s.in != nil {
		err = errors.Join(err, s.in.Close())
	}
	if s.temp != "" {
		err = errors.Join(err, os.Remove(s.temp))
	}
	return err
}
