package hashdb

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/hashshare/hashshare/internal/bundle"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// stage copies the bundle's entry frames to f as they are read, byte for
// byte, and returns once the bundle has verified. It checks the frames
// and the signature; each entry's contents are checked as it is decoded
// from f, with the same limits.
func stage(ctx context.Context, br *bundle.Reader, f *os.File) error {
	bw := bufio.NewWriterSize(f, 256<<10)
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

// spooled reads back the frames stage wrote, for [spooled.decode] to
// decode and check under the limits the bundle was read with.
type spooled struct {
	r   *bufio.Reader
	lim *bundle.Limits
	buf []byte // frames back to back: a block for many
}

// next returns the next spooled frame, in a block of its own.
func (s *spooled) next() ([]byte, error) {
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return nil, fmt.Errorf("reading the spooled bundle: %w", err)
	}
	if n > maxStagedFrame {
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

// spoolBlock is the size of the blocks spooled frames are read into.
const spoolBlock = 256 << 10

// decode decodes a spooled frame. The bundle verified, so an entry that
// does not decode or crosses a limit is the producer's error, and comes
// back as is (wrapping [ErrMalformed] or [ErrLimit]).
func (s *spooled) decode(frame []byte) (*pb.Entry, error) {
	return bundle.DecodeFrame(frame, s.lim)
}

func uvarintLen(n uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], n)
}

// maxStagedFrame bounds a staged frame: the bundle reader's default limit
// (the database's limits never raise it).
var maxStagedFrame = uint64(bundle.DefaultLimits().MaxFrameBytes)
