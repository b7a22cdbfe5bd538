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
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/bundle"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// stagedFrames returns the spooled form of n upserts, as a bundle.Spool keeps it.
func stagedFrames(t *testing.T, n int) []byte {
	t.Helper()
	var entries []*pb.Entry
	for i := range n {
		it := itemToProto(&Item{Key: Key{Source: "org-a", ID: fmt.Sprintf("i%d", i)}, Signals: []signal.Signal{testSignal(signal.PDQ, i)}, TLP: tlp.Green})
		entries = append(entries, &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}})
	}
	br, err := bundle.NewReader(bytes.NewReader(signedBundle(t, &pb.Header{Producer: "org-a", KeyId: "k1", Kind: pb.BundleKind_BUNDLE_KIND_FULL, ToSeq: 1}, bundle.SetDigest{}, entries...)),
		func(string, string) (ed25519.PublicKey, error) { return keyA1.Public().(ed25519.PublicKey), nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for {
		if _, err := br.Next(); err != nil {
			break
		}
		out = append(out, br.Frame()...)
	}
	return out
}

// rawFrames reads frames as a spool keeps them, from bytes a test made
// (and may have cut short).
type rawFrames struct{ r *bufio.Reader }

func (f *rawFrames) Next() ([]byte, error) {
	n, err := binary.ReadUvarint(f.r)
	if err != nil {
		return nil, err
	}
	b := binary.AppendUvarint(nil, n)
	b = append(b, make([]byte, n)...)
	_, err = io.ReadFull(f.r, b[len(b)-int(n):])
	return b, err
}

func (f *rawFrames) Decode(frame []byte) (*pb.Entry, error) { return bundle.DecodeFrame(frame, nil) }

// TestPrepare reads staged entries back in order, across batches, and
// stops at a truncated one with an error in its place.
func TestPrepare(t *testing.T) {
	const n = 2*prepareBatch + 5
	frames := stagedFrames(t, n)
	tests := []struct {
		name string
		b    []byte
		want int // entries read before the error, or n
	}{
		{"whole", frames, n},
		{"truncated", frames[:len(frames)-3], n - 1},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &rawFrames{r: bufio.NewReader(bytes.NewReader(tt.b))}
			entries := prepare(st, &preparer{o: *testOptions()}, n)
			defer entries.Close()
			got := 0
			var err error
			for batch := entries.Next(); batch != nil && err == nil; batch = entries.Next() {
				for _, en := range batch {
					if en.err != nil {
						err = en.err
						break
					}
					if want := fmt.Sprintf("i%d", got); en.it.ID != want || en.bad != nil {
						t.Fatalf("entry %d: %s (%v), want %s", got, en.it.ID, en.bad, want)
					}
					got++
				}
			}
			if got != tt.want || (got < n) != (err != nil) {
				t.Fatalf("%d entries, error %v; want %d", got, err, tt.want)
			}
		})
	}
}

// TestPrepareStop checks that prepare ends when closed before its reader
// has taken every batch.
func TestPrepareStop(t *testing.T) {
	const n = 20 * prepareBatch
	frames := stagedFrames(t, n)
	st := &rawFrames{r: bufio.NewReader(bytes.NewReader(frames))}
	entries := prepare(st, &preparer{o: *testOptions()}, n)
	if b := entries.Next(); len(b) != prepareBatch {
		t.Fatalf("first batch of %d entries", len(b))
	}
	entries.Close() // returns only once the worker has ended
}

// TestImportBadEntryAfterBatches checks that an invalid entry deep in a
// bundle is named by its position and leaves the database as it was.
func TestImportBadEntryAfterBatches(t *testing.T) {
	ctx := context.Background()
	_, b := orgPair(t)
	before := snapshot(t, b)
	var entries []*pb.Entry
	for i := range 2*prepareBatch + 10 {
		it := itemToProto(&Item{Key: Key{Source: "org-a", ID: fmt.Sprintf("i%d", i)}, Signals: []signal.Signal{testSignal(signal.PDQ, i)}, TLP: tlp.Green})
		if i == 2*prepareBatch+3 {
			it.Labels = []string{"BAD LABEL"}
		}
		entries = append(entries, &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}})
	}
	full := &pb.Header{Producer: "org-a", KeyId: "k1", Kind: pb.BundleKind_BUNDLE_KIND_FULL, ToSeq: 1, Audience: "org-b"}
	_, err := b.Import(ctx, bytes.NewReader(signedBundle(t, full, bundle.SetDigest{}, entries...)), &ImportOptions{TempDir: t.TempDir()})
	if !errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d:", 2*prepareBatch+4)) {
		t.Fatalf("error %v, want ErrInvalidItem at entry %d", err, 2*prepareBatch+4)
	}
	if snapshot(t, b) != before {
		t.Fatal("a refused bundle changed the database")
	}
}

// TestImportMalformedEntryAfterCommits checks that an entry a signed bundle
// carries but the recipient's limits refuse, found only when the entry is
// decoded during the apply, after intermediate commits, fails the import
// with ErrLimit and leaves the database exactly as it was.
func TestImportMalformedEntryAfterCommits(t *testing.T) {
	ctx := context.Background()
	ob := testOptions()
	ob.Organization, ob.MaxSignals = "org-b", 2
	b := openTest(t, ob)
	if err := b.AddPeer(ctx, Peer{
		ID:     "org-a",
		Keys:   []PeerKey{{ID: "k1", Public: keyA1.Public().(ed25519.PublicKey)}},
		Policy: Policy{MaxTLP: tlp.AmberStrict},
	}); err != nil {
		t.Fatal(err)
	}
	b.chunk = 5
	commits := 0
	b.testHookChunk = func() { commits++ }
	before := snapshot(t, b)
	const bad = 200
	var entries []*pb.Entry
	for i := range bad + 10 {
		it := &Item{Key: Key{Source: "org-a", ID: fmt.Sprintf("i%d", i)}, Signals: []signal.Signal{testSignal(signal.PDQ, i)}, TLP: tlp.Green}
		if i == bad {
			it.Signals = append(it.Signals, testSignal(signal.MD5, i), testSignal(signal.SHA256, i))
		}
		entries = append(entries, &pb.Entry{Change: &pb.Entry_Upsert{Upsert: itemToProto(it)}})
	}
	full := &pb.Header{Producer: "org-a", KeyId: "k1", Kind: pb.BundleKind_BUNDLE_KIND_FULL, ToSeq: 1, Audience: "org-b"}
	_, err := b.Import(ctx, bytes.NewReader(signedBundle(t, full, bundle.SetDigest{}, entries...)), &ImportOptions{TempDir: t.TempDir()})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d:", bad+1)) {
		t.Fatalf("error %v, want ErrLimit at entry %d", err, bad+1)
	}
	if commits < 3 {
		t.Fatalf("%d intermediate commits before the bad entry, want several", commits)
	}
	if snapshot(t, b) != before {
		t.Fatal("a refused bundle changed the database")
	}
}
