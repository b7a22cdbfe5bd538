package hashdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hashshare/hashshare/internal/bundle"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// ImportOptions configure [DB.Import]. A nil *ImportOptions means the
// defaults.
type ImportOptions struct {
	// TempDir is where the bundle is staged while its signature is
	// checked; "" means os.TempDir. It needs room for the uncompressed
	// bundle.
	TempDir string
	// MaxEntries is the most entries a bundle may carry; 0 means 50
	// million.
	MaxEntries int64
	// MaxBytes is the most bytes a bundle may hold uncompressed; 0 means 16
	// GiB.
	MaxBytes int64
	// Producer, if set, is the only peer whose bundle is accepted: one
	// from another fails, before anything is read past its header, with
	// an error wrapping ErrUnknownPeer.
	Producer string
}

// An ImportResult describes an imported bundle.
type ImportResult struct {
	// Peer is the producer.
	Peer string
	// Full reports a FULL bundle, which replaced what the database held
	// from the peer.
	Full bool
	// Checkpoint is the peer's checkpoint after the import.
	Checkpoint Checkpoint
	// Entries is the number of entries in the bundle.
	Entries uint64
	// Refused counts items the bundle carried that were not stored: beyond
	// the peer's Policy, the local organisation's own items, or another
	// organisation's items above GREEN.
	Refused int
	// Unchanged reports that the bundle was the last one imported from the
	// peer, so importing it again changed nothing.
	Unchanged bool
}

// Import reads a bundle from r and applies it, all or nothing. The
// producer must be a peer, and the bundle signed with one of its keys
// that is not revoked. Opinions land as the producer's. What the peer's
// Policy does not accept is counted in Refused and not stored; an item
// the producer sends that the policy refuses, and that the database held
// from it, is retracted.
//
// An item's source is its authority, whatever the producer's own
// database allowed (a hostile peer can mint any item in its own file):
//
//   - The producer's own items land under their key, replacing what it
//     sent before; only the producer can retract them.
//   - An item of another source that the producer re-shares is a copy,
//     kept apart under the same Source and ID with Key.Via naming the
//     producer. It never replaces, downgrades or retracts what the
//     database holds from the source itself, nor the local
//     organisation's items; while the source's own copy is held
//     (retracted or not) the re-shared copy does not match; and it is
//     never exported onward, since it is the producer's word, not the
//     source's.
//   - A producer's retraction of another source's item, or its FULL
//     bundle's lack of one, withdraws only the producer's copy, and only
//     if the database received that copy from it.
//
// Nothing is applied before the whole bundle has been read and its
// signature verified: Import stages the stream in a temporary file,
// checking it as it reads, and applies it from there. Import is all or
// nothing: a bad signature, an unknown producer or key, a truncated or
// malformed stream, an entry the database cannot store, a delta that does
// not follow the peer's checkpoint ([ErrSequenceGap]), an older bundle
// ([ErrReplay]) or a result that would disagree with the producer's set
// digest ([ErrDiverged]) leaves the database exactly as it was. Importing
// the last bundle again changes nothing. A FULL bundle replaces what the
// database held from the peer: items it lacks are retracted.
//
// Import's memory does not grow with the bundle: it stages the bundle on
// disk, and applies it in transactions of a bounded size that readers do
// not see until the last commits (a failure, or a crash, undoes the
// others; see [Open]). What grows is the database's in-memory index, by
// what the new items add to it. It holds the write lock while it applies.
func (db *DB) Import(ctx context.Context, r io.Reader, opts *ImportOptions) (ImportResult, error) {
	res, err := db.importBundle(ctx, r, opts)
	if err != nil {
		return ImportResult{}, opError("import", err)
	}
	return res, nil
}

func (db *DB) importBundle(ctx context.Context, r io.Reader, opts *ImportOptions) (ImportResult, error) {
	if opts == nil {
		opts = &ImportOptions{}
	}
	keys := func(producer, keyID string) (ed25519.PublicKey, error) {
		if opts.Producer != "" && producer != opts.Producer {
			return nil, fmt.Errorf("%w: the bundle is %q's, only %q's are accepted", ErrUnknownPeer, producer, opts.Producer)
		}
		p, err := db.Peer(producer)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w %q", ErrUnknownPeer, producer)
		}
		if err != nil {
			return nil, err
		}
		return p.key(keyID)
	}
	lim := db.bundleLimits(opts)
	br, err := bundle.NewReader(r, keys, lim)
	if err != nil {
		return ImportResult{}, err
	}
	h := br.Header()
	if a := h.GetAudience(); a != "" && a != db.opts.Organization {
		return ImportResult{}, fmt.Errorf("%w: for %q, this is %q", ErrAudience, a, db.opts.Organization)
	}
	spool, err := bundle.NewSpool(ctx, br, opts.TempDir)
	if err != nil {
		return ImportResult{}, err
	}
	defer spool.Close()
	// The bundle is verified: from here on its contents are the producer's.
	res := ImportResult{Peer: h.GetProducer(), Full: h.GetKind() == pb.BundleKind_BUNDLE_KIND_FULL, Entries: br.Entries()}
	digest := br.Digest()
	if p, err := db.Peer(res.Peer); err == nil && bytes.Equal(p.Checkpoint.BundleDigest, digest[:]) {
		res.Checkpoint, res.Unchanged = p.Checkpoint, true
		return res, nil
	}
	err = db.updateStaged(ctx, func(w *writer) error {
		im := &importer{db: db, w: w, h: h, digest: digest, want: br.SetDigest(), res: &res}
		return im.run(ctx, spool)
	})
	return res, err
}

// importer applies one verified bundle inside a staged write.
type importer struct {
	db     *DB
	w      *writer
	h      *pb.Header
	digest bundle.Digest
	want   bundle.SetDigest
	res    *ImportResult
	peer   Peer
	// recv is what this database holds from the peer, as the import
	// changes it. A FULL bundle builds it anew (swapped in at the end)
	// and old is the set it replaces; a delta changes it in place, undone
	// if the import fails.
	recv *store.Bucket
	old  *store.Bucket
	set  bundle.SetDigest
	gen  uint64
	// last is the greatest key a FULL bundle's new set holds so far: a
	// bundle in key order, as Export writes them, never finds a key
	// there already, so there is no need to look.
	last []byte
}

func (im *importer) run(ctx context.Context, st *bundle.Spool) error {
	var err error
	producer := im.h.GetProducer()
	if im.peer, err = loadPeer(im.w.peers(), producer); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w %q", ErrUnknownPeer, producer)
		}
		return err
	}
	if err := im.follows(); err != nil {
		return err
	}
	name := []byte(producer)
	if err := im.w.t.Create(store.BucketReceived, name); err != nil {
		return err
	}
	im.recv = im.w.t.Undoable(store.BucketReceived, name)
	im.gen = store.ParseGeneration(im.recv.Get(store.KeyGeneration)) + 1
	if im.res.Full {
		im.old = im.w.t.Bucket(store.BucketReceived, name)
		if im.recv, err = im.w.t.Swap(store.BucketReceived, name); err != nil {
			return err
		}
	} else if im.set, err = setDigest(im.recv); err != nil {
		return err
	}
	if err := im.recv.Put(store.KeyGeneration, binary.BigEndian.AppendUint64(nil, im.gen)); err != nil {
		return err
	}

	// Decoding, converting and hashing the entries runs on its own
	// goroutine, ahead of the writes, which are what must run in turn.
	entries := prepare(st, &preparer{o: im.db.opts, producer: producer, nowNs: im.w.nowNs, actor: im.w.actor}, im.res.Entries)
	defer entries.Close()
	n := uint64(0)
	for batch := entries.Next(); batch != nil; batch = entries.Next() {
		for i := range batch {
			n++
			if batch[i].err != nil {
				return fmt.Errorf("entry %d: %w", n, batch[i].err)
			}
			if err := im.apply(&batch[i]); err != nil {
				return fmt.Errorf("entry %d: %w", n, err)
			}
			if _, err := im.w.step(); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if n != im.res.Entries {
		// Only a cancelled ctx stops the pipeline early without an error.
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("reading the spooled bundle: %d entries of %d", n, im.res.Entries)
	}
	if im.res.Full {
		if err := im.sweep(); err != nil {
			return err
		}
	}
	if im.set != im.want {
		return fmt.Errorf("%w: the producer's set digest is %v, ours would be %v (ask %s for a FULL bundle)", ErrDiverged, im.want, im.set, producer)
	}
	if im.res.Full {
		if im.recv, err = im.w.t.SwapIn(store.BucketReceived, name); err != nil {
			return err
		}
	}
	if err := im.recv.Put(store.KeySetDigest, im.set[:]); err != nil {
		return err
	}
	im.peer.Checkpoint = Checkpoint{Seq: im.h.GetToSeq(), BundleDigest: im.digest[:], Time: fromUnixNano(im.w.nowNs)}
	im.res.Checkpoint = im.peer.Checkpoint
	return storePeer(im.w.peers(), &im.peer)
}

// follows checks the bundle's place in the producer's sequence against the
// peer's checkpoint.
func (im *importer) follows() error {
	cp := im.peer.Checkpoint
	from, to := im.h.GetFromSeq(), im.h.GetToSeq()
	if im.res.Full {
		if to < cp.Seq {
			return fmt.Errorf("%w: a full bundle up to %d, but %d is imported", ErrReplay, to, cp.Seq)
		}
		return nil
	}
	prev := im.h.GetPreviousDigest()
	switch {
	case from < cp.Seq:
		return fmt.Errorf("%w: a delta after %d, but %d is imported", ErrReplay, from, cp.Seq)
	case from > cp.Seq:
		return fmt.Errorf("%w: a delta after %d, but only %d is imported", ErrSequenceGap, from, cp.Seq)
	case len(prev) != 0 && !bytes.Equal(prev, cp.BundleDigest):
		return fmt.Errorf("%w: the delta follows bundle %x, the last imported is %x", ErrSequenceGap, prev, cp.BundleDigest)
	}
	return nil
}
