package bundle

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// DecodeFrame decodes one entry frame as [Reader.Frame] returns it: a
// length prefix and the encoded frame, nothing before or after. It checks
// the framing and that the frame holds an entry, not the entry's contents:
// it is for bytes a Reader has already checked, staged and read back.
// The error wraps [ErrMalformed].
func DecodeFrame(frame []byte) (*pb.Entry, error) {
	n, w := binary.Uvarint(frame)
	if w <= 0 || n != uint64(len(frame)-w) {
		return nil, fmt.Errorf("%w: a staged frame with a bad length prefix", ErrMalformed)
	}
	var f pb.Frame
	if err := proto.Unmarshal(frame[w:], &f); err != nil {
		return nil, fmt.Errorf("%w: a staged frame that does not decode: %v", ErrMalformed, err)
	}
	e := f.GetEntry()
	if e == nil {
		return nil, fmt.Errorf("%w: a staged frame that is not an entry", ErrMalformed)
	}
	return e, nil
}
