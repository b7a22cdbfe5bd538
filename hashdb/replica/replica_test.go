package replica_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// Replicas that sync at different paces (every step, every 2, every 5)
// all converge to the primary at each of their syncs, over FULL
// bundles and across pruning.
func TestReplicasConverge(t *testing.T) {
	for _, bk := range buckets {
		t.Run(bk.name, func(t *testing.T) {
			w := newWorld(t, bk.open(t), replica.PublisherOptions{FullEvery: 3, KeepDeltas: 5})
			type rep struct {
				db    *hashdb.DB
				f     *replica.Follower
				every int
				fulls int
			}
			var reps []*rep
			for i, every := range []int{1, 2, 5} {
				db, f := w.replica(fmt.Sprintf("replica-%d", i))
				reps = append(reps, &rep{db: db, f: f, every: every})
			}
			fullsWritten := 0
			for range 20 {
				w.advance()
				res := w.publish()
				if res.Full.Name != "" {
					fullsWritten++
				}
				for i, r := range reps {
					if w.step%r.every != 0 {
						continue
					}
					st, err := r.f.Sync(w.ctx)
					if err != nil {
						t.Fatalf("replica %d after step %d: %v", i, w.step, err)
					}
					if !st.Current || st.Seq != res.Manifest.Seq || st.SetDigest != res.Manifest.SetDigest {
						t.Fatalf("replica %d after step %d: %+v, manifest at %d", i, w.step, st, res.Manifest.Seq)
					}
					if st.Fallback != "" {
						t.Errorf("replica %d after step %d fell back: %s", i, w.step, st.Fallback)
					}
					r.fulls += st.Fulls
					w.checkSame(fmt.Sprintf("replica %d", i), r.db)
				}
			}
			if fullsWritten < 5 {
				t.Errorf("%d FULL bundles written in 20 publishes, want one every 3 deltas", fullsWritten)
			}
			// Only the first sync of each loads a FULL bundle: within
			// KeepDeltas, deltas bridge the FULLs written since.
			for i, r := range reps {
				if r.fulls != 1 {
					t.Errorf("replica %d loaded %d FULL bundles, want 1", i, r.fulls)
				}
			}
		})
	}
}

// A publish with nothing new writes nothing; deltas pruned past
// KeepDeltas are deleted from the bucket.
func TestPublishPrunes(t *testing.T) {
	w := newWorld(t, memblob.OpenBucket(nil), replica.PublisherOptions{FullEvery: 2, KeepDeltas: 1})
	w.advance()
	first := w.publish()
	if first.Full.Name == "" || first.Delta.Name != "" {
		t.Fatalf("first publish: %+v, want a FULL only", first)
	}
	if res := w.publish(); !res.Unchanged {
		t.Fatalf("publish with no change: %+v", res)
	}
	var all []string
	for range 6 {
		w.advance()
		res := w.publish()
		all = append(all, res.Delta.Name)
		if n := len(res.Manifest.Deltas); n > 2 {
			t.Fatalf("manifest keeps %d deltas, want at most FullEvery", n)
		}
	}
	for i, name := range all {
		ok, err := w.bucket.Exists(w.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if want := i >= len(all)-1; ok != want {
			t.Errorf("delta %d (%s) exists %v, want %v", i, name, ok, want)
		}
	}
	if ok, _ := w.bucket.Exists(w.ctx, first.Full.Name); ok {
		t.Errorf("the first FULL %s was not pruned", first.Full.Name)
	}
}

// A replica whose next delta was pruned, deleted or altered loads the
// FULL bundle instead, with nothing applied from the bad blob.
func TestFallbackToFull(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(w *world, b replica.Blob)
	}{
		{"deleted", func(w *world, b replica.Blob) {
			if err := w.bucket.Delete(w.ctx, b.Name); err != nil {
				w.t.Fatal(err)
			}
		}},
		{"truncated", func(w *world, b replica.Blob) { rewrite(w, b.Name, func(d []byte) []byte { return d[:len(d)/2] }) }},
		{"flipped", func(w *world, b replica.Blob) {
			rewrite(w, b.Name, func(d []byte) []byte { d[len(d)/2] ^= 1; return d })
		}},
		{"reordered", func(w *world, b replica.Blob) {
			// The bundle of another step under this one's name.
			m := manifestOf(w)
			other, _ := w.bucket.ReadAll(w.ctx, m.Deltas[0].Name)
			rewrite(w, b.Name, func([]byte) []byte { return other })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, memblob.OpenBucket(nil), replica.PublisherOptions{FullEvery: 2, KeepDeltas: 4})
			db, f := w.replica("replica")
			w.advance()
			w.publish()
			if _, err := f.Sync(w.ctx); err != nil {
				t.Fatal(err)
			}
			w.advance()
			w.publish() // delta 1
			w.advance()
			res := w.publish() // delta 2, then a FULL
			if res.Full.Name == "" {
				t.Fatal("no FULL written")
			}
			tt.spoil(w, res.Delta)
			st, err := f.Sync(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Fulls != 1 || st.Deltas != 1 || st.Fallback == "" || !st.Current {
				t.Errorf("status %+v, want one delta, then a fallback to the FULL", st)
			}
			w.checkSame("replica", db)
		})
	}
}

func rewrite(w *world, name string, f func([]byte) []byte) {
	w.t.Helper()
	data, err := w.bucket.ReadAll(w.ctx, name)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.bucket.WriteAll(w.ctx, name, f(data), nil); err != nil {
		w.t.Fatal(err)
	}
}

func manifestOf(w *world) *replica.Manifest {
	w.t.Helper()
	data, err := w.bucket.ReadAll(w.ctx, replica.ManifestName)
	if err != nil {
		w.t.Fatal(err)
	}
	m, err := replica.ParseManifest(data, w.keyOf)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// A manifest that does not verify, or is older than the replica, is
// refused; so are bundles that are all bad. The replica keeps its last
// good state and answers from it.
func TestRefusedKeepsLastGoodState(t *testing.T) {
	mallory, err := signing.GenerateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		spoil func(w *world, old []byte)
		want  error
	}{
		{"tampered manifest", func(w *world, _ []byte) {
			rewrite(w, replica.ManifestName, func(d []byte) []byte {
				return bytes.Replace(d, []byte(`"seq": `), []byte(`"seq": 1`), 1)
			})
		}, replica.ErrManifest},
		{"foreign-signed manifest", func(w *world, _ []byte) {
			m := manifestOf(w)
			data, err := m.Sign(mallory, w.key.ID)
			if err != nil {
				w.t.Fatal(err)
			}
			rewrite(w, replica.ManifestName, func([]byte) []byte { return data })
		}, replica.ErrSignature},
		{"unknown key", func(w *world, _ []byte) {
			data, err := manifestOf(w).Sign(mallory, mallory.ID)
			if err != nil {
				w.t.Fatal(err)
			}
			rewrite(w, replica.ManifestName, func([]byte) []byte { return data })
		}, hashdb.ErrUnknownKey},
		{"replayed manifest", func(w *world, old []byte) {
			rewrite(w, replica.ManifestName, func([]byte) []byte { return old })
		}, replica.ErrStaleManifest},
		{"every bundle altered", func(w *world, _ []byte) {
			m := manifestOf(w)
			for _, b := range append(m.Deltas, m.Full) {
				rewrite(w, b.Name, func(d []byte) []byte { d[len(d)-10] ^= 1; return d })
			}
			w.advance()
			w.publish()
			// Undo the newest delta's damage only if it is a new blob:
			// the replica's next delta is spoilt, and so is the FULL.
		}, replica.ErrBlob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, memblob.OpenBucket(nil), replica.PublisherOptions{FullEvery: 100})
			db, f := w.replica("replica")
			w.step = 3 // from a step that adds items that stay
			w.advance()
			w.publish()
			old, _ := w.bucket.ReadAll(w.ctx, replica.ManifestName)
			w.advance()
			w.publish()
			if _, err := f.Sync(w.ctx); err != nil {
				t.Fatal(err)
			}
			good, answers := stateOf(t, db), lookups(t, db)
			if answers == "[]" {
				t.Fatal("the replica matches nothing before the test")
			}
			w.advance()
			w.publish()
			tt.spoil(w, old)
			st, err := f.Sync(w.ctx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("sync: %v, want %v", err, tt.want)
			}
			if st.Current {
				t.Error("a refused sync reports the replica current")
			}
			if got := stateOf(t, db); got != good {
				t.Errorf("state %+v after a refused sync, want %+v", got, good)
			}
			if got := lookups(t, db); got != answers {
				t.Errorf("lookups answer %q after a refused sync, %q before", got, answers)
			}
		})
	}
}

// A publish that fails to upload leaves the old manifest, which still
// names only blobs that exist; the next publish recovers with a FULL.
func TestFailedUploadKeepsManifest(t *testing.T) {
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, b, replica.PublisherOptions{FullEvery: 100})
	db, f := w.replica("replica")
	w.advance()
	w.publish()
	if _, err := f.Sync(w.ctx); err != nil {
		t.Fatal(err)
	}
	// A file where the deltas' directory would go makes the upload fail.
	if err := os.WriteFile(filepath.Join(dir, "delta"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w.advance()
	if _, err := w.pub.Publish(w.ctx); err == nil {
		t.Fatal("publish succeeded with its upload blocked")
	}
	if st, err := f.Sync(w.ctx); err != nil || !st.Current || st.Deltas+st.Fulls != 0 {
		t.Fatalf("sync after a failed publish: %+v, %v", st, err)
	}
	if err := os.Remove(filepath.Join(dir, "delta")); err != nil {
		t.Fatal(err)
	}
	res := w.publish()
	if res.Full.Name == "" || res.Delta.Name != "" {
		t.Errorf("publish after a failed upload wrote %+v, want a FULL only", res)
	}
	if st, err := f.Sync(w.ctx); err != nil || st.Fulls != 1 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	w.checkSame("replica", db)
}

// Readers of the bucket never see a manifest naming a blob that is not
// there: a reader polls while the publisher publishes.
func TestManifestWrittenLast(t *testing.T) {
	for _, bk := range buckets {
		t.Run(bk.name, func(t *testing.T) {
			// No pruning, so every blob a manifest ever named stays.
			w := newWorld(t, bk.open(t), replica.PublisherOptions{FullEvery: 1000})
			done := make(chan struct{})
			errc := make(chan error, 1)
			go func() {
				defer close(errc)
				seen := 0
				for {
					select {
					case <-done:
						if seen == 0 {
							errc <- errors.New("the reader saw no manifest")
						}
						return
					default:
					}
					data, err := w.bucket.ReadAll(w.ctx, replica.ManifestName)
					if err != nil {
						continue
					}
					m, err := replica.ParseManifest(data, w.keyOf)
					if err != nil {
						errc <- err
						return
					}
					seen++
					for _, b := range append(m.Deltas, m.Full) {
						if ok, err := w.bucket.Exists(w.ctx, b.Name); !ok || err != nil {
							errc <- fmt.Errorf("manifest at %d names %s, which does not exist (%v)", m.Seq, b.Name, err)
							return
						}
					}
				}
			}()
			for range 15 {
				w.advance()
				w.publish()
			}
			close(done)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewFollowerNeedsPeer(t *testing.T) {
	w := newWorld(t, memblob.OpenBucket(nil), replica.PublisherOptions{})
	db := w.open("stranger", "stranger")
	_, err := replica.NewFollower(db, w.bucket, replica.FollowerOptions{Peer: org})
	if !errors.Is(err, hashdb.ErrNotFound) {
		t.Errorf("NewFollower of a non-peer: %v", err)
	}
	_, f := w.replica("replica")
	if _, err := f.Sync(w.ctx); !errors.Is(err, replica.ErrNoManifest) {
		t.Errorf("sync of an empty bucket: %v", err)
	}
}

// A sync stopped mid-apply (its context cancelled while it imports a
// large FULL bundle, as a killed process would be) leaves the replica
// with all of the bundle or none of it, and the next sync completes.
func TestSyncStoppedMidApplyResumes(t *testing.T) {
	w := newWorld(t, memblob.OpenBucket(nil), replica.PublisherOptions{})
	items := make([]hashdb.Item, 20000)
	for i := range items {
		items[i] = item(i, tlp.Green)
	}
	if err := w.primary.Put(w.ctx, items...); err != nil {
		t.Fatal(err)
	}
	res := w.publish()
	db, f := w.replica("replica")
	for _, after := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(w.ctx, after)
		_, err := f.Sync(ctx)
		cancel()
		st := stateOf(t, db)
		switch {
		case err == nil:
			// It finished first: all of it.
		case st.seq != 0 || st.digest != [32]byte{}:
			t.Fatalf("stopped after %v: %v, and the replica holds %+v, not nothing", after, err, st)
		}
	}
	st, err := f.Sync(w.ctx)
	if err != nil || !st.Current || st.Seq != res.Manifest.Seq {
		t.Fatalf("sync after the stopped ones: %+v, %v", st, err)
	}
	w.checkSame("replica", db)
}
