package replica_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

const org = "acme"

// world is a primary publishing to a bucket and its replicas.
type world struct {
	t       testing.TB
	ctx     context.Context
	dir     string
	primary *hashdb.DB
	key     *signing.Key
	bucket  *blob.Bucket
	pub     *replica.Publisher
	keys    []hashdb.Key // every key the history touched
	step    int
}

// buckets are the drivers every convergence test runs on.
var buckets = []struct {
	name string
	open func(t *testing.T) *blob.Bucket
}{
	{"mem", func(t *testing.T) *blob.Bucket { return memblob.OpenBucket(nil) }},
	{"file", func(t *testing.T) *blob.Bucket {
		b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{CreateDir: true, NoTempDir: false})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}},
}

func newWorld(t testing.TB, b *blob.Bucket, opts replica.PublisherOptions) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), dir: t.TempDir(), bucket: b}
	t.Cleanup(func() { b.Close() })
	var err error
	if w.key, err = signing.GenerateKey(org); err != nil {
		t.Fatal(err)
	}
	w.primary = w.open("primary", org)
	opts.Signer = w.key
	if w.pub, err = replica.NewPublisher(w.primary, b, opts); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) open(name, organisation string) *hashdb.DB {
	w.t.Helper()
	db, err := hashdb.Open(filepath.Join(w.dir, name+".db"), &hashdb.Options{Organization: organisation})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { db.Close() })
	return db
}

// replica opens a replica database trusting the primary's key, and a
// follower of the world's bucket into it.
func (w *world) replica(name string) (*hashdb.DB, *replica.Follower) {
	w.t.Helper()
	db := w.open(name, name)
	err := db.AddPeer(w.ctx, hashdb.Peer{ID: org, Keys: []hashdb.PeerKey{{ID: w.key.ID, Public: w.key.Key.Public().(ed25519.PublicKey)}},
		Policy: hashdb.Policy{MaxTLP: tlp.AmberStrict}})
	if err != nil {
		w.t.Fatal(err)
	}
	f, err := replica.NewFollower(db, w.bucket, replica.FollowerOptions{Peer: org, TempDir: w.dir})
	if err != nil {
		w.t.Fatal(err)
	}
	return db, f
}

func sig(i int) signal.Signal {
	s, err := signal.Parse(fmt.Sprintf("md5:%032x", i))
	if err != nil {
		panic(err)
	}
	return s
}

func item(i int, level tlp.Level) hashdb.Item {
	return hashdb.Item{Key: hashdb.Key{ID: fmt.Sprintf("case-%d", i)}, Signals: []signal.Signal{sig(i)}, TLP: level}
}

// advance applies the next step of a scripted history to the primary:
// adds, retractions, level changes (out of the public set and back) and
// opinions.
func (w *world) advance() {
	w.t.Helper()
	w.step++
	s, ctx := w.step, w.ctx
	var err error
	switch s % 5 {
	case 0, 1: // two new items, one AMBER (never published)
		a, b := item(2*s, tlp.Green), item(2*s+1, tlp.Amber)
		err = w.primary.Put(ctx, a, b)
		w.keys = append(w.keys, hashdb.Key{Source: org, ID: a.Key.ID}, hashdb.Key{Source: org, ID: b.Key.ID})
	case 2: // retract an earlier item
		err = w.primary.Retract(ctx, w.keys[len(w.keys)-2], "mistake")
	case 3: // raise a level, then lower another
		it := item(2*(s-2), tlp.Amber)
		if err = w.primary.Put(ctx, it); err == nil {
			err = w.primary.Put(ctx, item(2*(s-2)+1, tlp.Clear))
		}
	case 4: // an opinion on a published item
		err = w.primary.SetOpinion(ctx, hashdb.Opinion{Key: hashdb.Key{Source: org, ID: fmt.Sprintf("case-%d", 2*(s-3)+1)}, Verdict: hashdb.Confirmed})
		if err == nil {
			err = w.primary.Put(ctx, item(2*s, tlp.Green))
			w.keys = append(w.keys, hashdb.Key{Source: org, ID: fmt.Sprintf("case-%d", 2*s)})
		}
	}
	if err != nil {
		w.t.Fatalf("step %d: %v", s, err)
	}
}

func (w *world) publish() replica.PublishResult {
	w.t.Helper()
	res, err := w.pub.Publish(w.ctx)
	if err != nil {
		w.t.Fatalf("publish after step %d: %v", w.step, err)
	}
	return res
}

// checkSame fails unless db holds what the primary published: the same
// set digest and, for every key of the history, the item live exactly
// when the primary's is live and public.
func (w *world) checkSame(name string, db *hashdb.DB) {
	w.t.Helper()
	want, err := w.primary.SentSetDigest("")
	if err != nil {
		w.t.Fatal(err)
	}
	got, err := db.ReceivedSetDigest(org)
	if err != nil {
		w.t.Fatal(err)
	}
	if got != want {
		w.t.Errorf("%s after step %d: set digest %x, the primary's %x", name, w.step, got, want)
	}
	for _, k := range w.keys {
		p, err := w.primary.Get(k)
		if err != nil {
			w.t.Fatal(err)
		}
		shared := !p.Retracted && p.TLP <= tlp.Green
		r, err := db.Get(k)
		held := err == nil && !r.Retracted
		if err != nil && !errors.Is(err, hashdb.ErrNotFound) {
			w.t.Fatal(err)
		}
		if held != shared {
			w.t.Errorf("%s after step %d: %v held %v, shared by the primary %v", name, w.step, k, held, shared)
		}
		if held && !slices.Equal(r.Signals, p.Signals) {
			w.t.Errorf("%s: %v has signals %v, want %v", name, k, r.Signals, p.Signals)
		}
	}
}

// state is what a test checks is unchanged after a refused sync.
type state struct {
	seq    uint64
	digest [32]byte
}

func stateOf(t *testing.T, db *hashdb.DB) state {
	t.Helper()
	p, err := db.Peer(org)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.ReceivedSetDigest(org)
	if err != nil {
		t.Fatal(err)
	}
	return state{p.Checkpoint.Seq, d}
}

// keyOf returns the primary's public key, for ParseManifest.
func (w *world) keyOf(string, string) (ed25519.PublicKey, error) {
	return w.key.Key.Public().(ed25519.PublicKey), nil
}

// lookups lists the ids db matches for the signals of the history.
func lookups(t *testing.T, db *hashdb.DB) string {
	t.Helper()
	var ids []string
	for i := range 64 {
		items, err := db.Lookup(sig(i))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			ids = append(ids, it.Key.ID)
		}
	}
	return fmt.Sprint(ids)
}
