package replica

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/hashshare/hashshare/hashdb"
)

// FollowerOptions configure a [Follower].
type FollowerOptions struct {
	// Peer is the publishing organisation: a peer of the database, whose
	// keys verify the manifest and the bundles. Required.
	Peer string
	// TempDir is where bundles are downloaded and staged; "" means
	// os.TempDir. It needs room for the largest bundle, twice.
	TempDir string
	// Interval is how often [Follower.Run] polls the manifest; 0 means 30
	// seconds. Each wait is jittered by up to a fifth either way, so
	// replicas started together do not poll together.
	Interval time.Duration
	// Wake, if not nil, makes Run sync at once when it receives, as a
	// NATS key watch does (see package natswake); polling goes on
	// beside it, so a lost wake-up costs at most an interval.
	Wake <-chan struct{}
	// OnSync, if not nil, is called after each sync Run makes, with its
	// status and error: where a server updates its metrics and logs.
	OnSync func(Status, error)
}

// A Status is where a follower stands.
type Status struct {
	// Seq is the producer's sequence number the replica holds.
	Seq uint64 `json:"seq"`
	// ManifestSeq is the newest sequence number the manifest names.
	ManifestSeq uint64 `json:"manifest_seq"`
	// SetDigest is the replica's digest of the producer's items.
	SetDigest Digest `json:"set_digest"`
	// Current reports that the replica holds what the manifest names:
	// its sequence and set digest. A replica that is not current still
	// answers queries, from its last good state.
	Current bool `json:"current"`
	// Applied is when the producer wrote the newest change the replica
	// holds (the creation time of the last bundle applied); zero if
	// unknown.
	Applied time.Time `json:"applied"`
	// Deltas and Fulls count the bundles the last sync imported.
	Deltas int `json:"deltas"`
	Fulls  int `json:"fulls"`
	// Fallback says why the last sync loaded the FULL bundle, if it did
	// for a reason other than having nothing to start from.
	Fallback string `json:"fallback,omitempty"`
}

// Behind returns how many sequence numbers the replica is behind the
// manifest.
func (s Status) Behind() uint64 {
	if s.ManifestSeq > s.Seq {
		return s.ManifestSeq - s.Seq
	}
	return 0
}

// Age returns how old, at now, the newest change the replica holds is:
// zero if unknown.
func (s Status) Age(now time.Time) time.Duration {
	if s.Applied.IsZero() {
		return 0
	}
	return now.Sub(s.Applied)
}

// A Follower keeps a database's copy of a peer's items up to date from
// the bucket the peer publishes to. Its database keeps answering queries
// while it syncs: each import is staged, and readers see the previous
// state until it commits.
type Follower struct {
	db   *hashdb.DB
	b    *blob.Bucket
	opts FollowerOptions

	mu     sync.Mutex // serialises syncs
	status Status
	smu    sync.Mutex // guards status for readers
}

// NewFollower returns a follower of opts.Peer's bucket b into db.
func NewFollower(db *hashdb.DB, b *blob.Bucket, opts FollowerOptions) (*Follower, error) {
	if opts.Peer == "" {
		return nil, errors.New("replica: a follower needs a Peer")
	}
	if _, err := db.Peer(opts.Peer); err != nil {
		return nil, fmt.Errorf("replica: follow %q: %w", opts.Peer, err)
	}
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	return &Follower{db: db, b: b, opts: opts}, nil
}

// Status returns the status after the last sync.
func (f *Follower) Status() Status {
	f.smu.Lock()
	defer f.smu.Unlock()
	return f.status
}

// Run syncs now, then every Interval (jittered) and whenever Wake
// receives, until ctx ends; it returns ctx's error. A failed sync leaves
// the replica as it was and is retried at the next tick.
func (f *Follower) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	wake := f.opts.Wake
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				// The wake-ups ended (their watch stopped): poll on.
				wake = nil
				continue
			}
			t.Stop()
		}
		st, err := f.Sync(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if f.opts.OnSync != nil {
			f.opts.OnSync(st, err)
		}
		t.Reset(jitter(f.opts.Interval))
	}
}

// jitter returns d give or take up to a fifth.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + rand.N(2*d/5+1)
}

// Sync reads the manifest and brings the replica up to it: the deltas
// it lacks, in order, each verified by [hashdb.DB.Import] (signature,
// sequence, set digest); on a gap, a missing or altered blob, a refused
// bundle or a set digest that differs from the manifest's, the newest
// FULL bundle instead. A manifest that does not verify, or is older than
// what the replica holds, is refused and nothing changes. Nothing is
// ever applied from a refused bundle. A replica ahead of the newest FULL
// whose next delta is refused stays where it is (an error) until the
// publisher writes a newer FULL.
func (f *Follower) Sync(ctx context.Context) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.sync(ctx)
	f.smu.Lock()
	f.status = st
	f.smu.Unlock()
	if err != nil {
		return st, fmt.Errorf("replica: follow %q: %w", f.opts.Peer, err)
	}
	return st, nil
}

func (f *Follower) sync(ctx context.Context) (Status, error) {
	st := f.Status()
	st.Deltas, st.Fulls, st.Fallback = 0, 0, ""
	if err := f.refresh(&st); err != nil {
		return st, err
	}
	m, err := f.manifest(ctx)
	if err != nil {
		st.Current = false
		return st, err
	}
	st.ManifestSeq = m.Seq
	if st.Seq > m.Seq {
		st.Current = false
		return st, fmt.Errorf("%w: it ends at %d, the replica holds %d", ErrStaleManifest, m.Seq, st.Seq)
	}
	// With nothing held, the FULL bundle is the short way.
	full := st.Seq == 0 && st.SetDigest == (Digest{}) && m.Full.To > 0
	for !full && st.Seq < m.Seq {
		d, ok := deltaFrom(m, st.Seq)
		if !ok {
			st.Fallback = fmt.Sprintf("no delta after %d", st.Seq)
			break
		}
		if err := f.apply(ctx, d, &st); err != nil {
			st.Fallback = err.Error()
			break
		}
		st.Deltas++
	}
	if !full && st.Fallback == "" && st.SetDigest != m.SetDigest {
		st.Fallback = fmt.Sprintf("set digest %v at %d, the manifest's is %v", st.SetDigest, st.Seq, m.SetDigest)
	}
	if err := ctx.Err(); err != nil {
		st.Current = false
		return st, err
	}
	if full || st.Fallback != "" {
		if err := f.apply(ctx, m.Full, &st); err != nil {
			st.Current = false
			return st, fmt.Errorf("loading the FULL bundle %s: %w", m.Full.Name, err)
		}
		st.Fulls++
		// A FULL bundle older than the manifest leaves deltas to apply.
		for st.Seq < m.Seq {
			d, ok := deltaFrom(m, st.Seq)
			if !ok {
				break
			}
			if err := f.apply(ctx, d, &st); err != nil {
				st.Current = false
				return st, err
			}
			st.Deltas++
		}
	}
	st.Current = st.Seq == m.Seq && st.SetDigest == m.SetDigest
	if !st.Current {
		return st, fmt.Errorf("%w: at %d with set digest %v, the manifest names %d and %v", ErrDiverged, st.Seq, st.SetDigest, m.Seq, m.SetDigest)
	}
	return st, nil
}

// refresh reads the replica's sequence and set digest from the database.
func (f *Follower) refresh(st *Status) error {
	p, err := f.db.Peer(f.opts.Peer)
	if err != nil {
		return err
	}
	d, err := f.db.ReceivedSetDigest(f.opts.Peer)
	if err != nil {
		return err
	}
	st.Seq, st.SetDigest = p.Checkpoint.Seq, d
	return nil
}

// deltaFrom finds the manifest's delta starting at seq.
func deltaFrom(m *Manifest, seq uint64) (Blob, bool) {
	for _, d := range m.Deltas {
		if d.From == seq {
			return d, true
		}
	}
	return Blob{}, false
}

// manifest reads and verifies the bucket's manifest against the peer's
// keys in the database.
func (f *Follower) manifest(ctx context.Context) (*Manifest, error) {
	data, err := f.b.ReadAll(ctx, ManifestName)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNoManifest
	}
	if err != nil {
		return nil, err
	}
	p, err := f.db.Peer(f.opts.Peer)
	if err != nil {
		return nil, err
	}
	return ParseManifest(data, func(producer, keyID string) (ed25519.PublicKey, error) {
		if producer != f.opts.Peer {
			return nil, fmt.Errorf("the manifest is %q's, following %q", producer, f.opts.Peer)
		}
		for _, k := range p.Keys {
			if k.ID == keyID && k.Revoked.IsZero() {
				return k.Public, nil
			}
		}
		return nil, fmt.Errorf("%w: %q key %q", hashdb.ErrUnknownKey, producer, keyID)
	})
}

// apply downloads b, checks its size and SHA-256 against the manifest,
// and imports it; st follows the replica.
func (f *Follower) apply(ctx context.Context, b Blob, st *Status) error {
	tmp, err := f.download(ctx, b)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	_, err = f.db.Import(ctx, tmp, &hashdb.ImportOptions{Producer: f.opts.Peer, TempDir: f.opts.TempDir})
	if rerr := f.refresh(st); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", b.Name, err)
	}
	if st.Seq != b.To {
		// A signed bundle of the producer's, but not the one named: the
		// last one imported again, say. Stop here rather than loop.
		return fmt.Errorf("%w: %s took the replica to %d, the manifest says %d", ErrBlob, b.Name, st.Seq, b.To)
	}
	st.Applied = b.Created
	return nil
}

// download copies blob b to a temporary file, rewound, checking it is
// the one the manifest names.
func (f *Follower) download(ctx context.Context, b Blob) (*os.File, error) {
	r, err := f.b.NewReader(ctx, b.Name, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("%w: %s is missing", ErrBlob, b.Name)
		}
		return nil, err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(f.opts.TempDir, "hashshare-follow-*.bundle")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, b.Size+1))
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	switch {
	case err != nil:
	case n != b.Size:
		err = fmt.Errorf("%w: %s has %d bytes, the manifest says %d", ErrBlob, b.Name, n, b.Size)
	case hex.EncodeToString(h.Sum(nil)) != b.SHA256:
		err = fmt.Errorf("%w: %s is not the blob the manifest names (SHA-256 differs)", ErrBlob, b.Name)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}
