package hashdb

import (
	"context"
	"crypto"
	"fmt"
	"io"

	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/bundle"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// ExportOptions configure [DB.Export].
type ExportOptions struct {
	// Audience is the peer the bundle is for, or "" for a public bundle,
	// which carries only CLEAR and GREEN items. AMBER and AMBER+STRICT
	// items go only to a named peer whose Policy.Share allows them.
	Audience string
	// Full exports every item the audience may have, rather than what
	// changed; the recipient retracts what it held from this database and
	// the bundle lacks.
	Full bool
	// Since, if not zero, makes a delta of the changes after this sequence
	// number rather than after the previous export to the audience: how a
	// producer resends what a recipient missed. Items are sent whether or
	// not the audience was thought to have them.
	Since uint64
	// Signer signs the bundle with the organisation's Ed25519 key: an
	// [ed25519.PrivateKey], a [*signing.Key], or any [crypto.Signer] over an
	// Ed25519 key held elsewhere (an HSM, a KMS) that signs Ed25519ph with a
	// context as [ed25519.PrivateKey.Sign] does.
	Signer crypto.Signer
	// KeyID names the key in the bundle's header, as the recipients' peers
	// tables know it. Empty means the Signer's own ID if it is a
	// [*signing.Key], else [signing.KeyID] of its public key.
	KeyID string
	// Gzip compresses the bundle.
	Gzip bool
}

// Export writes a signed bundle for opts.Audience to w: a delta of what
// changed since the previous export to that audience (or since
// opts.Since), or with opts.Full everything the audience may have. It
// returns the new checkpoint: the last sequence number included and the
// bundle's digest, which the next bundle to the audience cites.
//
// A delta carries each changed item once, as it now is; a retraction for
// each item the audience holds that was retracted or may no longer be
// shared with it (its level raised, say); and the local organisation's
// opinions recorded since on the audience's items or on items it holds.
// Export never lets out a RED item, an item above the audience's level, or
// another organisation's item above GREEN (those keep their source).
//
// Export records what the audience now holds, so it is a write: it holds
// the database's write lock while it streams, and fails on a read-only
// database. Write to a file, not to a slow network peer. If writing to w
// fails, nothing is recorded. Like [DB.Import] it writes in transactions
// of a bounded size, seen only once the last commits, so its memory does
// not grow with the bundle.
func (db *DB) Export(ctx context.Context, w io.Writer, opts ExportOptions) (_ Checkpoint, err error) {
	defer wrapErr(&err, "export")
	org := db.opts.Organization
	switch {
	case org == "":
		return Checkpoint{}, fmt.Errorf("%w: export needs the database's Organization", ErrInvalidOptions)
	case !hasEd25519(opts.Signer):
		return Checkpoint{}, fmt.Errorf("%w: export needs a Signer of an Ed25519 key", ErrInvalidOptions)
	case opts.Audience == org:
		return Checkpoint{}, fmt.Errorf("%w: export to the database's own organisation", ErrInvalidOptions)
	}
	if opts.KeyID == "" {
		opts.KeyID = signing.SignerID(opts.Signer)
	}
	var cp Checkpoint
	err = db.updateStaged(ctx, func(wr *writer) error {
		e, err := db.newExport(wr, opts)
		if err != nil {
			return err
		}
		cp, err = e.run(ctx, w)
		return err
	})
	if err != nil {
		return Checkpoint{}, err
	}
	return cp, nil
}

// export is one Export in progress, inside its staged write.
type export struct {
	db    *DB
	wr    *writer
	opts  ExportOptions
	share tlp.Level
	// sent is what the audience holds from this database, as the export
	// changes it: built anew for a FULL bundle (and swapped in at the
	// end), changed in place for a delta, undone if the export fails.
	sent   *store.Bucket
	name   []byte
	set    bundle.SetDigest
	prev   Checkpoint
	since  uint64
	resend bool // send changed items even if the audience holds them
	bw     *bundle.Writer
	n      int
}

func (db *DB) newExport(wr *writer, opts ExportOptions) (*export, error) {
	e := &export{db: db, wr: wr, opts: opts, share: tlp.Green}
	if opts.Audience != "" {
		p, err := loadPeer(wr.peers(), opts.Audience)
		if err != nil {
			return nil, err
		}
		if p.Policy.Share != 0 {
			e.share = p.Policy.Share
		}
	}
	e.name = store.AudienceKey(opts.Audience)
	if err := wr.t.Create(store.BucketSent); err != nil {
		return nil, err
	}
	var err error
	if b := wr.t.Bucket(store.BucketSent, e.name); b.Exists() {
		if e.prev, err = readCheckpoint(b); err != nil {
			return nil, err
		}
	}
	e.since = e.prev.Seq
	if opts.Since != 0 {
		e.since, e.resend = opts.Since, true
	}
	if opts.Full {
		// The audience will hold exactly what this bundle carries.
		if e.sent, err = wr.t.Swap(store.BucketSent, e.name); err != nil {
			return nil, err
		}
		return e, nil
	}
	if err := wr.t.Create(store.BucketSent, e.name); err != nil {
		return nil, err
	}
	e.sent = wr.t.Undoable(store.BucketSent, e.name)
	if e.set, err = setDigest(e.sent); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *export) run(ctx context.Context, w io.Writer) (Checkpoint, error) {
	last := e.wr.meta.GetLastSeq()
	if e.since > last {
		return Checkpoint{}, fmt.Errorf("%w: since %d, but the last change is %d", ErrInvalidOptions, e.since, last)
	}
	h := &pb.Header{
		Producer:        e.db.opts.Organization,
		KeyId:           e.opts.KeyID,
		CreatedUnixNano: e.wr.nowNs,
		Kind:            pb.BundleKind_BUNDLE_KIND_DELTA,
		FromSeq:         e.since,
		ToSeq:           last,
		Audience:        e.opts.Audience,
	}
	if e.opts.Full {
		h.Kind, h.FromSeq = pb.BundleKind_BUNDLE_KIND_FULL, 0
	}
	// A delta cites the bundle it follows; one resent from an earlier point
	// follows whatever the recipient holds, which only it knows.
	if !e.resend {
		h.PreviousDigest = e.prev.BundleDigest
	}
	var err error
	e.bw, err = bundle.NewWriter(w, h, e.opts.Signer, &bundle.WriterOptions{Gzip: e.opts.Gzip, Limits: e.db.bundleLimits(nil)})
	if err != nil {
		return Checkpoint{}, err
	}
	if e.opts.Full {
		err = e.full(ctx)
	} else {
		err = e.delta(ctx)
	}
	if err != nil {
		return Checkpoint{}, err
	}
	d, err := e.bw.Close(e.set)
	if err != nil {
		return Checkpoint{}, err
	}
	cp := Checkpoint{Seq: last, BundleDigest: d[:], Time: fromUnixNano(e.wr.nowNs)}
	if e.opts.Full {
		if e.sent, err = e.wr.t.SwapIn(store.BucketSent, e.name); err != nil {
			return Checkpoint{}, err
		}
	}
	if err := writeCheckpoint(e.sent, cp); err != nil {
		return Checkpoint{}, err
	}
	return cp, e.sent.Put(store.KeySetDigest, e.set[:])
}

// tick checks ctx now and then.
func (e *export) tick(ctx context.Context) error {
	e.n++
	if e.n%1024 == 0 {
		return ctx.Err()
	}
	return nil
}

// opinion sends op if it is the local organisation's and its target is
// the audience's item, an item the audience holds, or (for a named
// audience) a signal.
func (e *export) opinion(op *Opinion) error {
	if op.Org != e.db.opts.Organization {
		return nil
	}
	switch {
	case op.Key != (Key{}):
		if op.Key.Source != e.opts.Audience && e.sent.Get(itemKey(op.Key)) == nil {
			return nil
		}
	case e.opts.Audience == "":
		return nil
	}
	return e.bw.Write(&pb.Entry{Change: &pb.Entry_Opinion{Opinion: opinionToProto(op)}})
}

// bundleLimits are the bundle limits matching the database's options.
func (db *DB) bundleLimits(o *ImportOptions) *bundle.Limits {
	l := bundle.DefaultLimits()
	l.MaxSignals = db.opts.MaxSignals
	l.MaxLabels = db.opts.MaxLabels
	l.MaxLabelLen = db.opts.MaxLabelLen
	if o != nil {
		if o.MaxEntries > 0 {
			l.MaxEntries = o.MaxEntries
		}
		if o.MaxBytes > 0 {
			l.MaxBytes = o.MaxBytes
		}
	}
	return &l
}

// hasEd25519 reports whether s signs with an Ed25519 key.
func hasEd25519(s crypto.Signer) bool {
	_, ok := signing.PublicKey(s)
	return ok
}
