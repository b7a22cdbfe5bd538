package replica

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signing"
)

// PublisherOptions configure a [Publisher].
type PublisherOptions struct {
	// Signer signs the bundles and the manifest: the organisation's
	// Ed25519 key, as [hashdb.ExportOptions.Signer] takes it. Required.
	Signer crypto.Signer
	// KeyID names the key, as the replicas' peers tables know it; empty
	// means [signing.SignerID].
	KeyID string
	// Audience is whose bundles are published: "" (the default) for
	// public bundles, CLEAR and GREEN items only, or a peer's id for what
	// that peer may have. The publisher owns the audience's export
	// record: exporting to it by other means makes the next publish a
	// FULL one.
	Audience string
	// FullEvery is how many deltas are published between FULL bundles; 0
	// means 64.
	FullEvery int
	// KeepDeltas is how many of the newest deltas stay in the bucket
	// after a new FULL, so that a replica up to that many deltas behind
	// catches up without loading the FULL; 0 means FullEvery.
	KeepDeltas int
	// Gzip compresses the bundles.
	Gzip bool
	// TempDir is where bundles are written before they are uploaded; ""
	// means os.TempDir.
	TempDir string
}

// A Publisher writes a database's bundles and manifest to a bucket. A
// bucket (or prefix) has one publisher; its Publish calls run one at a
// time.
type Publisher struct {
	mu   sync.Mutex
	db   *hashdb.DB
	b    *blob.Bucket
	opts PublisherOptions
	pub  ed25519.PublicKey
}

// NewPublisher returns a publisher of db's bundles to b. The database
// must have its Organization set and be open for writing: exporting
// records what the audience holds.
func NewPublisher(db *hashdb.DB, b *blob.Bucket, opts PublisherOptions) (*Publisher, error) {
	pub, ok := signing.PublicKey(opts.Signer)
	switch {
	case !ok:
		return nil, errors.New("replica: a publisher needs a Signer of an Ed25519 key")
	case db.Organization() == "":
		return nil, errors.New("replica: a publisher needs the database's Organization")
	}
	if opts.KeyID == "" {
		opts.KeyID = signing.SignerID(opts.Signer)
	}
	if opts.FullEvery <= 0 {
		opts.FullEvery = 64
	}
	if opts.KeepDeltas <= 0 {
		opts.KeepDeltas = opts.FullEvery
	}
	return &Publisher{db: db, b: b, opts: opts, pub: pub}, nil
}

// A PublishResult says what a [Publisher.Publish] wrote.
type PublishResult struct {
	// Manifest is the bucket's manifest after the publish.
	Manifest *Manifest
	// Delta and Full are the bundles written, zero if none.
	Delta, Full Blob
	// Unchanged reports that nothing had changed since the last publish,
	// so nothing was written.
	Unchanged bool
	// Pruned lists the blobs deleted because the manifest no longer
	// names them.
	Pruned []string
}

// Publish writes what changed since the last publish: a DELTA bundle
// and, every FullEvery deltas (or when the bucket has no usable
// manifest, or the database's export record does not match it), a FULL
// bundle at the same sequence number; then the manifest; then it deletes
// the blobs the new manifest no longer names. Blob names are
// sequence-numbered and content-addressed, so nothing is ever rewritten
// but the manifest, and a reader never sees a manifest naming a blob
// that is not there yet.
//
// If an upload fails after the export was recorded, the next Publish
// sees the mismatch and writes a FULL bundle.
func (p *Publisher) Publish(ctx context.Context) (res PublishResult, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() {
		if err != nil && !errors.Is(err, ErrPrune) {
			err = fmt.Errorf("replica: publish: %w", err)
		}
	}()
	st, err := p.db.Stats()
	if err != nil {
		return res, err
	}
	last, err := p.db.LastExport(p.opts.Audience)
	if err != nil {
		return res, err
	}
	old, err := p.current(ctx)
	if err != nil {
		return res, err
	}
	consistent := old != nil && last.Seq == old.Seq && hex.EncodeToString(last.BundleDigest) == old.Last
	if consistent && st.LastSeq == old.Seq {
		return PublishResult{Manifest: old, Unchanged: true}, nil
	}
	m := &Manifest{Producer: p.db.Organization()}
	if consistent {
		m.Full, m.Deltas = old.Full, slices.Clone(old.Deltas)
		// A delta after the manifest's sequence, not chained to the
		// previous bundle's digest: a replica that applied the deltas up
		// to a FULL holds the same set as one that loaded it.
		if res.Delta, last, err = p.write(ctx, hashdb.ExportOptions{Since: old.Seq}, old.Seq); err != nil {
			return res, err
		}
		m.Deltas = append(m.Deltas, res.Delta)
	}
	full := !consistent || deltasAfter(m) >= p.opts.FullEvery
	if full {
		if res.Full, last, err = p.write(ctx, hashdb.ExportOptions{Full: true}, 0); err != nil {
			return res, err
		}
		m.Full = res.Full
		m.Deltas = keepDeltas(m.Deltas, res.Full.To, p.opts.KeepDeltas)
	}
	if m.SetDigest, err = p.db.SentSetDigest(p.opts.Audience); err != nil {
		return res, err
	}
	m.Seq, m.Last, m.Created = last.Seq, hex.EncodeToString(last.BundleDigest), time.Now().UTC()
	data, err := m.Sign(p.opts.Signer, p.opts.KeyID)
	if err != nil {
		return res, err
	}
	if err := p.put(ctx, ManifestName, bytes.NewReader(data), "application/json"); err != nil {
		return res, err
	}
	res.Manifest = m
	res.Pruned, err = p.prune(ctx, old, m)
	return res, err
}

// current reads the bucket's manifest, nil if there is none or it is
// not one this publisher can continue (another key's, say): then the
// next publish starts afresh with a FULL bundle.
func (p *Publisher) current(ctx context.Context) (*Manifest, error) {
	data, err := p.b.ReadAll(ctx, ManifestName)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(data, func(producer, keyID string) (ed25519.PublicKey, error) {
		if producer != p.db.Organization() {
			return nil, fmt.Errorf("the manifest is %q's", producer)
		}
		return p.pub, nil
	})
	if err != nil {
		return nil, nil
	}
	return m, nil
}

// deltasAfter counts the manifest's deltas after its FULL bundle.
func deltasAfter(m *Manifest) int {
	n := 0
	for _, d := range m.Deltas {
		if d.From >= m.Full.To {
			n++
		}
	}
	return n
}

// keepDeltas keeps the deltas after a FULL bundle at seq and, of those
// before it, the newest so that keep are kept in all. Deltas are
// contiguous, so what is kept is a suffix.
func keepDeltas(ds []Blob, seq uint64, keep int) []Blob {
	i := len(ds) - keep
	for i > 0 && ds[i-1].From >= seq {
		i--
	}
	if i < 0 {
		i = 0
	}
	return ds[i:]
}

// write exports one bundle to a temporary file and uploads it under its
// name, returning the blob and the export's checkpoint.
func (p *Publisher) write(ctx context.Context, opts hashdb.ExportOptions, from uint64) (Blob, hashdb.Checkpoint, error) {
	opts.Audience, opts.Signer, opts.KeyID, opts.Gzip = p.opts.Audience, p.opts.Signer, p.opts.KeyID, p.opts.Gzip
	f, err := os.CreateTemp(p.opts.TempDir, "hashshare-publish-*.bundle")
	if err != nil {
		return Blob{}, hashdb.Checkpoint{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	cp, err := p.db.Export(ctx, cw, opts)
	if err != nil {
		return Blob{}, hashdb.Checkpoint{}, err
	}
	b := Blob{From: from, To: cp.Seq, SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, Created: cp.Time.UTC()}
	if opts.Full {
		b.Name = fmt.Sprintf("full/%020d-%s.bundle", b.To, b.SHA256[:16])
	} else {
		b.Name = fmt.Sprintf("delta/%020d-%020d-%s.bundle", b.From, b.To, b.SHA256[:16])
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Blob{}, hashdb.Checkpoint{}, err
	}
	if err := p.put(ctx, b.Name, f, "application/octet-stream"); err != nil {
		return Blob{}, hashdb.Checkpoint{}, fmt.Errorf("uploading %s (recorded as exported: the next publish writes a FULL bundle): %w", b.Name, err)
	}
	return b, cp, nil
}

// put uploads r as name; the blob exists only once Close returns nil.
func (p *Publisher) put(ctx context.Context, name string, r io.Reader, contentType string) error {
	opts := &blob.WriterOptions{ContentType: contentType}
	if name == ManifestName {
		opts.CacheControl = "no-cache"
	}
	return p.b.Upload(ctx, name, r, opts)
}

// prune deletes the blobs old names and m does not.
func (p *Publisher) prune(ctx context.Context, old, m *Manifest) ([]string, error) {
	if old == nil {
		return nil, nil
	}
	keep := map[string]bool{m.Full.Name: true}
	for _, d := range m.Deltas {
		keep[d.Name] = true
	}
	var pruned []string
	var errs []error
	for _, b := range append([]Blob{old.Full}, old.Deltas...) {
		if keep[b.Name] {
			continue
		}
		if err := p.b.Delete(ctx, b.Name); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs = append(errs, err)
			continue
		}
		pruned = append(pruned, b.Name)
	}
	if len(errs) > 0 {
		return pruned, fmt.Errorf("replica: %w: %w", ErrPrune, errors.Join(errs...))
	}
	return pruned, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
