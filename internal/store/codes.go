package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// BucketCodes holds the packed index codes: for each algorithm, the codes
// of the live items' signals, by item number, in chunks that Open copies
// into the in-memory indexes without decoding a record. It is written in
// the same transaction as the items it describes; Meta.codes_seq says up
// to which change it is complete.
//
//	codes: algorithm byte, big-endian uint64 chunk number → chunk
//
// Chunk c of an algorithm holds the signals of items numbered
// c<<CodesChunkShift up to (c+1)<<CodesChunkShift - 1.
var BucketCodes = []byte("codes")

// CodesChunkShift sets the item numbers per chunk: 256, so that a chunk of
// PDQ codes is about 10 KiB, which one Put rewrites, and 10M items make
// 40,000 chunks, which Open reads in a few thousand page reads.
const CodesChunkShift = 8

// CodesKey encodes the key of chunk c of algorithm alg.
func CodesKey(alg byte, c uint64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, 9), alg), c)
}

// ParseCodesKey decodes a codes bucket key. Errors wrap [ErrCorrupt].
func ParseCodesKey(k []byte) (alg byte, c uint64, err error) {
	if len(k) != 9 {
		return 0, 0, fmt.Errorf("%w: codes key %x: %d bytes, want 9", ErrCorrupt, k, len(k))
	}
	return k[0], binary.BigEndian.Uint64(k[1:]), nil
}

// castagnoli is the CRC-32C table: hardware-accelerated on amd64 and
// arm64, so checking every chunk at Open costs little next to copying it.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// A chunk is a CRC-32C of the rest (4 bytes, little-endian), then its
// entries in ascending id order, each an id and the code's w words, all
// little-endian uint64s: the in-memory form, so reading is a copy.

// AppendChunk appends the chunk of the given ids, ascending, and their
// codes, w words each, to dst.
func AppendChunk(dst []byte, ids, codes []uint64, w int) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for i, id := range ids {
		dst = binary.LittleEndian.AppendUint64(dst, id)
		for _, c := range codes[i*w : (i+1)*w] {
			dst = binary.LittleEndian.AppendUint64(dst, c)
		}
	}
	binary.LittleEndian.PutUint32(dst[start:], crc32.Checksum(dst[start+4:], castagnoli))
	return dst
}

// ChunkLen returns the number of entries of chunk v of w-word codes, after
// checking its length (not its checksum: see [ReadChunk]).
func ChunkLen(v []byte, w int) (int, error) {
	size := 8 * (1 + w)
	if len(v) < 4 || (len(v)-4)%size != 0 {
		return 0, fmt.Errorf("%w: codes chunk of %d bytes is not a whole number of %d-byte entries", ErrCorrupt, len(v), size)
	}
	return (len(v) - 4) / size, nil
}

// ReadChunk checks chunk v of w-word codes — its length, its checksum and
// that its ids ascend — and appends its ids and codes to ids and codes.
// On error it returns ids and codes as they were. Errors wrap
// [ErrCorrupt].
func ReadChunk(v []byte, w int, ids, codes []uint64) ([]uint64, []uint64, error) {
	n, err := ChunkLen(v, w)
	if err != nil {
		return ids, codes, err
	}
	if got, want := crc32.Checksum(v[4:], castagnoli), binary.LittleEndian.Uint32(v); got != want {
		return ids, codes, fmt.Errorf("%w: codes chunk checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	i0, c0 := len(ids), len(codes)
	p := v[4:]
	for e := range n {
		id := binary.LittleEndian.Uint64(p)
		if e > 0 && id <= ids[len(ids)-1] {
			return ids[:i0], codes[:c0], fmt.Errorf("%w: codes chunk: id %d after %d", ErrCorrupt, id, ids[len(ids)-1])
		}
		ids = append(ids, id)
		for j := range w {
			codes = append(codes, binary.LittleEndian.Uint64(p[8+8*j:]))
		}
		p = p[8*(1+w):]
	}
	return ids, codes, nil
}
