package store

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Record keys. Every variable-length part that is followed by another is
// length-prefixed, so no key is a prefix of another's parts and a prefix
// scan finds exactly what it asks for.
//
//	items:    uvarint(len source) source id [0x00 via]
//	numbers:  big-endian uint64 item number      → item key
//	changes:  big-endian uint64 sequence number
//	peers:    id
//
// An item key with a via part names a re-shared copy: the source's item
// as the peer via sent it, kept apart from the source's own copy. Ids
// hold no control characters, so the 0x00 that starts the via part is
// unambiguous, and the copies of an item sort right after it.

// ItemKey encodes (source, id) as the items bucket's key.
func ItemKey(source, id string) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(source)+len(id))
	return AppendItemKey(b, source, id)
}

// CopyKey encodes the key of the copy of (source, id) that peer via
// re-shared; an empty via gives the ItemKey.
func CopyKey(source, id, via string) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(source)+len(id)+1+len(via))
	b = AppendItemKey(b, source, id)
	if via == "" {
		return b
	}
	b = append(b, 0)
	return append(b, via...)
}

// AppendItemKey appends the items bucket's key of (source, id) to b.
func AppendItemKey(b []byte, source, id string) []byte {
	b = binary.AppendUvarint(b, uint64(len(source)))
	b = append(b, source...)
	return append(b, id...)
}

// SourcePrefix is the items bucket's key prefix of every item of source.
func SourcePrefix(source string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(source)))
	return append(b, source...)
}

// ParseItemKey decodes an items bucket key; via is empty for a source's
// own copy. It checks the layout only; what makes a source or an id valid
// is the caller's rule. Errors wrap [ErrCorrupt].
func ParseItemKey(b []byte) (source, id, via string, err error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", "", "", fmt.Errorf("%w: item key %q: bad source length", ErrCorrupt, b)
	}
	source, id = string(b[w:w+int(n)]), string(b[w+int(n):])
	if i := strings.IndexByte(id, 0); i >= 0 {
		id, via = id[:i], id[i+1:]
		if via == "" {
			return "", "", "", fmt.Errorf("%w: item key %q: empty via", ErrCorrupt, b)
		}
	}
	return source, id, via, nil
}

// SeqKey encodes a change sequence number as the changes bucket's key.
func SeqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// NumKey encodes an item number as the numbers bucket's key. Numbers come
// from the items bucket's sequence, so new keys append.
func NumKey(num uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), num) }

// Opinion keys: the target's prefix, then the organisation.
//
//	opinions: 'k' uvarint(len itemkey) itemkey org | 's' algorithm value org

// ItemOpinionPrefix is the opinions bucket's key prefix of every opinion
// on the item whose encoded key is ik.
func ItemOpinionPrefix(ik []byte) []byte {
	b := append(make([]byte, 0, 1+binary.MaxVarintLen64+len(ik)), 'k')
	b = binary.AppendUvarint(b, uint64(len(ik)))
	return append(b, ik...)
}

// SignalOpinionPrefix is the opinions bucket's key prefix of every opinion
// on the signal of algorithm number alg and value v.
func SignalOpinionPrefix(alg byte, v []byte) []byte {
	return append([]byte{'s', alg}, v...)
}
