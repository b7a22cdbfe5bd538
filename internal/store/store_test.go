package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// These tests drive the staged transaction with plain keys and values:
// opinions stand for any bucket undone record by record, changes and
// numbers for the append-only ones, items for records a write creates
// (their value is an ItemRecord carrying only a number and a sequence
// number, which is all the store reads of one).

// openDB opens a new database file with a few records in it.
func openDB(t testing.TB) (*bolt.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		if err := Create(tx, &pb.Meta{Organization: "test"}); err != nil {
			return err
		}
		return seed(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

// seed writes the state before the writes under test: opinions o00..o09,
// items i00..i04 numbered 1..5, changes 1..5, and a set p/c.
func seed(tx *bolt.Tx) error {
	ops, items, nums, log := tx.Bucket(BucketOpinions), tx.Bucket(BucketItems), tx.Bucket(BucketNumbers), tx.Bucket(BucketChanges)
	for i := range 10 {
		if err := ops.Put(fmt.Appendf(nil, "o%02d", i), fmt.Appendf(nil, "old %d", i)); err != nil {
			return err
		}
	}
	for i := range 5 {
		num, _ := items.NextSequence()
		ik := ItemKey("src", fmt.Sprintf("i%02d", i))
		if err := items.Put(ik, record(num, uint64(i+1))); err != nil {
			return err
		}
		if err := nums.Put(NumKey(num), ik); err != nil {
			return err
		}
		if err := log.Put(SeqKey(uint64(i+1)), []byte("seed")); err != nil {
			return err
		}
	}
	p, err := tx.CreateBucket([]byte("p"))
	if err != nil {
		return err
	}
	c, err := p.CreateBucket([]byte("c"))
	if err != nil {
		return err
	}
	if err := c.Put([]byte("old"), []byte("set")); err != nil {
		return err
	}
	m, _, err := ReadMeta(tx)
	if err != nil {
		return err
	}
	m.LastSeq = 5
	return WriteMeta(tx, m)
}

// record returns an items bucket value with number num and sequence seq.
func record(num, seq uint64) []byte {
	v, err := marshal.Marshal(&pb.ItemRecord{Number: num, Seq: seq})
	if err != nil {
		panic(err)
	}
	return v
}

// errFault is the failure injected into a write.
var errFault = errors.New("injected fault")

// workload is the staged write under test: it overwrites, deletes and
// adds opinions, updates and adds items, logs a change per record and,
// if swap, replaces the set p/c. fail, if not nil, is asked after each
// step whether to fail there.
func workload(t *Tx, swap bool, fail func() bool) error {
	ops, items, nums, log := t.Undoable(BucketOpinions), t.Undoable(BucketItems), t.Bucket(BucketNumbers), t.Bucket(BucketChanges)
	m, err := t.Meta()
	if err != nil {
		return err
	}
	seq := m.GetLastSeq()
	var set *Bucket
	if swap {
		if set, err = t.Swap([]byte("p"), []byte("c")); err != nil {
			return err
		}
	}
	step := func() error {
		if fail != nil && fail() {
			return errFault
		}
		_, err := t.Step()
		return err
	}
	for i := range 14 {
		seq++
		var err error
		switch k := fmt.Appendf(nil, "o%02d", i); {
		case i%3 == 2:
			err = ops.Delete(k)
		default:
			err = ops.Put(k, fmt.Appendf(nil, "new %d", i))
		}
		if err == nil {
			err = log.Put(SeqKey(seq), []byte("change"))
		}
		if err == nil && i < 5 {
			err = items.Put(ItemKey("src", fmt.Sprintf("i%02d", i)), record(uint64(i+1), seq))
		}
		if err == nil && i >= 5 {
			var num uint64
			if num, err = items.NextSequence(); err == nil {
				ik := ItemKey("src", fmt.Sprintf("i%02d", i))
				if err = nums.Put(NumKey(num), ik); err == nil {
					err = items.PutNew(ik, record(num, seq))
				}
			}
		}
		if err == nil && swap {
			err = set.Put(fmt.Appendf(nil, "new%02d", i), []byte("set"))
		}
		if err == nil {
			err = step()
		}
		if err != nil {
			return err
		}
	}
	if fail != nil && fail() {
		return errFault
	}
	if swap {
		if _, err := t.SwapIn([]byte("p"), []byte("c")); err != nil {
			return err
		}
		if fail != nil && fail() {
			return errFault
		}
	}
	m.LastSeq = seq
	return t.WriteMeta(m)
}

// run runs workload as one write on db, and returns how many
// intermediate commits it made.
func run(db *bolt.DB, o Options, swap bool, fail func() bool) (int, error) {
	t, err := Begin(db, o)
	if err != nil {
		return 0, err
	}
	defer t.Discard()
	if err := workload(t, swap, fail); err != nil {
		return t.Commits(), err
	}
	return t.Commits(), t.Commit()
}

// rawDump returns every bucket of tx, nested ones too, and their
// sequences: the file's whole state.
func rawDump(tx *bolt.Tx) string {
	var sb strings.Builder
	var walk func(prefix string, b *bolt.Bucket)
	walk = func(prefix string, b *bolt.Bucket) {
		fmt.Fprintf(&sb, "%s seq=%d\n", prefix, b.Sequence())
		_ = b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(prefix+"/"+string(k), b.Bucket(k))
				return nil
			}
			fmt.Fprintf(&sb, "%s %q=%q\n", prefix, k, v)
			return nil
		})
	}
	_ = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		walk(string(name), b)
		return nil
	})
	return sb.String()
}

// viewDump returns what a reader sees through a View.
func viewDump(tx *bolt.Tx) (string, error) {
	v, err := NewView(tx)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, name := range [][]byte{BucketOpinions, BucketItems, BucketNumbers, BucketChanges} {
		c := v.Cursor(name)
		for k, val := c.First(); k != nil; k, val = c.Next() {
			if got := v.Get(name, k); !bytes.Equal(got, val) {
				return "", fmt.Errorf("%s %q: Get %q, cursor %q", name, k, got, val)
			}
			fmt.Fprintf(&sb, "%s %q=%q\n", name, k, val)
		}
	}
	_ = v.Bucket([]byte("p"), []byte("c")).ForEach(func(k, val []byte) error {
		fmt.Fprintf(&sb, "p/c %q=%q\n", k, val)
		return nil
	})
	m, err := v.Meta()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "last seq %d\n", m.GetLastSeq())
	return sb.String(), nil
}

func dumps(t testing.TB, db *bolt.DB) (raw, seen string) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		raw = rawDump(tx)
		var err error
		seen, err = viewDump(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw, seen
}

// TestChunkSizes checks that a staged write committed in chunks of 1 to
// 7 writes leaves the file byte for byte as one transaction does, and
// that a small write is one transaction whatever its size.
func TestChunkSizes(t *testing.T) {
	for _, swap := range []bool{false, true} {
		ref, _ := openDB(t)
		if n, err := run(ref, Options{Staged: true}, swap, nil); err != nil || n != map[bool]int{false: 0, true: 1}[swap] {
			t.Fatalf("one transaction: %d commits, %v", n, err)
		}
		want, _ := dumps(t, ref)
		for chunk := 1; chunk <= 7; chunk++ {
			t.Run(fmt.Sprintf("swap=%v/chunk=%d", swap, chunk), func(t *testing.T) {
				db, _ := openDB(t)
				n, err := run(db, Options{Staged: true, Chunk: chunk}, swap, nil)
				if err != nil {
					t.Fatal(err)
				}
				if n < 2 {
					t.Errorf("%d intermediate commits, want several", n)
				}
				if got, _ := dumps(t, db); got != want {
					t.Errorf("file differs from one transaction's:\n%s\nwant\n%s", got, want)
				}
			})
		}
	}
	t.Run("small write", func(t *testing.T) {
		db, _ := openDB(t)
		n, err := run(db, Options{Chunk: 1}, false, nil)
		if err != nil || n != 0 {
			t.Fatalf("%d commits, %v; want 0, nil", n, err)
		}
		if got, _ := dumps(t, db); got != want(t) {
			t.Errorf("small write differs from a staged one:\n%s", got)
		}
	})
}

// want is the file after the workload without a swap, in one transaction.
func want(t testing.TB) string {
	db, _ := openDB(t)
	if _, err := run(db, Options{Staged: true}, false, nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := dumps(t, db)
	return raw
}

// TestRollback injects a fault after each intermediate commit in turn,
// and after the last step: the write fails, and Rollback leaves the file
// as it was, while a View sees the old state throughout.
func TestRollback(t *testing.T) {
	for _, swap := range []bool{false, true} {
		for chunk := 1; chunk <= 4; chunk++ {
			total, err := run(must(openDB(t)), Options{Staged: true, Chunk: chunk}, swap, nil)
			if err != nil {
				t.Fatal(err)
			}
			for at := 0; at <= total; at++ {
				t.Run(fmt.Sprintf("swap=%v/chunk=%d/at=%d", swap, chunk, at), func(t *testing.T) {
					db, _ := openDB(t)
					before, seen := dumps(t, db)
					commits := 0
					o := Options{Staged: true, Chunk: chunk, AfterCommit: func() {
						commits++
						if _, s := dumps(t, db); s != seen {
							t.Errorf("commit %d: a reader sees\n%s\nwant\n%s", commits, s, seen)
						}
					}}
					n, err := run(db, o, swap, func() bool { return commits >= at })
					if !errors.Is(err, errFault) {
						t.Fatalf("write: %v, want the fault", err)
					}
					if n != at {
						t.Fatalf("failed after %d commits, want %d", n, at)
					}
					if _, s := dumps(t, db); s != seen {
						t.Errorf("after the failure a reader sees\n%s", s)
					}
					if err := Rollback(db, chunk); err != nil {
						t.Fatal(err)
					}
					if got, _ := dumps(t, db); got != before {
						t.Errorf("after rollback:\n%s\nwant\n%s", got, before)
					}
				})
			}
		}
	}
}

func must(db *bolt.DB, _ string) *bolt.DB { return db }

// TestRollbackInterrupted stops a rollback after each of its
// transactions in turn: readers see the old state, and the next Rollback
// finishes it.
func TestRollbackInterrupted(t *testing.T) {
	for _, budget := range []int{1, 2, 5} {
		for steps := 0; steps < 40; steps++ {
			db, _ := openDB(t)
			before, seen := dumps(t, db)
			commits := 0
			o := Options{Staged: true, Chunk: 3, AfterCommit: func() { commits++ }}
			if _, err := run(db, o, true, func() bool { return commits >= 3 }); !errors.Is(err, errFault) {
				t.Fatal(err)
			}
			done := false
			for i := 0; i < steps && !done; i++ {
				err := db.Update(func(tx *bolt.Tx) error {
					var err error
					done, err = RollbackStep(tx, budget)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, s := dumps(t, db); s != seen {
					t.Fatalf("budget %d, step %d: a reader sees\n%s\nwant\n%s", budget, i, s, seen)
				}
			}
			if err := Rollback(db, budget); err != nil {
				t.Fatal(err)
			}
			if got, _ := dumps(t, db); got != before {
				t.Fatalf("budget %d after %d steps:\n%s\nwant\n%s", budget, steps, got, before)
			}
			if done {
				break
			}
		}
	}
}

// TestIsolation reads while a staged write runs, from another goroutine:
// every read sees the state before the write or, once it has committed,
// after it.
func TestIsolation(t *testing.T) {
	db, _ := openDB(t)
	_, before := dumps(t, db)
	after := func() string {
		d, _ := openDB(t)
		if _, err := run(d, Options{Staged: true}, true, nil); err != nil {
			t.Fatal(err)
		}
		_, s := dumps(t, d)
		return s
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	reads := 0
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			var s string
			err := db.View(func(tx *bolt.Tx) (err error) { s, err = viewDump(tx); return err })
			if err != nil {
				t.Error(err)
				return
			}
			if s != before && s != after {
				t.Errorf("read %d sees\n%s", reads, s)
				return
			}
			reads++
		}
	})
	o := Options{Staged: true, Chunk: 1, AfterCommit: func() { time.Sleep(time.Millisecond) }}
	if _, err := run(db, o, true, nil); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if _, s := dumps(t, db); s != after {
		t.Errorf("after the write:\n%s\nwant\n%s", s, after)
	}
	if reads == 0 {
		t.Error("no read ran alongside the write")
	}
}

// crashEnv names the file and the commit a crash child dies at.
const crashEnv = "STORE_TEST_CRASH"

// TestMain lets the test binary be the process a crash test kills: with
// crashEnv set, it runs the workload and exits hard after the given
// intermediate commit, with its transaction open.
func TestMain(m *testing.M) {
	if arg := os.Getenv(crashEnv); arg != "" {
		crashChild(arg)
	}
	os.Exit(m.Run())
}

func crashChild(arg string) {
	path, at, _ := strings.Cut(arg, ",")
	n, _ := strconv.Atoi(at)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		os.Exit(2)
	}
	commits := 0
	o := Options{Staged: true, Chunk: 2, AfterCommit: func() {
		if commits++; commits == n {
			os.Exit(3) // no Close, no rollback: as if killed
		}
	}}
	_, _ = run(db, o, true, nil)
	os.Exit(4)
}

// TestCrash kills a process in the middle of a staged write, after each
// intermediate commit in turn: the file, opened read-only, reads as
// before the write, and a Rollback on a writable open restores it.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a process per commit")
	}
	for at := 1; at <= 8; at++ {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			db, path := openDB(t)
			before, seen := dumps(t, db)
			db.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashEnv+"="+path+","+strconv.Itoa(at))
			var ee *exec.ExitError
			if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
				t.Fatalf("child: %v, want exit status 3", err)
			}
			ro, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var pending bool
			_ = ro.View(func(tx *bolt.Tx) error { pending = Pending(tx); return nil })
			if _, s := dumps(t, ro); !pending || s != seen {
				t.Errorf("read-only after the crash (pending %v):\n%s\nwant\n%s", pending, s, seen)
			}
			ro.Close()
			rw, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer rw.Close()
			if err := Rollback(rw, 0); err != nil {
				t.Fatal(err)
			}
			if got, _ := dumps(t, rw); got != before {
				t.Errorf("after rollback:\n%s\nwant\n%s", got, before)
			}
		})
	}
}

// TestCursor walks a bucket while a staged write commits after every
// write: the cursor goes on where it was, each key once, in order.
func TestCursor(t *testing.T) {
	db, _ := openDB(t)
	tx, err := Begin(db, Options{Staged: true, Chunk: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Discard()
	ops, log := tx.Undoable(BucketOpinions), tx.Bucket(BucketChanges)
	var got []string
	c := ops.Cursor()
	seq := uint64(5)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		got = append(got, fmt.Sprintf("%s=%s", k, v))
		seq++
		if err := ops.Put(bytes.Clone(k), []byte("seen")); err != nil {
			t.Fatal(err)
		}
		if err := log.Put(SeqKey(seq), []byte("c")); err != nil {
			t.Fatal(err)
		}
		if ok, err := tx.Step(); err != nil || !ok {
			t.Fatalf("step: %v, %v", ok, err)
		}
	}
	if len(got) != 10 || got[0] != "o00=old 0" || got[9] != "o09=old 9" {
		t.Errorf("cursor yielded %q", got)
	}
	if tx.Commits() != 10 {
		t.Errorf("%d commits, want 10", tx.Commits())
	}
	if v := ops.Get([]byte("o05")); string(v) != "seen" {
		t.Errorf("o05 = %q after the commits", v)
	}
}

// TestPending checks that a second staged write cannot begin over an
// unfinished one, and that a view refuses a journal that does not
// decode.
func TestPending(t *testing.T) {
	db, _ := openDB(t)
	commits := 0
	o := Options{Staged: true, Chunk: 2, AfterCommit: func() { commits++ }}
	if _, err := run(db, o, false, func() bool { return commits > 0 }); !errors.Is(err, errFault) {
		t.Fatal(err)
	}
	if _, err := Begin(db, Options{Staged: true}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Begin over a pending write: %v, want ErrCorrupt", err)
	}
	err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketStaged).Put(keyJournal, []byte("short")) })
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error { _, err := NewView(tx); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("NewView of a bad journal: %v, want ErrCorrupt", err)
	}
	if err := Rollback(db, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Rollback of a bad journal: %v, want ErrCorrupt", err)
	}
}

// TestContext checks that a cancelled context stops a staged write at
// its next intermediate commit.
func TestContext(t *testing.T) {
	db, _ := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := run(db, Options{Staged: true, Chunk: 1, Context: ctx}, false, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("write: %v, want context.Canceled", err)
	}
}
