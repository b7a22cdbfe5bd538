package bundle

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A Spool is a bundle read to its end and verified, its entry frames kept
// byte for byte in a temporary file: nothing of a bundle is applied before
// its signature checks, and a forged one costs the reading alone. Frames
// come back with [Spool.Next], in order, and decode with [Spool.Decode]
// under the limits the bundle was read with.
type Spool struct {
	f   *os.File
	r   *bufio.Reader
	lim *Limits
	buf []byte // frames back to back: a block for many
}

// NewSpool reads the rest of br into a new file in dir ("" for
// os.TempDir) and returns once the bundle has verified; on any error the
// file is gone. It checks the frames and the signature as [Reader.NextFrame]
// does; each entry's contents are checked as it is decoded. Close removes
// the file. Spool files that a killed process left in dir are removed
// first.
func NewSpool(ctx context.Context, br *Reader, dir string) (*Spool, error) {
	sweep(dir)
	f, err := os.CreateTemp(dir, spoolPrefix+"*")
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	lim := br.lim
	s := &Spool{f: f, lim: &lim}
	if err := s.fill(ctx, br); err != nil {
		s.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.Close()
		return nil, err
	}
	s.r = bufio.NewReaderSize(f, spoolBlock)
	return s, nil
}

func (s *Spool) fill(ctx context.Context, br *Reader) error {
	bw := bufio.NewWriterSize(s.f, spoolBlock)
	for n := 0; ; n++ {
		if n%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		frame, err := br.NextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if _, err := bw.Write(frame); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Next returns the next spooled frame, in a block of its own that later
// calls do not overwrite.
func (s *Spool) Next() ([]byte, error) {
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return nil, fmt.Errorf("reading the spooled bundle: %w", err)
	}
	if n > uint64(s.lim.MaxFrameBytes) {
		return nil, fmt.Errorf("reading the spooled bundle: a frame of %d bytes", n)
	}
	p := uvarintLen(n)
	need := p + int(n)
	if cap(s.buf)-len(s.buf) < need {
		s.buf = make([]byte, 0, max(spoolBlock, need))
	}
	b := s.buf[len(s.buf) : len(s.buf)+need : len(s.buf)+need]
	s.buf = s.buf[:len(s.buf)+need]
	binary.PutUvarint(b, n)
	if _, err := io.ReadFull(s.r, b[p:]); err != nil {
		return nil, fmt.Errorf("reading the spooled bundle: %w", err)
	}
	return b, nil
}

// Decode decodes a spooled frame. The bundle verified, so an entry that
// does not decode or crosses a limit is the producer's error, and comes
// back as is (wrapping [ErrMalformed] or [ErrLimit]).
func (s *Spool) Decode(frame []byte) (*pb.Entry, error) {
	return DecodeFrame(frame, s.lim)
}

// Close removes the spool's file.
func (s *Spool) Close() error {
	err := s.f.Close()
	if rerr := os.Remove(s.f.Name()); err == nil {
		err = rerr
	}
	return err
}

// spoolBlock is the size of the blocks frames are written and read in.
const spoolBlock = 256 << 10
