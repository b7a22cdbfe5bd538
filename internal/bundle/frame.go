package bundle

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// The fields of a Frame (bundle.proto), and the tags of an entry's
// wrappers as [Writer.AppendUpsert] writes them.
const (
	fieldHeader  protowire.Number = 1
	fieldEntry   protowire.Number = 2
	fieldTrailer protowire.Number = 3
	fieldSeal    protowire.Number = 4

	tagFrameEntry  = byte(fieldEntry)<<3 | byte(protowire.BytesType) // Frame.entry
	tagEntryUpsert = 1<<3 | byte(protowire.BytesType)                // Entry.upsert
)

// frameField splits the encoding of a Frame into its one field, returning
// the field's number (header, entry or trailer) and the encoding of the
// message it holds. A writer puts exactly one field in a Frame; anything
// else (no field, two, an unknown number, the wrong wire type) is
// malformed. Protobuf decoding would accept two fields, merging them or
// keeping the last, so one entry could be spelt many ways and
// [Reader.NextFrame], which does not decode, could not tell what it holds.
func frameField(b []byte) (protowire.Number, []byte, error) {
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("%w: an empty frame", ErrMalformed)
	}
	num, v, err := soleField(b)
	switch {
	case err != nil:
		return 0, nil, fmt.Errorf("%w: a frame that does not decode: %v", ErrMalformed, err)
	case num < fieldHeader || num > fieldSeal:
		return 0, nil, fmt.Errorf("%w: unknown field %d in a frame", ErrMalformed, num)
	}
	return num, v, nil
}

// soleField parses b as exactly one length-delimited field.
func soleField(b []byte) (protowire.Number, []byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, nil, protowire.ParseError(n)
	}
	if typ != protowire.BytesType {
		return 0, nil, fmt.Errorf("field %d of wire type %d, want %d", num, typ, protowire.BytesType)
	}
	v, m := protowire.ConsumeBytes(b[n:])
	switch {
	case m < 0:
		return 0, nil, protowire.ParseError(m)
	case n+m != len(b):
		return 0, nil, fmt.Errorf("more than one field")
	}
	return num, v, nil
}

// DecodeFrame decodes one entry frame as [Reader.NextFrame] and
// [Reader.Frame] return it: a length prefix and a frame holding an entry,
// nothing before or after. It checks everything [Reader.Next] checks of an
// entry under lim (nil means [DefaultLimits]): the framing and frame size,
// the schema, unknown fields and enum values, and the per-item limits. So a
// caller may stage frames from NextFrame, which checks none of the entry,
// and decode them here once the bundle has verified, with the limits it
// read the bundle with, and lose no check. The error wraps [ErrMalformed]
// or [ErrLimit].
func DecodeFrame(frame []byte, lim *Limits) (*pb.Entry, error) {
	n, w := binary.Uvarint(frame)
	if w <= 0 || n != uint64(len(frame)-w) {
		return nil, fmt.Errorf("%w: a staged frame with a bad length prefix", ErrMalformed)
	}
	l := lim.withDefaults()
	if n > uint64(l.MaxFrameBytes) {
		return nil, fmt.Errorf("%w: a frame of %d bytes, more than %d", ErrLimit, n, l.MaxFrameBytes)
	}
	num, body, err := frameField(frame[w:])
	if err != nil {
		return nil, err
	}
	if num != fieldEntry {
		return nil, fmt.Errorf("%w: a staged frame that is not an entry", ErrMalformed)
	}
	e, err := decodeEntry(body, &l)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// decodeEntry decodes and checks the encoding of an entry: the one
// decoding of entries, for Reader.Next and DecodeFrame alike.
func decodeEntry(b []byte, lim *Limits) (*pb.Entry, error) {
	e := new(pb.Entry)
	if err := proto.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("%w: an entry that does not decode: %v", ErrMalformed, err)
	}
	if err := checkEntry(e, lim); err != nil {
		return nil, err
	}
	return e, nil
}
