package natswake_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob/memblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/replica/natswake"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// startNATS runs an embedded JetStream server on loopback.
func startNATS(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	tb.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

// pair is a primary publishing to a mem:// bucket and a replica
// following it, woken by wake (nil for polling only).
type pair struct {
	primary, replica *hashdb.DB
	pub              *replica.Publisher
	f                *replica.Follower
	synced           chan replica.Status
}

func newPair(tb testing.TB, wake <-chan struct{}, interval time.Duration) *pair {
	tb.Helper()
	ctx, dir := context.Background(), tb.TempDir()
	key, err := signing.GenerateKey("acme")
	if err != nil {
		tb.Fatal(err)
	}
	open := func(org string) *hashdb.DB {
		db, err := hashdb.Open(filepath.Join(dir, org+".db"), &hashdb.Options{Organization: org})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}
	p := &pair{primary: open("acme"), replica: open("replica"), synced: make(chan replica.Status, 100)}
	if err := p.replica.AddPeer(ctx, hashdb.Peer{ID: "acme", Keys: []hashdb.PeerKey{{ID: key.ID, Public: key.Key.Public().(ed25519.PublicKey)}},
		Policy: hashdb.Policy{MaxTLP: tlp.Green}}); err != nil {
		tb.Fatal(err)
	}
	b := memblob.OpenBucket(nil)
	tb.Cleanup(func() { b.Close() })
	if p.pub, err = replica.NewPublisher(p.primary, b, replica.PublisherOptions{Signer: key, FullEvery: 1 << 20, TempDir: dir}); err != nil {
		tb.Fatal(err)
	}
	p.f, err = replica.NewFollower(p.replica, b, replica.FollowerOptions{Peer: "acme", TempDir: dir, Interval: interval, Wake: wake,
		OnSync: func(st replica.Status, err error) {
			if err == nil {
				p.synced <- st
			}
		}})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// write puts item i at the primary and publishes it.
func (p *pair) write(tb testing.TB, i int) *replica.Manifest {
	tb.Helper()
	s, _ := signal.Parse(fmt.Sprintf("md5:%032x", i))
	if err := p.primary.Put(context.Background(), hashdb.Item{Key: hashdb.Key{ID: fmt.Sprint(i)}, Signals: []signal.Signal{s}, TLP: tlp.Green}); err != nil {
		tb.Fatal(err)
	}
	res, err := p.pub.Publish(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return res.Manifest
}

// awaitSeq waits for the follower to sync to seq.
func (p *pair) awaitSeq(tb testing.TB, seq uint64, timeout time.Duration) {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case st := <-p.synced:
			if st.Seq >= seq {
				return
			}
		case <-deadline:
			tb.Fatalf("the replica did not reach %d within %v", seq, timeout)
		}
	}
}

// With an hour's poll interval, only the NATS key makes the replica
// sync: each publish reaches it within seconds.
func TestWakeSyncsAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	js := startNATS(t)
	w, err := natswake.Open(ctx, js, "hashshare", "acme.manifest")
	if err != nil {
		t.Fatal(err)
	}
	wake, err := w.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := newPair(t, wake, time.Hour)
	m := p.write(t, 0)
	go p.f.Run(ctx)
	p.awaitSeq(t, m.Seq, 10*time.Second) // Run's first sync
	for i := 1; i <= 3; i++ {
		m := p.write(t, i)
		if err := w.Notify(ctx, m.Seq); err != nil {
			t.Fatal(err)
		}
		p.awaitSeq(t, m.Seq, 10*time.Second)
		s, _ := signal.Parse(fmt.Sprintf("md5:%032x", i))
		if items, err := p.replica.Lookup(s); err != nil || len(items) != 1 {
			t.Fatalf("replica lookup of item %d: %v, %v", i, items, err)
		}
	}
	cancel()
	// The channel closes once the watch ends.
	for range wake {
	}
}

func TestOpenNeedsNames(t *testing.T) {
	if _, err := natswake.Open(context.Background(), nil, "", "k"); err == nil {
		t.Error("Open with no bucket name succeeded")
	}
}

// BenchmarkFollowLatency measures the time from a write at the primary
// (put, publish, notify) to the replica holding it: woken over NATS, and
// polling every 100ms (expect about half the interval plus apply).
func BenchmarkFollowLatency(b *testing.B) {
	for _, mode := range []string{"nats", "poll-100ms"} {
		b.Run(mode, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var w *natswake.Wake
			var wake <-chan struct{}
			interval := 100 * time.Millisecond
			if mode == "nats" {
				var err error
				if w, err = natswake.Open(ctx, startNATS(b), "hashshare", "acme"); err != nil {
					b.Fatal(err)
				}
				if wake, err = w.Watch(ctx); err != nil {
					b.Fatal(err)
				}
				interval = time.Hour
			}
			p := newPair(b, wake, interval)
			m := p.write(b, 1<<30)
			go p.f.Run(ctx)
			p.awaitSeq(b, m.Seq, 10*time.Second)
			b.ResetTimer()
			for i := range b.N {
				m := p.write(b, i)
				if w != nil {
					if err := w.Notify(ctx, m.Seq); err != nil {
						b.Fatal(err)
					}
				}
				p.awaitSeq(b, m.Seq, 10*time.Second)
			}
		})
	}
}
