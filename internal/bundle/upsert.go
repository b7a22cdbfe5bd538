package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// Encode-once upserts.
//
// Exporting an item took two encodings: one for its ItemHash, which the
// exporter needs first to decide whether to send the item, and one inside
// its frame. The frame of an upsert is the item's encoding behind three
// length-delimited wrappers (the frame's length, Frame.entry, Entry.upsert),
// and the deterministic encoding of a message is the same alone or nested,
// so one encoding serves both: AppendUpsert writes the wrappers around it
// and WriteFrame writes the result.

// upsertRoom is room for the wrappers of an upsert's frame: two tags and
// three lengths.
const upsertRoom = 2 + 3*binary.MaxVarintLen64

// AppendUpsert appends to dst the frame [Writer.Write] would write for an
// upsert of it, byte for byte, encoding it once, and returns the extended
// buffer and the item's [ItemHash]. Write the frame, buf[len(dst):], with
// [Writer.WriteFrame]. It checks it as Write does, under the writer's
// limits, and its errors are Write's; on error it returns dst unchanged. It
// does not allocate when dst has room, unless its signals or labels are
// out of canonical order (then ItemHash sorts a copy, while the frame
// carries them as they are, as Write does).
//
// It reads nothing of w but its limits, so it may run on another goroutine
// while w writes.
func (w *Writer) AppendUpsert(dst []byte, it *pb.Item) (buf []byte, hash [32]byte, err error) {
	if err := checkItem(it, &w.lim); err != nil {
		return dst, hash, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	start := len(dst)
	b, err := canonical.MarshalAppend(append(dst, make([]byte, upsertRoom)...), it)
	if err != nil {
		return dst, hash, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	item := b[start+upsertRoom:]
	if canonicalOrder(it) {
		hash = sha256.Sum256(item)
	} else {
		hash = ItemHash(it)
	}
	n := len(item)
	entry := 1 + protowire.SizeBytes(n)
	frame := 1 + protowire.SizeBytes(entry)
	if frame > w.lim.MaxFrameBytes {
		return dst, [32]byte{}, fmt.Errorf("%w: %w: a frame of %d bytes, more than %d", ErrInvalid, ErrLimit, frame, w.lim.MaxFrameBytes)
	}
	var wrap [upsertRoom]byte
	h := protowire.AppendVarint(wrap[:0], uint64(frame))
	h = append(h, tagFrameEntry)
	h = protowire.AppendVarint(h, uint64(entry))
	h = append(h, tagEntryUpsert)
	h = protowire.AppendVarint(h, uint64(n))
	// Close the gap between the wrappers and the item.
	copy(b[start+len(h):], item)
	copy(b[start:], h)
	return b[:start+len(h)+n], hash, nil
}

// WriteFrame adds to the bundle an entry frame made by
// [Writer.AppendUpsert], as [Writer.Write] would have added the entry. It
// checks that frame is one whole entry frame within the limits, but not
// the entry inside, which AppendUpsert checked: a frame from elsewhere, or
// from a writer with looser limits, may make a bundle a reader refuses.
// The error wraps [ErrInvalid] for a frame it refuses, which leaves the
// bundle intact; after any other error the bundle is unusable.
func (w *Writer) WriteFrame(frame []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.entries >= uint64(w.lim.MaxEntries) {
		return fmt.Errorf("%w: %w: more than %d entries", ErrInvalid, ErrLimit, w.lim.MaxEntries)
	}
	n, p := protowire.ConsumeVarint(frame)
	switch {
	case p < 0 || n != uint64(len(frame)-p) || p != protowire.SizeVarint(n):
		// A longer length than needed would be rewritten by a reader, which
		// hashes the frame as it reads it: the signature would fail.
		return fmt.Errorf("%w: not one frame behind its shortest length", ErrInvalid)
	case n > uint64(w.lim.MaxFrameBytes):
		return fmt.Errorf("%w: %w: a frame of %d bytes, more than %d", ErrInvalid, ErrLimit, n, w.lim.MaxFrameBytes)
	}
	// A Frame holding an Entry holding one change: upsert, retract or
	// opinion (fields 1 to 3).
	num, body, err := frameField(frame[p:])
	var change protowire.Number
	if err == nil && num == fieldEntry {
		change, _, err = soleField(body)
	}
	if err != nil || num != fieldEntry || change < 1 || change > 3 {
		return fmt.Errorf("%w: not an entry frame", ErrInvalid)
	}
	if err := w.put(frame, true); err != nil {
		return err
	}
	w.entries++
	return w.sealIfDue()
}
