package hashdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/bundle"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// Staged writes (internal/store): imports and exports commit in chunks, yet
// stay all or nothing and invisible until done. These tests set db.chunk
// small so that a few hundred items take many transactions.

// stagedChunkTest is the chunk most tests use: an entry takes about four
// record writes, so a commit every entry or two.
const stagedChunkTest = 5

// stagedNote makes items large enough that a bundle of a hundred overflows
// the bundle writer's 64 KB buffer, so a failing writer fails mid-stream.
var stagedNote = strings.Repeat("n", 800)

// stagedItem is org-a's i-th item.
func stagedItem(i int) Item {
	it := orgItem("org-a", fmt.Sprintf("i%03d", i), i, tlp.Green)
	it.Note = stagedNote
	return it
}

// stagedNew is the i-th item org-a adds after the first exchange.
func stagedNew(i int) Item {
	it := orgItem("org-a", fmt.Sprintf("n%03d", i), 10000+i, tlp.Amber)
	it.Note = stagedNote
	return it
}

// The items the probes follow; stagedChange updates, retracts, raises to
// RED, re-judges and adds them.
var (
	probeUpd   = stagedItem(0).Key // updated
	probeRet   = stagedItem(1).Key // retracted
	probeRed   = stagedItem(2).Key // raised to RED: retracted at B
	probeOp    = stagedItem(3).Key // org-a's opinion on it changes
	probeFresh = stagedNew(0).Key  // created
)

// openOrg opens the database of org at path, closing it at cleanup. It
// does not sync commits to disk: what these tests kill is a process, not
// the machine, and the page cache outlives it.
func openOrg(t testing.TB, path, org string, readOnly bool) *DB {
	t.Helper()
	o := testOptions()
	o.Organization, o.ReadOnly, o.Timeout = org, readOnly, 5*time.Second
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	db.bolt.NoSync = true
	t.Cleanup(func() { db.Close() })
	return db
}

// newStaged opens org-a's database holding n items and opinions, and
// org-b's holding items of its own and org-a's FULL bundle, both in
// files, every staged write committing every chunk record writes.
func newStaged(t testing.TB, n, chunk int) (a, b *DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a = openOrg(t, filepath.Join(dir, "a.db"), "org-a", false)
	b = openOrg(t, filepath.Join(dir, "b.db"), "org-b", false)
	a.chunk, b.chunk = chunk, chunk
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.AddPeer(ctx, Peer{ID: "org-b", Policy: Policy{Share: tlp.Amber}}))
	must(b.AddPeer(ctx, Peer{
		ID:     "org-a",
		Keys:   []PeerKey{{ID: "k1", Public: keyA1.Public().(ed25519.PublicKey)}},
		Policy: Policy{MaxTLP: tlp.AmberStrict},
	}))
	items := make([]Item, n)
	for i := range items {
		items[i] = stagedItem(i)
	}
	must(a.Put(ctx, items...))
	for i := 3; i < n; i += 13 {
		must(a.SetOpinion(ctx, Opinion{Key: stagedItem(i).Key, Verdict: Confirmed}))
	}
	must(a.SetOpinion(ctx, Opinion{Signal: testSignal(signal.MD5, 3), Verdict: Confirmed}))
	for i := range 5 {
		must(b.Put(ctx, orgItem("org-b", fmt.Sprintf("b%d", i), 50000+i, tlp.Green)))
	}
	must(b.SetOpinion(ctx, Opinion{Key: probeOp, Verdict: Disputed, Reason: "b's own"}))
	full, _ := exportTo(t, a, true, false)
	mustImport(t, b, full)
	return a, b
}

// stagedChange makes org-a update, retract, raise to RED and add items,
// and change opinions: a bundle of every kind of entry.
func stagedChange(t testing.TB, a *DB, n int) {
	t.Helper()
	ctx := context.Background()
	var put []Item
	for i := range n {
		it := stagedItem(i)
		switch {
		case i%11 == 2:
			it.TLP = tlp.Red
		case i%5 == 0:
			it.Labels, it.Note = []string{"type:image", "type:video"}, "v2 "+stagedNote
		default:
			continue
		}
		put = append(put, it)
	}
	for i := range n / 2 {
		put = append(put, stagedNew(i))
	}
	if err := a.Put(ctx, put...); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i += 7 {
		if err := a.Retract(ctx, stagedItem(i).Key, "withdrawn"); err != nil {
			t.Fatal(err)
		}
	}
	ops := []Opinion{
		{Signal: testSignal(signal.MD5, 3), Verdict: FalsePositive, Reason: "v2"},
		{Key: Key{Source: "org-b", ID: "b0"}, Verdict: Confirmed},
	}
	for i := 3; i < n; i += 13 {
		ops = append(ops, Opinion{Key: stagedItem(i).Key, Verdict: Disputed, Reason: "v2"})
	}
	for _, op := range ops {
		if err := a.SetOpinion(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
}

// probes reads what a staged write changes, each piece in one read
// transaction, as text: the counters, the probe items by Get, Lookup,
// Match and History, opinions, the peer's checkpoint and the last changes
// from since on. It does not call t, so goroutines may use it.
func probes(db *DB, since uint64) ([]string, error) {
	var out []string
	var errs []error
	add := func(v any, err error) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
		out = append(out, fmt.Sprintf("%+v %v", v, errors.Is(err, ErrNotFound)))
	}
	st, err := db.Stats()
	st.FileSize = 0
	add(st, err)
	for _, k := range []Key{probeFresh, probeUpd, probeRet, probeRed} {
		add(db.Get(k))
		add(db.History(k))
	}
	for _, n := range []int{10000, 0, 1, 2} {
		add(db.Lookup(testSignal(signal.MD5, n)))
	}
	for _, n := range []int{10000, 0, 1} { // Match reads in a transaction per query
		add(db.Match(context.Background(), []signal.Signal{testSignal(signal.PDQ, n)}, nil))
	}
	add(db.Opinions(probeOp))
	add(db.Opinions(Key{Source: "org-b", ID: "b0"}))
	add(db.SignalOpinions(testSignal(signal.MD5, 3)))
	add(db.Peer("org-a"))
	var seqs []uint64
	for c, err := range db.Changes(context.Background(), since) {
		if err != nil {
			errs = append(errs, err)
			break
		}
		seqs = append(seqs, c.Seq)
	}
	add(seqs, nil)
	return out, errors.Join(errs...)
}

func mustProbes(t testing.TB, db *DB, since uint64) []string {
	t.Helper()
	p, err := probes(db, since)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rawDump renders every record of the file, bucket by bucket (only the
// named top-level buckets, if any), with the buckets' sequences. Empty
// buckets are left out: a failed write may leave the empty received or
// sent set it created, which reads as no set at all.
func rawDump(t testing.TB, db *DB, only ...string) string {
	t.Helper()
	var sb strings.Builder
	var dump func(path string, b *bolt.Bucket) error
	dump = func(path string, b *bolt.Bucket) error {
		if s := b.Sequence(); s != 0 {
			fmt.Fprintf(&sb, "%s seq=%d\n", path, s)
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return dump(fmt.Sprintf("%s/%q", path, k), b.Bucket(k))
			}
			fmt.Fprintf(&sb, "%s %q=%x\n", path, k, v)
			return nil
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if len(only) > 0 && !containsString(only, string(name)) {
				return nil
			}
			return dump(fmt.Sprintf("%q", name), b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// undoRecords counts the undo records an unfinished staged write keeps
// for target.
func undoRecords(t testing.TB, db *DB, target []byte) int {
	t.Helper()
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		// The undo records' place in the file: staged/undo/target.
		if u := tx.Bucket([]byte("staged")); u != nil {
			if u = u.Bucket([]byte("undo")); u != nil {
				if u = u.Bucket(target); u != nil {
					n = u.Stats().KeyN
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hasStaged reports whether the file holds an unfinished staged write.
func hasStaged(t testing.TB, db *DB) bool {
	t.Helper()
	var ok bool
	if err := db.bolt.View(func(tx *bolt.Tx) error { ok = store.Pending(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return ok
}

// checkNow is [DB.Check] without the write lock, for a testHookChunk,
// which runs with the lock held and no transaction open.
func checkNow(t testing.TB, db *DB) []string {
	t.Helper()
	var out []string
	c := checker{ctx: context.Background()}
	err := db.viewTx(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			out = append(out, err.Error())
		}
		v, err := store.NewView(tx)
		if err != nil {
			return err
		}
		c.v = &view{v}
		return c.run()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.probs {
		out = append(out, p.String())
	}
	return out
}

func mustCheck(t testing.TB, db *DB) {
	t.Helper()
	probs, err := db.Check(context.Background())
	if err != nil || len(probs) > 0 {
		t.Errorf("Check: %v %v", probs, err)
	}
}

// firstDiff returns the first line where a and b differ, for messages.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  want %.300s\n  got  %.300s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(lb), len(la))
}

// copyDB writes a consistent copy of db's file and returns its path.
func copyDB(t testing.TB, db *DB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := db.bolt.View(func(tx *bolt.Tx) error { return tx.CopyFile(path, 0o600) }); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyFile copies the closed database file src and returns the copy's path.
func copyFile(t testing.TB, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// state is what a rolled back write must leave exactly as it was.
type state struct {
	snap, raw string
	probes    []string
	since     uint64
}

func stateOf(t testing.TB, db *DB) state {
	t.Helper()
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	since := max(st.LastSeq, 3) - 3
	return state{snapshot(t, db), rawDump(t, db), mustProbes(t, db, since), since}
}

// sameState reports how db differs from s, as readers and as records.
func sameState(t testing.TB, db *DB, s state) {
	t.Helper()
	if got := snapshot(t, db); got != s.snap {
		t.Errorf("snapshot differs: %s", firstDiff(s.snap, got))
	}
	if got := rawDump(t, db); got != s.raw {
		t.Errorf("records differ: %s", firstDiff(s.raw, got))
	}
	if got := mustProbes(t, db, s.since); strings.Join(got, "\n") != strings.Join(s.probes, "\n") {
		t.Errorf("reads differ: %s", firstDiff(strings.Join(s.probes, "\n"), strings.Join(got, "\n")))
	}
	if hasStaged(t, db) {
		t.Error("the staged bucket is left")
	}
	if db.pending.Load() {
		t.Error("a staged write is still noted as pending")
	}
	mustCheck(t, db)
}

// TestStagedIsolation checks that readers see nothing of an import until
// its last transaction commits: from every intermediate commit, and from a
// goroutine reading throughout.
func TestStagedIsolation(t *testing.T) {
	const n = 100
	for _, full := range []bool{true, false} {
		t.Run(map[bool]string{true: "full", false: "delta"}[full], func(t *testing.T) {
			a, b := newStaged(t, n, stagedChunkTest)
			stagedChange(t, a, n)
			bun, _ := exportTo(t, a, full, false)
			before := stateOf(t, b)
			if _, err := b.Get(probeFresh); !errors.Is(err, ErrNotFound) {
				t.Fatalf("the new item is there before the import: %v", err)
			}

			// A reader runs throughout; the first intermediate commit
			// waits until it has read the staged state whole.
			var reads atomic.Int64
			var seen [][]string
			stop := make(chan struct{})
			exited := make(chan struct{})
			go func() {
				defer close(exited)
				for {
					select {
					case <-stop:
						return
					default:
					}
					p, err := probes(b, before.since)
					if err != nil {
						t.Error(err)
						return
					}
					seen = append(seen, p)
					reads.Add(1)
					time.Sleep(time.Millisecond) // leave the writer a core
				}
			}()

			commits, failed := 0, false
			b.testHookChunk = func() {
				commits++
				for from := reads.Load(); commits == 1 && reads.Load() < from+2; {
					select {
					case <-exited:
						t.Error("the concurrent reader stopped")
						from = -2
					case <-time.After(time.Millisecond):
					}
				}
				if failed {
					return
				}
				fail := func(format string, args ...any) {
					t.Errorf("commit %d: "+format, append([]any{commits}, args...)...)
					failed = true
				}
				if got := snapshot(t, b); got != before.snap {
					fail("snapshot differs: %s", firstDiff(before.snap, got))
				}
				got, err := probes(b, before.since)
				if err != nil {
					fail("%v", err)
				}
				if g, w := strings.Join(got, "\n"), strings.Join(before.probes, "\n"); g != w {
					fail("reads differ: %s", firstDiff(w, g))
				}
				if probs := checkNow(t, b); len(probs) > 0 {
					fail("Check: %v", probs)
				}
				if !hasStaged(t, b) {
					fail("no staged write is pending")
				}
			}
			res, err := b.Import(context.Background(), bytes.NewReader(bun), &ImportOptions{TempDir: t.TempDir()})
			b.testHookChunk = nil
			close(stop)
			<-exited
			if err != nil || res.Full != full {
				t.Fatalf("import: %+v %v", res, err)
			}
			if commits < 20 {
				t.Fatalf("%d intermediate commits: the import was not staged in chunks", commits)
			}

			// The import is whole now.
			if hasStaged(t, b) {
				t.Error("the staged bucket is left")
			}
			mustCheck(t, b)
			if got := snapshot(t, b); got == before.snap {
				t.Error("the import changed nothing")
			}
			if it, err := b.Get(probeFresh); err != nil || it.TLP != tlp.Amber {
				t.Errorf("new item: %+v %v", it, err)
			}
			if it, err := b.Get(probeUpd); err != nil || !strings.HasPrefix(it.Note, "v2") {
				t.Errorf("updated item: %+v %v", it, err)
			}
			for _, k := range []Key{probeRet, probeRed} {
				if it, err := b.Get(k); err != nil || !it.Retracted {
					t.Errorf("%s not retracted: %+v %v", k, it, err)
				}
			}
			if items, err := b.Lookup(testSignal(signal.MD5, 10000)); err != nil || len(items) != 1 {
				t.Errorf("Lookup of the new item: %v %v", items, err)
			}
			if items, err := b.Lookup(testSignal(signal.MD5, 1)); err != nil || len(items) != 0 {
				t.Errorf("Lookup of the retracted item: %v %v", items, err)
			}
			if ops, err := b.Opinions(probeOp); err != nil || len(ops) != 2 || ops[0].Org != "org-a" || ops[0].Verdict != Disputed {
				t.Errorf("opinions: %+v %v", ops, err)
			}

			// Every piece the reader read is the old state or the new,
			// and once it saw the new it never saw the old again.
			after := mustProbes(t, b, before.since)
			newSeen := false
			for r, p := range seen {
				for i := range p {
					old, cur := before.probes[i], after[i]
					switch {
					case p[i] == old && p[i] == cur:
					case p[i] == old && newSeen:
						t.Fatalf("read %d, piece %d: the old state after the new", r, i)
					case p[i] == cur:
						newSeen = p[i] != old || newSeen
					case p[i] != old:
						t.Fatalf("read %d, piece %d is neither before nor after:\n%s\nBEFORE %s\nAFTER %s", r, i, p[i], old, cur)
					}
				}
			}
			t.Logf("%d commits, %d concurrent reads", commits, len(seen))
		})
	}
}

// receivedDigest returns the set digest db holds for what it received
// from peer.
func receivedDigest(t testing.TB, db *DB, peer string) bundle.SetDigest {
	t.Helper()
	var d bundle.SetDigest
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		d, err = setDigest(tx.Bucket(store.BucketReceived).Bucket([]byte(peer)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// craftBundle returns a bundle from org-a to db following its checkpoint
// (a delta) or replacing what it holds (full), of m new items and, if bad
// >= 0, an item the database refuses at that position; its set digest is
// right unless wrong. With twice, it also changes a held item at its
// start and again at its end, retracts one in its middle and changes an
// opinion (and its set digest is wrong).
func craftBundle(t testing.TB, db *DB, full bool, m, bad int, wrong, twice bool) []byte {
	t.Helper()
	p, err := db.Peer("org-a")
	if err != nil {
		t.Fatal(err)
	}
	cp := p.Checkpoint
	h := &pb.Header{Producer: "org-a", KeyId: "k1", Kind: pb.BundleKind_BUNDLE_KIND_DELTA, FromSeq: cp.Seq,
		ToSeq: cp.Seq + 1000, PreviousDigest: cp.BundleDigest, Audience: "org-b"}
	var set bundle.SetDigest
	if full {
		h.Kind, h.FromSeq, h.PreviousDigest = pb.BundleKind_BUNDLE_KIND_FULL, 0, nil
	} else {
		set = receivedDigest(t, db, "org-a")
	}
	var entries []*pb.Entry
	for i := range m {
		it := orgItem("org-a", fmt.Sprintf("d%03d", i), 20000+i, tlp.Green)
		if i == bad {
			it.Labels = []string{"BAD LABEL"}
		}
		pi := itemToProto(&it)
		set.Add(bundle.ItemHash(pi))
		entries = append(entries, &pb.Entry{Change: &pb.Entry_Upsert{Upsert: pi}})
	}
	if twice {
		upd := func(note string) *pb.Entry {
			it := stagedItem(0)
			it.Note = note
			return &pb.Entry{Change: &pb.Entry_Upsert{Upsert: itemToProto(&it)}}
		}
		ret := &pb.Entry{Change: &pb.Entry_Retract{Retract: &pb.Retraction{Item: &pb.ItemKey{Source: "org-a", Id: probeRet.ID}, Reason: "r"}}}
		op := &pb.Entry{Change: &pb.Entry_Opinion{Opinion: opinionToProto(&Opinion{Key: probeOp, Verdict: FalsePositive, Org: "org-a", Time: t0})}}
		entries = append(append([]*pb.Entry{upd("t1")}, entries[:m/2]...), append([]*pb.Entry{ret, op}, append(entries[m/2:], upd("t2"))...)...)
	}
	if wrong {
		set.Add(bundle.ItemHash(itemToProto(&Item{Key: Key{Source: "org-a", ID: "ghost"}, Signals: []signal.Signal{testSignal(signal.MD5, 1)}})))
	}
	return signedBundle(t, h, set, entries...)
}

// TestStagedRollback fails imports after several intermediate commits and
// checks that nothing of them is left, and that the import then succeeds.
func TestStagedRollback(t *testing.T) {
	const n, m = 60, 60
	tests := []struct {
		name   string
		full   bool
		crafts bool // a hand-made bundle rather than org-a's export
		bad    int  // position of a refused entry, or -1
		wrong  bool // a wrong set digest
		twice  bool // items changed twice, retracted, opinions
		cancel bool // cancel the context after the third commit
		late   bool // cancel it once opinions are staged, near the end
		want   error
	}{
		{name: "cancelled full", full: true, cancel: true, bad: -1, want: context.Canceled},
		{name: "cancelled delta", cancel: true, bad: -1, want: context.Canceled},
		{name: "cancelled late full", full: true, late: true, bad: -1, want: context.Canceled},
		{name: "cancelled late delta", late: true, bad: -1, want: context.Canceled},
		{name: "diverged full", full: true, crafts: true, bad: -1, wrong: true, want: ErrDiverged},
		{name: "diverged delta", crafts: true, bad: -1, wrong: true, want: ErrDiverged},
		{name: "full holding an item twice", full: true, crafts: true, bad: -1, wrong: true, twice: true, want: ErrMalformed},
		{name: "diverged delta, changed twice", crafts: true, bad: -1, wrong: true, twice: true, want: ErrDiverged},
		{name: "invalid item full", full: true, crafts: true, bad: m - 3, want: ErrInvalidItem},
		{name: "invalid item delta", crafts: true, bad: m - 3, want: ErrInvalidItem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newStaged(t, n, stagedChunkTest)
			var bad, good []byte
			if tt.crafts {
				bad = craftBundle(t, b, tt.full, m, tt.bad, tt.wrong, tt.twice)
				good = craftBundle(t, b, tt.full, m, -1, false, false)
			} else {
				stagedChange(t, a, n)
				bad, _ = exportTo(t, a, tt.full, false)
				good = bad
			}
			before := stateOf(t, b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			commits := 0
			b.testHookChunk = func() {
				if commits++; commits == 3 && tt.cancel || tt.late && undoRecords(t, b, store.BucketOpinions) > 0 {
					cancel()
				}
			}
			_, err := b.Import(ctx, bytes.NewReader(bad), &ImportOptions{TempDir: t.TempDir()})
			b.testHookChunk = nil
			if !errors.Is(err, tt.want) {
				t.Fatalf("import: %v, want %v", err, tt.want)
			}
			if commits < 3 {
				t.Fatalf("failed after %d intermediate commits: nothing to roll back", commits)
			}
			sameState(t, b, before)

			mustImport(t, b, good)
			mustCheck(t, b)
			if tt.crafts {
				if _, err := b.Get(Key{Source: "org-a", ID: fmt.Sprintf("d%03d", m-1)}); err != nil {
					t.Errorf("after the good import: %v", err)
				}
			}
		})
	}
}

// errWrite is the failure of failWriter.
var errWrite = errors.New("disk full")

// failWriter accepts limit bytes, then fails.
type failWriter struct {
	limit, n int
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, errWrite
	}
	w.n += len(p)
	return len(p), nil
}

// bundleText renders what a bundle carries, leaving out what differs
// between two exports of the same state (creation time, bundle id,
// signature).
func bundleText(t testing.TB, b []byte) string {
	t.Helper()
	r, err := bundle.NewReader(bytes.NewReader(b), func(string, string) (ed25519.PublicKey, error) {
		return keyA1.Public().(ed25519.PublicKey), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v %s→%s %d..%d prev %x\n", h.GetKind(), h.GetProducer(), h.GetAudience(), h.GetFromSeq(), h.GetToSeq(), h.GetPreviousDigest())
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%v\n", e)
	}
	fmt.Fprintf(&sb, "set %v\n", r.SetDigest())
	return sb.String()
}

// TestStagedExportRollback fails exports after intermediate commits: the
// sent set, the checkpoint and so the next delta are as before.
func TestStagedExportRollback(t *testing.T) {
	const n = 120
	tests := []struct {
		name   string
		full   bool
		last   bool // the writer fails on the bundle's last write, not its first
		cancel bool // cancel the context after the third commit instead
	}{
		{name: "full, first write fails", full: true},
		{name: "full, last write fails", full: true, last: true},
		{name: "delta, first write fails"},
		{name: "delta, last write fails", last: true},
		{name: "full, cancelled", full: true, cancel: true},
		{name: "delta, cancelled", cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newStaged(t, n, stagedChunkTest)
			stagedChange(t, a, n)
			a.chunk = 3
			total := 0 // intermediate commits of the whole export
			before := stateOf(t, a)
			last, err := a.LastExport("org-b")
			if err != nil || last.Seq == 0 {
				t.Fatalf("LastExport %+v %v", last, err)
			}
			twin := openOrg(t, copyDB(t, a), "org-a", false)
			// The writer takes nothing, all but the last byte, or all. A
			// whole export, by a copy, says how much that is.
			whole := openOrg(t, copyDB(t, a), "org-a", false)
			whole.chunk, whole.testHookChunk = a.chunk, func() { total++ }
			size, _ := exportTo(t, whole, tt.full, false)
			if len(size) <= 64<<10 {
				t.Fatalf("a bundle of %d bytes: the writer's first write is its last", len(size))
			}
			limit := 0
			switch {
			case tt.cancel:
				limit = 1 << 30
			case tt.last:
				limit = len(size) - 1
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			commits := 0
			a.testHookChunk = func() {
				if commits++; commits == 3 && tt.cancel {
					cancel()
				}
			}
			fw := &failWriter{limit: limit}
			_, err = a.Export(ctx, fw, ExportOptions{Audience: "org-b", Full: tt.full, KeyID: "k1", Signer: keyA1})
			a.testHookChunk = nil
			want := errWrite
			if tt.cancel {
				want = context.Canceled
			}
			if !errors.Is(err, want) {
				t.Fatalf("export: %v, want %v", err, want)
			}
			if commits < 3 || (!tt.last && commits >= total) {
				t.Fatalf("failed after %d of %d intermediate commits (%d bytes written)", commits, total, fw.n)
			}
			sameState(t, a, before)
			if cp, err := a.LastExport("org-b"); err != nil || cp.Seq != last.Seq || !bytes.Equal(cp.BundleDigest, last.BundleDigest) {
				t.Errorf("LastExport %+v %v, want %+v", cp, err, last)
			}

			// The next delta is the one the failed export's twin makes,
			// and the recipient takes it; so does the export retried.
			want2, _ := exportTo(t, twin, false, false)
			got, _ := exportTo(t, a, false, false)
			if w, g := bundleText(t, want2), bundleText(t, got); w != g {
				t.Fatalf("the next delta differs: %s", firstDiff(w, g))
			}
			mustImport(t, b, got)
			if tt.full {
				again, _ := exportTo(t, a, true, false)
				mustImport(t, b, again)
			}
			mustCheck(t, a)
			mustCheck(t, b)
		})
	}
}

// stagedChildEnv, when set, makes TestStagedCrash the child: "db|bundle|k"
// imports the bundle into the database and dies at the k-th intermediate
// commit.
const stagedChildEnv = "HASHDB_STAGED_CHILD"

func stagedChild(arg string) {
	f := strings.Split(arg, "|")
	k, _ := strconv.Atoi(f[2])
	o := testOptions()
	o.Organization = "org-b"
	db, err := Open(f[0], o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db.chunk = stagedChunkTest
	commits := 0
	db.testHookChunk = func() {
		if commits++; commits == k {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill() // SIGKILL: nothing runs after it
			time.Sleep(time.Minute)
		}
	}
	bun, err := os.ReadFile(f[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	_, err = db.Import(context.Background(), bytes.NewReader(bun), &ImportOptions{TempDir: filepath.Dir(f[0])})
	fmt.Printf("finished after %d commits: %v\n", commits, err)
	os.Exit(0)
}

// sweeping counts the items a FULL import from org-a retracted because
// its bundle lacked them, as the file holds them (not as readers see it).
func sweeping(t testing.TB, db *DB) int {
	t.Helper()
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketItems).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(k, v)
			if err == nil && r.Retracted && r.RetractReason == "not in org-a's full bundle" {
				n++
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStagedCrash kills a process in the middle of a staged import, at
// several commits, and checks that the file reads as before it, read-only
// and then writable, that a writable open rolls it back, and that the
// import then succeeds.
func TestStagedCrash(t *testing.T) {
	if arg := os.Getenv(stagedChildEnv); arg != "" {
		stagedChild(arg)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary; skipped with -short")
	}
	const n = 80
	for _, full := range []bool{true, false} {
		t.Run(map[bool]string{true: "full", false: "delta"}[full], func(t *testing.T) {
			a, b := newStaged(t, n, stagedChunkTest)
			stagedChange(t, a, n)
			bun, _ := exportTo(t, a, full, false)
			bunPath := filepath.Join(t.TempDir(), "bundle")
			if err := os.WriteFile(bunPath, bun, 0o600); err != nil {
				t.Fatal(err)
			}
			pathB := b.Path()
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			// The state before and after, and where the kills land, from
			// an import into a copy.
			ref := openOrg(t, copyFile(t, pathB), "org-b", false)
			before := stateOf(t, ref)
			ref.chunk = stagedChunkTest
			commits, sweep := 0, 0
			ref.testHookChunk = func() {
				if commits++; sweep == 0 && sweeping(t, ref) > 0 {
					sweep = commits
				}
			}
			mustImport(t, ref, bun)
			after := snapshot(t, ref)
			ref.Close()
			ks := []int{1, commits / 2, commits}
			if full {
				if sweep == 0 || sweep+2 >= commits {
					t.Fatalf("the sweep began at commit %d of %d: no kill lands in it", sweep, commits)
				}
				ks = append(ks, sweep+2)
			}

			for _, k := range ks {
				path := copyFile(t, pathB)
				cmd := exec.Command(os.Args[0], "-test.run=^TestStagedCrash$", "-test.count=1")
				cmd.Env = append(os.Environ(), stagedChildEnv+"="+path+"|"+bunPath+"|"+strconv.Itoa(k))
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				if code := cmd.ProcessState.ExitCode(); code != -1 || strings.Contains(out.String(), "finished") {
					t.Fatalf("kill at commit %d: the child was not killed (exit %d, %v): %s", k, code, err, out.String())
				}

				ro := openOrg(t, path, "org-b", true)
				if !hasStaged(t, ro) {
					t.Errorf("kill at commit %d left no staged write", k)
				}
				if got := snapshot(t, ro); got != before.snap {
					t.Errorf("kill at commit %d, read-only: snapshot differs: %s", k, firstDiff(before.snap, got))
				}
				if got := mustProbes(t, ro, before.since); strings.Join(got, "\n") != strings.Join(before.probes, "\n") {
					t.Errorf("kill at commit %d, read-only: reads differ: %s", k, firstDiff(strings.Join(before.probes, "\n"), strings.Join(got, "\n")))
				}
				mustCheck(t, ro)
				if _, err := ro.Import(context.Background(), bytes.NewReader(bun), nil); !errors.Is(err, ErrReadOnly) {
					t.Errorf("read-only import: %v", err)
				}
				ro.Close()

				db := openOrg(t, path, "org-b", false)
				sameState(t, db, before)
				mustImport(t, db, bun)
				if got := snapshot(t, db); got != after {
					t.Errorf("kill at commit %d, import again: %s", k, firstDiff(after, got))
				}
				mustCheck(t, db)
				db.Close()
			}
			t.Logf("%d commits, sweep from %d, killed at %v", commits, sweep, ks)
		})
	}
}

// rollbackSteps runs up to steps (all, if negative) of the transactions
// [DB.rollbackStaged] would run on the file at path, each of budget
// records, as if it were killed after the last, and returns how many it
// ran: rollbackStaged's transactions, one by one.
func rollbackSteps(t testing.TB, path string, steps, budget int) int {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	n := 0
	for ; steps < 0 || n < steps; n++ {
		done := false
		err := bdb.Update(func(tx *bolt.Tx) error {
			if !store.Pending(tx) {
				done = true
				return nil
			}
			_, err := store.RollbackStep(tx, budget)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
	}
	return n
}

// TestStagedRollbackInterrupted stops the rollback of a failed import
// midway, as a crash during it would, and checks that readers still see
// the state before the import and that the next writable open finishes the
// rollback.
func TestStagedRollbackInterrupted(t *testing.T) {
	const n, at = 120, 25
	for _, full := range []bool{true, false} {
		t.Run(map[bool]string{true: "full", false: "delta"}[full], func(t *testing.T) {
			a, b := newStaged(t, n, stagedChunkTest)
			stagedChange(t, a, n)
			bun, _ := exportTo(t, a, full, false)
			before := stateOf(t, b)
			ref := openOrg(t, copyDB(t, b), "org-b", false)
			mustImport(t, ref, bun)
			after := snapshot(t, ref)
			ref.Close()

			// The file as the import left it at commit at, then failed.
			var mid string
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			commits := 0
			b.testHookChunk = func() {
				if commits++; commits == at {
					mid = copyDB(t, b)
					cancel()
				}
			}
			_, err := b.Import(ctx, bytes.NewReader(bun), &ImportOptions{TempDir: t.TempDir()})
			b.testHookChunk = nil
			if !errors.Is(err, context.Canceled) || mid == "" {
				t.Fatalf("import: %v after %d commits, want it cancelled at %d", err, commits, at)
			}
			sameState(t, b, before)

			const budget = 3
			total := rollbackSteps(t, copyFile(t, mid), -1, budget)
			if total < 4 {
				t.Fatalf("the rollback takes %d transactions: nothing to interrupt", total)
			}
			for _, steps := range []int{1, total / 2, total - 1} {
				path := copyFile(t, mid)
				rollbackSteps(t, path, steps, budget)
				ro := openOrg(t, path, "org-b", true)
				if !hasStaged(t, ro) {
					t.Errorf("after %d of %d rollback steps: no staged write left", steps, total)
				}
				if got := snapshot(t, ro); got != before.snap {
					t.Errorf("after %d of %d rollback steps: snapshot differs: %s", steps, total, firstDiff(before.snap, got))
				}
				if got := mustProbes(t, ro, before.since); strings.Join(got, "\n") != strings.Join(before.probes, "\n") {
					t.Errorf("after %d of %d rollback steps: reads differ: %s", steps, total, firstDiff(strings.Join(before.probes, "\n"), strings.Join(got, "\n")))
				}
				mustCheck(t, ro)
				ro.Close()

				db := openOrg(t, path, "org-b", false)
				sameState(t, db, before)
				mustImport(t, db, bun)
				if got := snapshot(t, db); got != after {
					t.Errorf("after %d of %d rollback steps, import again: %s", steps, total, firstDiff(after, got))
				}
				db.Close()
			}
		})
	}
}

// digestRE matches the bundle digests a snapshot shows, which differ
// between two exports of the same state (each bundle has a random id).
var (
	digestRE = regexp.MustCompile(`BundleDigest:\[[^\]]*\]`)
	prevRE   = regexp.MustCompile(`prev [0-9a-f]*`)
)

// TestStagedChunkSizes runs the same exchange, FULL then FULL again (which
// sweeps) then a delta, with every export and import committing every 1
// to 7 record writes, and checks that both databases end as they do in
// one transaction per write.
func TestStagedChunkSizes(t *testing.T) {
	const n = 40
	ctx := context.Background()
	run := func(t *testing.T, chunk int) string {
		a, b := newStaged(t, n, chunk)
		stagedChange(t, a, n)
		full, _ := exportTo(t, a, true, false)
		var swept []int // at each intermediate commit
		b.testHookChunk = func() { swept = append(swept, sweeping(t, b)) }
		mustImport(t, b, full)
		b.testHookChunk = nil
		final := sweeping(t, b)
		if final < 5 {
			t.Fatalf("the FULL import retracted %d items", final)
		}
		// Some commit fell between two retractions of the sweep.
		if mid := slices.ContainsFunc(swept, func(s int) bool { return s > 0 && s < final }); chunk < store.DefaultChunk && !mid {
			t.Errorf("no commit in the middle of the sweep of %d items: %v", final, swept)
		}

		upd := stagedNew(1)
		upd.Labels = []string{"type:audio"}
		if err := a.Put(ctx, upd); err != nil {
			t.Fatal(err)
		}
		if err := a.Retract(ctx, stagedNew(2).Key, "gone"); err != nil {
			t.Fatal(err)
		}
		delta, _ := exportTo(t, a, false, false)
		mustImport(t, b, delta)
		mustCheck(t, a)
		mustCheck(t, b)

		var sb strings.Builder
		sb.WriteString(digestRE.ReplaceAllString(snapshot(t, a)+snapshot(t, b), "BundleDigest:*"))
		for _, l := range strings.Split(rawDump(t, a, "sent")+rawDump(t, b, "received"), "\n") {
			if !strings.Contains(l, `"\x00c"=`) { // the checkpoint holds the digest
				sb.WriteString(l + "\n")
			}
		}
		sb.WriteString(prevRE.ReplaceAllString(bundleText(t, full)+bundleText(t, delta), "prev *"))
		return sb.String()
	}
	var want string
	t.Run("one transaction", func(t *testing.T) { want = run(t, store.DefaultChunk) })
	if want == "" {
		t.FailNow()
	}
	for chunk := 1; chunk <= 7; chunk++ {
		t.Run(fmt.Sprintf("chunk %d", chunk), func(t *testing.T) {
			if got := run(t, chunk); got != want {
				t.Errorf("differs from one transaction: %s", firstDiff(want, got))
			}
		})
	}
}

// TestStagedExportResume exports more records than an export reads ahead
// of its writes, so that its cursors resume after commits, and checks the
// bundles and the sent set against an export in one transaction.
func TestStagedExportResume(t *testing.T) {
	const n = 1000
	ctx := context.Background()
	a, b := newStaged(t, 10, store.DefaultChunk)
	put := func(db *DB, note string) {
		items := make([]Item, n)
		for i := range items {
			items[i] = orgItem("org-a", fmt.Sprintf("r%04d", i), 30000+i, tlp.Green)
			items[i].Note = note
		}
		if err := db.Put(ctx, items...); err != nil {
			t.Fatal(err)
		}
	}
	put(a, "")
	twin := openOrg(t, copyDB(t, a), "org-a", false)
	a.chunk = 7
	for _, full := range []bool{true, false} {
		if !full {
			put(a, "v2") // an update of every item: the clocks may differ
			put(twin, "v2")
		}
		commits := 0
		a.testHookChunk = func() { commits++ }
		got, _ := exportTo(t, a, full, false)
		a.testHookChunk = nil
		want, _ := exportTo(t, twin, full, false)
		// Each cites its own previous bundle.
		if w, g := prevRE.ReplaceAllString(bundleText(t, want), "prev *"), prevRE.ReplaceAllString(bundleText(t, got), "prev *"); w != g {
			t.Fatalf("full %v: the bundle differs from one exported in one transaction: %s", full, firstDiff(w, g))
		}
		sent := func(db *DB) string {
			var sb strings.Builder
			for _, l := range strings.Split(rawDump(t, db, "sent"), "\n") {
				if !strings.Contains(l, `"\x00c"=`) {
					sb.WriteString(l + "\n")
				}
			}
			return sb.String()
		}
		if w, g := sent(twin), sent(a); w != g {
			t.Fatalf("full %v: the sent set differs: %s", full, firstDiff(w, g))
		}
		if commits < n/7 {
			t.Fatalf("full %v: %d intermediate commits", full, commits)
		}
		mustImport(t, b, got)
	}
	if st, err := b.Stats(); err != nil || st.Sources["org-a"] != n+10 {
		t.Errorf("B holds %v of org-a's items, want %d (%v)", st.Sources, n+10, err)
	}
	mustCheck(t, a)
	mustCheck(t, b)
}
