package replica_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"gocloud.dev/blob/memblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// Even under a manifest that verifies (a faulty publisher's, say), a
// bundle that is replayed, out of sequence or signed by a foreign key is
// refused by the import, nothing is applied from it, and the replica
// loads the FULL bundle instead.
func TestImportRefusesForgedBundles(t *testing.T) {
	tests := []struct {
		name string
		// forge returns the bytes to put in place of the replica's next
		// delta, given the deltas published so far.
		forge func(w *world, deltas []replica.Blob) []byte
		want  string
	}{
		{"replayed", func(w *world, ds []replica.Blob) []byte { return read(w, ds[0].Name) }, "replayed"},
		{"the last one again", func(w *world, ds []replica.Blob) []byte { return read(w, ds[1].Name) }, "took the replica to"},
		{"out of sequence", func(w *world, ds []replica.Blob) []byte { return read(w, ds[len(ds)-1].Name) }, "does not follow"},
		{"foreign-signed", func(w *world, ds []replica.Blob) []byte {
			// Another database calling itself acme, with its own key.
			mallory, err := signing.GenerateKey(org)
			if err != nil {
				w.t.Fatal(err)
			}
			db := w.open("mallory", org)
			if err := db.Put(w.ctx, item(1000, tlp.Green)); err != nil {
				w.t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := db.Export(w.ctx, &buf, hashdb.ExportOptions{Signer: mallory}); err != nil {
				w.t.Fatal(err)
			}
			return buf.Bytes()
		}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, memblob.OpenBucket(nil), replica.PublisherOptions{FullEvery: 3, KeepDeltas: 10})
			db, f := w.replica("replica")
			w.step = 3
			for range 3 {
				w.advance()
				w.publish()
			}
			if _, err := f.Sync(w.ctx); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				w.advance()
				w.publish()
			}
			m := manifestOf(w)
			i := len(m.Deltas) - 3 // the replica's next delta
			forged := tt.forge(w, m.Deltas)
			sum := sha256.Sum256(forged)
			m.Deltas[i].SHA256, m.Deltas[i].Size = hex.EncodeToString(sum[:]), int64(len(forged))
			if err := w.bucket.WriteAll(w.ctx, m.Deltas[i].Name, forged, nil); err != nil {
				t.Fatal(err)
			}
			data, err := m.Sign(w.key, w.key.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.bucket.WriteAll(w.ctx, replica.ManifestName, data, nil); err != nil {
				t.Fatal(err)
			}
			st, err := f.Sync(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Fulls != 1 || !strings.Contains(st.Fallback, tt.want) || !st.Current {
				t.Errorf("status %+v, want a fallback to the FULL because %q", st, tt.want)
			}
			w.checkSame("replica", db)
			if items, _ := db.Lookup(sig(1000)); len(items) != 0 {
				t.Errorf("the forged bundle's item is held: %v", items)
			}
		})
	}
}

func read(w *world, name string) []byte {
	w.t.Helper()
	data, err := w.bucket.ReadAll(w.ctx, name)
	if err != nil {
		w.t.Fatal(err)
	}
	return data
}
