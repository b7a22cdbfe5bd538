package hashdb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/store"
)

// The packed codes.
//
// Open must not decode every item to build the indexes: at ten million
// items that took half a minute. So every commit also writes what the
// indexes hold — each live signal's id and code — into the codes bucket,
// chunked by item number (see [store.BucketCodes]), and Open copies the
// chunks into the indexes' arrays. The bucket is written in the same bbolt
// transactions as the items, and a staged write's rollback undoes it with
// them, so it cannot drift from them by itself.
//
// What it can be is missing or stale: written before this code existed,
// by another build that does not maintain it, or damaged. Its marker key
// records the database id, the last change the bucket includes and the
// number of entries of each algorithm; Open trusts the bucket only if the
// marker names this database and its last change, every chunk's checksum
// holds, and the entries add up. Any doubt means the old way — decode the
// items — and, opened for writing, a rebuild of the bucket.

// codesMarker is the codes bucket's marker key; chunk keys are 9 bytes.
var codesMarker = []byte("marker")

// A codesMark records the database, the last change and the entries per
// algorithm the codes bucket holds.
type codesMark struct {
	id      []byte
	seq     uint64
	entries [signal.SHA256 + 1]uint64
}

func (m *codesMark) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(len(m.id)))
	b = append(b, m.id...)
	b = binary.BigEndian.AppendUint64(b, m.seq)
	for _, n := range m.entries {
		b = binary.BigEndian.AppendUint64(b, n)
	}
	return b
}

// current reports whether m, read from the codes bucket, is of database
// id as of its last change seq: whether the bucket can be trusted.
func (m *codesMark) current(id []byte, seq uint64) bool {
	return bytes.Equal(m.id, id) && m.seq == seq
}

func decodeCodesMark(b []byte) (codesMark, bool) {
	var m codesMark
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) || len(b)-w-int(n) != 8*(1+len(m.entries)) {
		return m, false
	}
	m.id = b[w : w+int(n)]
	p := b[w+int(n):]
	m.seq = binary.BigEndian.Uint64(p)
	for i := range m.entries {
		m.entries[i] = binary.BigEndian.Uint64(p[8+8*i:])
	}
	return m, true
}

// chunkOf returns the codes chunk holding signal id.
func chunkOf(id uint64) uint64 { return id >> posBits >> store.CodesChunkShift }

// A codeEdit is one op of an index delta: id gets the code at offset at
// of the delta's codes, or leaves (at < 0).
type codeEdit struct {
	id uint64
	at int
}

// codesWriter writes a write's index delta into the codes bucket as the
// write goes: before each intermediate commit of a staged write, and at
// its end.
type codesWriter struct {
	bucket  *store.Bucket
	done    [signal.SHA256 + 1]struct{ ops, codes int } // how much of the delta is written
	mark    codesMark
	edits   []codeEdit
	ids     []uint64 // a chunk's entries, old and new
	codes   []uint64
	newIDs  []uint64
	newCode []uint64
}

// flushCodes writes the part of the delta not yet written.
func (w *writer) flushCodes() error {
	c := &w.cw
	for a := range w.delta {
		d, done := &w.delta[a], &c.done[a]
		if done.ops == len(d.ops) {
			continue
		}
		wd := codeBits(signal.Algorithm(a)) / 64
		codes := d.codes[done.codes:]
		c.edits = c.edits[:0]
		off := 0
		for _, op := range d.ops[done.ops:] {
			if op&removeBit != 0 {
				c.edits = append(c.edits, codeEdit{id: op &^ removeBit, at: -1})
				continue
			}
			c.edits = append(c.edits, codeEdit{id: op, at: off})
			off += wd
		}
		byID := func(x, y codeEdit) int { return cmp.Compare(x.id, y.id) }
		if !slices.IsSortedFunc(c.edits, byID) {
			slices.SortStableFunc(c.edits, byID) // stable: an id's last op stays last
		}
		for i := 0; i < len(c.edits); {
			j := i + 1
			for j < len(c.edits) && chunkOf(c.edits[j].id) == chunkOf(c.edits[i].id) {
				j++
			}
			if err := w.writeChunk(signal.Algorithm(a), c.edits[i:j], codes, wd); err != nil {
				return err
			}
			i = j
		}
		done.ops, done.codes = len(d.ops), len(d.codes)
	}
	return nil
}

// writeChunk applies edits, sorted by id and all in one chunk, to that
// chunk of algorithm a.
func (w *writer) writeChunk(a signal.Algorithm, edits []codeEdit, codes []uint64, wd int) error {
	c := &w.cw
	key := store.CodesKey(byte(a), chunkOf(edits[0].id))
	c.ids, c.codes = c.ids[:0], c.codes[:0]
	if old := c.bucket.Get(key); old != nil {
		var err error
		if c.ids, c.codes, err = store.ReadChunk(old, wd, c.ids, c.codes); err != nil {
			return fmt.Errorf("%w: %s codes chunk %d: %w", ErrCorrupt, a, chunkOf(edits[0].id), err)
		}
	}
	before := len(c.ids)
	// Merge the old entries with the edits, an id's last edit winning.
	c.newIDs, c.newCode = c.newIDs[:0], c.newCode[:0]
	i := 0
	for e := 0; e < len(edits); e++ {
		if e+1 < len(edits) && edits[e+1].id == edits[e].id {
			continue
		}
		ed := edits[e]
		for i < len(c.ids) && c.ids[i] < ed.id {
			c.newIDs = append(c.newIDs, c.ids[i])
			c.newCode = append(c.newCode, c.codes[i*wd:(i+1)*wd]...)
			i++
		}
		if i < len(c.ids) && c.ids[i] == ed.id {
			i++ // replaced or removed
		}
		if ed.at >= 0 {
			c.newIDs = append(c.newIDs, ed.id)
			c.newCode = append(c.newCode, codes[ed.at:ed.at+wd]...)
		}
	}
	c.newIDs = append(c.newIDs, c.ids[i:]...)
	c.newCode = append(c.newCode, c.codes[i*wd:]...)
	c.mark.entries[a] += uint64(len(c.newIDs))
	c.mark.entries[a] -= uint64(before)
	if len(c.newIDs) == 0 {
		if before == 0 {
			return nil
		}
		return c.bucket.Delete(key)
	}
	v := w.t.Alloc(4 + len(c.newIDs)*8*(1+wd))
	return c.bucket.Put(key, store.AppendChunk(v[:0], c.newIDs, c.newCode, wd))
}

// finishCodes writes the rest of the delta and the marker, once the
// write's last change is known.
func (w *writer) finishCodes() error {
	if err := w.flushCodes(); err != nil {
		return err
	}
	if w.meta.GetLastSeq() == w.seq0 {
		return nil
	}
	w.cw.mark.seq = w.meta.GetLastSeq()
	return w.cw.bucket.Put(codesMarker, w.cw.mark.encode())
}

// startCodes readies w to keep the codes bucket, reading its marker.
func (w *writer) startCodes() error {
	w.cw.bucket = w.t.Undoable(store.BucketCodes)
	m, ok := decodeCodesMark(w.cw.bucket.Get(codesMarker))
	if !ok || !m.current(w.db.id, w.seq0) {
		return fmt.Errorf("%w: the packed index codes are not those of the last change (reopen the database to rebuild them)", ErrCorrupt)
	}
	m.id = w.db.id
	w.cw.mark = m
	return nil
}
