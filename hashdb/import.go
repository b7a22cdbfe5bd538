package hashdb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

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
// that is not revoked. Items land under their own source (the producer's,
// or for items it re-shares, the original source), and opinions as the
// producer's. What the peer's Policy does not accept is counted in
// Refused and not stored; an item the producer sends that the policy
// refuses, and that the database held from it, is retracted.
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
		return ImportResult{}, fmt.Errorf("hashdb: import: %w", err)
	}
	return res, nil
}

func (db *DB) importBundle(ctx context.Context, r io.Reader, opts *ImportOptions) (ImportResult, error) {
	if opts == nil {
		opts = &ImportOptions{}
	}
	keys := func(producer, keyID string) (ed25519.PublicKey, error) {
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
	spool, err := os.CreateTemp(opts.TempDir, "hashshare-import-*")
	if err != nil {
		return ImportResult{}, err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if err := stage(ctx, br, spool); err != nil {
		return ImportResult{}, err
	}
	// The bundle is verified: from here on its contents are the producer's.
	res := ImportResult{Peer: h.GetProducer(), Full: h.GetKind() == pb.BundleKind_BUNDLE_KIND_FULL, Entries: br.Entries()}
	digest := br.Digest()
	if p, err := db.Peer(res.Peer); err == nil && bytes.Equal(p.Checkpoint.BundleDigest, digest[:]) {
		res.Checkpoint, res.Unchanged = p.Checkpoint, true
		return res, nil
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return ImportResult{}, err
	}
	err = db.updateStaged(ctx, func(w *writer) error {
		im := &importer{db: db, w: w, h: h, digest: digest, want: br.SetDigest(), res: &res}
		return im.run(ctx, &spooled{r: bufio.NewReaderSize(spool, 256<<10), lim: lim})
	})
	return res, err
}

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

// spooled reads back the frames stage wrote, one buffer reused for all,
// and decodes and checks them under the limits the bundle was read with.
type spooled struct {
	r   *bufio.Reader
	lim *bundle.Limits
	buf []byte
}

// next returns the next spooled entry. The bundle verified, so an entry
// that does not decode or crosses a limit is the producer's error, and
// comes back as is (wrapping [ErrMalformed] or [ErrLimit]).
func (s *spooled) next() (*pb.Entry, error) {
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return nil, fmt.Errorf("reading the spooled bundle: %w", err)
	}
	if n > maxStagedFrame {
		return nil, fmt.Errorf("reading the spooled bundle: a frame of %d bytes", n)
	}
	p := uvarintLen(n)
	if need := p + int(n); cap(s.buf) < need {
		s.buf = make([]byte, need)
	}
	b := s.buf[:p+int(n)]
	binary.PutUvarint(b, n)
	if _, err := io.ReadFull(s.r, b[p:]); err != nil {
		return nil, fmt.Errorf("reading the spooled bundle: %w", err)
	}
	return bundle.DecodeFrame(b, s.lim)
}

func uvarintLen(n uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], n)
}

// maxStagedFrame bounds a staged frame: the bundle reader's default limit
// (the database's limits never raise it).
var maxStagedFrame = uint64(bundle.DefaultLimits().MaxFrameBytes)

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

func (im *importer) run(ctx context.Context, st *spooled) error {
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
	if v := im.recv.Get(keyGeneration); len(v) == 8 {
		im.gen = binary.BigEndian.Uint64(v)
	}
	im.gen++
	if im.res.Full {
		im.old = im.w.t.Bucket(store.BucketReceived, name)
		if im.recv, err = im.w.t.Swap(store.BucketReceived, name); err != nil {
			return err
		}
	} else if im.set, err = setDigest(im.recv); err != nil {
		return err
	}
	if err := im.recv.Put(keyGeneration, binary.BigEndian.AppendUint64(nil, im.gen)); err != nil {
		return err
	}

	// Decoding, converting and hashing the entries runs on its own
	// goroutine, ahead of the writes, which are what must run in turn.
	batches, stop := prepare(ctx, st, &preparer{o: im.db.opts, nowNs: im.w.nowNs, actor: im.w.actor}, im.res.Entries)
	defer stop()
	n := uint64(0)
	for batch := range batches {
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
		// Only a cancelled ctx stops prepare early without an error.
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
	if err := im.recv.Put(keySetDigest, im.set[:]); err != nil {
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

// An entry is one staged entry, decoded and, for an upsert, converted,
// normalized and hashed: all that does not need the transaction.
type entry struct {
	e    *pb.Entry
	it   Item
	ik   []byte
	hash [32]byte
	pre  preEncoded
	err  error // from reading the entry back: ends the import
	bad  error // from converting the item: the entry's own error
}

// A preparer is what prepare needs to know of the write.
type preparer struct {
	o     Options
	nowNs int64
	actor string
}

// prepareBatch is how many entries prepare hands over at a time.
const prepareBatch = 256

// prepareAhead is how many batches prepare may run ahead of the writer:
// enough to keep preparing while the writer waits for a commit to reach
// the disk (16k entries, a few MB).
const prepareAhead = 64

// prepare reads the n staged entries of st on a goroutine and sends them
// prepared, in order and in batches. It stops at the first error, sent as
// the last entry, or when ctx is cancelled. stop, to be called once, ends
// it early and waits for it, so st is not read after stop returns.
func prepare(ctx context.Context, st *spooled, p *preparer, n uint64) (batches <-chan []entry, stop func()) {
	ch := make(chan []entry, prepareAhead)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(ch)
		batch := make([]entry, 0, prepareBatch)
		for i := uint64(0); i < n; i++ {
			var en entry
			en.e, en.err = st.next()
			if en.err == nil {
				if it := en.e.GetUpsert(); it != nil {
					en.prepareItem(it, p)
				}
			}
			batch = append(batch, en)
			if len(batch) == cap(batch) || i == n-1 || en.err != nil {
				select {
				case ch <- batch:
				case <-done:
					return
				case <-ctx.Done():
					return
				}
				if en.err != nil {
					return
				}
				batch = make([]entry, 0, prepareBatch)
			}
		}
	}()
	return ch, func() {
		close(done)
		<-finished
	}
}

// prepareItem converts, hashes and pre-encodes the upserted item p.
func (en *entry) prepareItem(p *pb.Item, pr *preparer) {
	it, err := itemFromProto(p)
	if err == nil {
		it, err = pr.o.normalize(it)
	}
	if err != nil {
		en.bad = fmt.Errorf("%w: %s/%s: %v", ErrInvalidItem, p.GetSource(), p.GetId(), err)
		return
	}
	en.it, en.ik, en.hash = it, itemKey(it.Key), bundle.ItemHash(p)
	en.pre = preEncode(it, pr.nowNs, pr.actor)
}

func (im *importer) apply(en *entry) error {
	e := en.e
	switch c := e.GetChange().(type) {
	case *pb.Entry_Upsert:
		if en.bad != nil {
			return en.bad
		}
		return im.upsert(en)
	case *pb.Entry_Retract:
		k := Key{Source: c.Retract.GetItem().GetSource(), ID: c.Retract.GetItem().GetId()}
		if err := k.validate(); err != nil {
			return fmt.Errorf("%w: retraction of %s: %v", ErrInvalidItem, k, err)
		}
		if err := im.db.opts.validateText("retract reason", c.Retract.GetReason()); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidItem, k, err)
		}
		ik := itemKey(k)
		held, err := im.untrack(ik)
		if err != nil {
			return err
		}
		if held || k.Source == im.peer.ID {
			return im.retract(ik, c.Retract.GetReason())
		}
		return nil
	case *pb.Entry_Opinion:
		return im.opinion(c.Opinion)
	}
	return fmt.Errorf("%w: empty entry", ErrMalformed)
}

func (im *importer) upsert(en *entry) error {
	it := &en.it
	if err := im.track(en.ik, en.hash); err != nil {
		return err
	}
	if im.refuses(it) {
		im.res.Refused++
		if it.Source == im.peer.ID {
			return im.retract(en.ik, "refused by the local policy for "+im.peer.ID)
		}
		return nil
	}
	_, err := im.w.putItemPre(*it, en.ik, &en.pre)
	return err
}

// refuses reports whether it may not be stored.
func (im *importer) refuses(it *Item) bool {
	pol := &im.peer.Policy
	switch {
	case it.Source == im.db.opts.Organization:
		return true // a partner does not rewrite the local organisation's items
	case it.Source != im.peer.ID && it.TLP > TLPGreen:
		return true // re-shared beyond what its level allows
	case pol.MaxTLP == 0 || it.TLP > pol.MaxTLP:
		return true
	case len(pol.Labels) > 0:
		return !slices.ContainsFunc(pol.Labels, func(l string) bool {
			_, ok := slices.BinarySearch(it.Labels, l)
			return ok
		})
	}
	return false
}

// track records that the peer holds the item with key ik, hashing to h.
func (im *importer) track(ik []byte, h [32]byte) error {
	fresh := im.old != nil && bytes.Compare(ik, im.last) > 0
	if fresh {
		im.last = ik
	}
	var v []byte
	if !fresh {
		v = im.recv.Get(ik)
	}
	// Put replaces a held record: no need to delete it first.
	if v != nil {
		if len(v) != 40 {
			return fmt.Errorf("%w: received record %q of %d bytes", ErrCorrupt, ik, len(v))
		}
		im.set.Sub([32]byte(v[8:]))
	}
	im.set.Add(h)
	rec := binary.BigEndian.AppendUint64(im.w.t.Alloc(40)[:0], im.gen)
	return im.recv.Put(ik, append(rec, h[:]...))
}

// untrack forgets the item with key ik, reporting whether the database
// held it from the peer.
func (im *importer) untrack(ik []byte) (bool, error) {
	v := im.recv.Get(ik)
	if v == nil {
		// A FULL bundle's retraction of an item held before.
		return im.old != nil && im.old.Get(ik) != nil, nil
	}
	if len(v) != 40 {
		return false, fmt.Errorf("%w: received record %q of %d bytes", ErrCorrupt, ik, len(v))
	}
	im.set.Sub([32]byte(v[8:]))
	return true, im.recv.Delete(ik)
}

// retract withdraws the stored item with key ik, unless it is the local
// organisation's or already withdrawn.
func (im *importer) retract(ik []byte, reason string) error {
	r, ok, err := im.w.load(ik)
	if err != nil || !ok || r.Retracted || r.Source == im.db.opts.Organization {
		return err
	}
	r.Retracted, r.RetractReason = true, reason
	_, err = im.w.putItem(r.Item)
	return err
}

// sweep retracts what a FULL bundle did not carry: every item held from
// the peer before that the new set lacks.
func (im *importer) sweep() error {
	if im.old == nil {
		return nil
	}
	c := im.old.Cursor()
	for k, _ := c.Seek([]byte{1}); k != nil; k, _ = c.Next() { // after the "\x00" records
		if im.recv.Get(k) != nil {
			continue
		}
		if err := im.retract(bytes.Clone(k), "not in "+im.peer.ID+"'s full bundle"); err != nil {
			return err
		}
		if _, err := im.w.step(); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) opinion(p *pb.Opinion) error {
	op, err := opinionFromProto(p)
	if err == nil && op.Org != im.peer.ID {
		err = fmt.Errorf("an opinion of %q in a bundle from %q", op.Org, im.peer.ID)
	}
	if err == nil {
		op, err = im.db.normalizeOpinion(context.Background(), op)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOpinion, err)
	}
	k := opinionKey(&op)
	if v := im.w.ops.Get(k); v != nil {
		old, _, err := decodeOpinion(k, v)
		if err != nil {
			return err
		}
		if old == op {
			return nil
		}
	}
	return im.w.putOpinion(&op)
}
