package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// A Journal is what a staged write records before it writes anything:
// the last change and the last item number before it began. What lies
// beyond them is the write's, and goes if it is rolled back.
type Journal struct {
	Seq0 uint64 // the last sequence number before the write
	Num0 uint64 // the last item number before the write
}

// Encode returns the journal's record: seq0 and num0, big-endian.
func (j Journal) Encode() []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), j.Seq0)
	return binary.BigEndian.AppendUint64(v, j.Num0)
}

// DecodeJournal decodes a journal record. Errors wrap [ErrCorrupt].
func DecodeJournal(v []byte) (Journal, error) {
	if len(v) != 16 {
		return Journal{}, fmt.Errorf("%w: staged write journal of %d bytes", ErrCorrupt, len(v))
	}
	return Journal{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])}, nil
}

// Undo records: 0 when the key was absent, 1 followed by the old value.
const (
	undoAbsent  = 0
	undoPresent = 1
)

// appendUndo appends the undo record of a key whose value was old (nil:
// absent).
func appendUndo(b []byte, old []byte) []byte {
	if old == nil {
		return append(b, undoAbsent)
	}
	return append(append(b, undoPresent), old...)
}

// DecodeUndo decodes an undo record: the value the key had before the
// write, and whether it had one. Errors wrap [ErrCorrupt].
func DecodeUndo(u []byte) (old []byte, existed bool, err error) {
	switch {
	case len(u) == 1 && u[0] == undoAbsent:
		return nil, false, nil
	case len(u) > 0 && u[0] == undoPresent:
		return u[1:], true, nil
	}
	return nil, false, fmt.Errorf("%w: undo record %x", ErrCorrupt, u)
}

// undoTarget names the bucket at path in the undo bucket: a top-level
// bucket by its name, a nested one as parent "\x00" child.
func undoTarget(path [][]byte) []byte {
	return bytes.Join(path, []byte{0})
}

// undoPath is the inverse of undoTarget.
func undoPath(target []byte) [][]byte {
	parent, child, nested := bytes.Cut(target, []byte{0})
	if !nested {
		return [][]byte{parent}
	}
	return [][]byte{parent, child}
}

// RecordSeq returns the sequence number an items bucket value (a
// hashshare.v1.ItemRecord) carries in its field 3, without decoding the
// rest: what tells a [View] whether a staged write changed the item.
// Errors wrap [ErrCorrupt].
func RecordSeq(v []byte) (uint64, error) {
	var seq uint64
	for len(v) > 0 {
		num, typ, n := protowire.ConsumeTag(v)
		if n < 0 {
			return 0, fmt.Errorf("%w: item record: %v", ErrCorrupt, protowire.ParseError(n))
		}
		v = v[n:]
		if num == 3 && typ == protowire.VarintType {
			s, m := protowire.ConsumeVarint(v)
			if m < 0 {
				return 0, fmt.Errorf("%w: item record: %v", ErrCorrupt, protowire.ParseError(m))
			}
			seq, v = s, v[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, v)
		if m < 0 {
			return 0, fmt.Errorf("%w: item record: %v", ErrCorrupt, protowire.ParseError(m))
		}
		v = v[m:]
	}
	return seq, nil
}
