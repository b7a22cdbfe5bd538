package hashdb

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// t0 is the fixed clock of test databases.
var t0 = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// clock returns a Now func that starts at t0 and advances a second a call.
func clock() func() time.Time {
	t := t0
	return func() time.Time { t = t.Add(time.Second); return t }
}

func testOptions() *Options {
	o := DefaultOptions()
	o.Organization = "local"
	o.Now = clock()
	return o
}

// openTest opens a new database in a temporary directory. It fails the
// test if, at cleanup, the database is not consistent.
func openTest(t testing.TB, opts *Options) *DB {
	t.Helper()
	if opts == nil {
		opts = testOptions()
	}
	db, err := Open(filepath.Join(t.TempDir(), "test.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if probs, err := db.Check(context.Background()); err == nil && len(probs) > 0 {
			t.Errorf("Check at cleanup: %v", probs)
		}
		db.Close()
	})
	return db
}

// testSignal returns a deterministic signal of algorithm a derived from n.
func testSignal(a signal.Algorithm, n int) signal.Signal {
	h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte{byte(a)}, uint64(n)))
	s, err := signal.New(a, h[:a.Bits()/8])
	if err != nil {
		panic(err)
	}
	return s
}

// testItem returns a valid item of source "local" with three signals.
func testItem(id string, n int) Item {
	return Item{
		Key:     Key{Source: "local", ID: id},
		Signals: []signal.Signal{testSignal(signal.PDQ, n), testSignal(signal.PHash, n), testSignal(signal.MD5, n)},
		Labels:  []string{"type:video"},
		TLP:     tlp.Amber,
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	random := filepath.Join(dir, "random")
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i*7 + i>>8)
	}
	if err := os.WriteFile(random, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	b, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err }); err != nil {
		t.Fatal(err)
	}
	b.Close()

	newer := filepath.Join(dir, "newer.db")
	db, err := Open(newer, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rewriteMeta(t, newer, func(m *pb.Meta) { m.SchemaVersion = store.SchemaVersion + 1 })
	older := filepath.Join(dir, "older.db")
	if db, err = Open(older, testOptions()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rewriteMeta(t, older, func(m *pb.Meta) { m.SchemaVersion = store.SchemaVersion - 1 })

	ro := DefaultOptions()
	ro.ReadOnly = true
	badOpts := &Options{MaxSignals: -1}

	tests := []struct {
		name    string
		path    string
		opts    *Options
		want    error
		wantMsg string
	}{
		{"empty path", "", nil, ErrNotDatabase, "empty path"},
		{"directory", dir, nil, ErrNotDatabase, "directory"},
		{"random bytes", random, nil, ErrNotDatabase, random},
		{"short file", short, nil, ErrNotDatabase, short},
		{"foreign bbolt file", foreign, nil, ErrNotDatabase, "without hashshare metadata"},
		{"newer schema", newer, nil, ErrSchemaVersion, fmt.Sprintf("schema version %d", store.SchemaVersion+1)},
		{"older schema", older, nil, ErrSchemaVersion, "pre-release build"},
		{"read-only missing file", filepath.Join(dir, "missing.db"), ro, os.ErrNotExist, "missing.db"},
		{"bad options", filepath.Join(dir, "x.db"), badOpts, ErrInvalidOptions, "MaxSignals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(tc.path, tc.opts)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Open error = %q, want %v mentioning %q", err, tc.want, tc.wantMsg)
			}
			checkPrefix(t, err)
		})
	}
}

// rewriteMeta edits the meta record of a closed database file.
func rewriteMeta(t *testing.T, path string, edit func(*pb.Meta)) {
	t.Helper()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		m, _, err := store.ReadMeta(tx)
		if err != nil {
			return err
		}
		edit(m)
		return store.WriteMeta(tx, m)
	})
}

// rawUpdate edits a closed database file with bbolt directly.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := db.ID()

	o := DefaultOptions()
	o.Timeout = 50 * time.Millisecond
	start := time.Now()
	second, err := Open(path, o)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a file open for writing succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v", d)
	}
	o.ReadOnly = true
	if ro, err := Open(path, o); !errors.Is(err, ErrLocked) {
		if err == nil {
			ro.Close()
		}
		t.Fatalf("read-only Open beside a writer: %v, want ErrLocked", err)
	}

	// Once the writer closes, any number of readers share the file.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if r1.ID() != id || r2.ID() != id {
		t.Errorf("database id changed: %s, %s, want %s", r1.ID(), r2.ID(), id)
	}
	if err := r1.Put(context.Background(), testItem("a", 1)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put on a read-only DB: %v, want ErrReadOnly", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if _, err := db.Get(Key{Source: "local", ID: "a"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re.db")
	ctx := context.Background()
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	id := db.ID()
	if len(id) != 32 {
		t.Errorf("ID() = %q, want 32 hex digits", id)
	}
	want := testItem("a", 1)
	if err := db.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.ID() != id {
		t.Errorf("ID changed across reopen: %s, want %s", db.ID(), id)
	}
	got, err := db.Get(want.Key)
	if err != nil || len(got.Signals) != 3 {
		t.Fatalf("Get after reopen = %+v, %v", got, err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		ok   bool
	}{
		{"defaults", func(*Options) {}, true},
		{"organization", func(o *Options) { o.Organization = "gifct.member-1" }, true},
		{"bad organization", func(o *Options) { o.Organization = "Meta Inc" }, false},
		{"negative timeout waits for ever", func(o *Options) { o.Timeout = -1 }, true},
		{"zero signals means the default", func(o *Options) { o.MaxSignals = 0 }, true},
		{"negative signals", func(o *Options) { o.MaxSignals = -1 }, false},
		{"negative labels", func(o *Options) { o.MaxLabels = -1 }, false},
		{"label too long", func(o *Options) { o.MaxLabelLen = MaxLabelLen + 1 }, false},
		{"note too long", func(o *Options) { o.MaxNoteLen = maxNoteLen + 1 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.edit(o)
			err := o.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("error %v does not wrap ErrInvalidOptions", err)
			}
		})
	}
}

// checkPrefix fails the test unless err's message carries the package's
// prefix once, at its start.
func checkPrefix(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); !strings.HasPrefix(msg, errPrefix) || strings.Count(msg, "hashdb:") != 1 {
		t.Errorf("error %q: want %q once, at the start", msg, errPrefix)
	}
}

func TestOpenZeroOptions(t *testing.T) {
	tests := []struct {
		name string
		opts *Options
	}{
		{"nil", nil},
		{"zero", &Options{}},
		{"organization only", &Options{Organization: "x"}},
		{"one limit only", &Options{MaxLabels: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "z.db"), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			it := testItem("a", 1)
			it.Source = "x"
			if err := db.PutForeign(context.Background(), "test", it); err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := DefaultOptions()
			if tc.opts != nil && tc.opts.MaxLabels != 0 {
				want.MaxLabels = tc.opts.MaxLabels
			}
			if db.opts.MaxSignals != want.MaxSignals || db.opts.MaxLabels != want.MaxLabels || db.opts.Timeout != want.Timeout {
				t.Errorf("options in force = %+v, want the defaults %+v", db.opts, want)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := db.Close(); err != nil {
			t.Errorf("Close %d = %v, want nil", i+1, err)
		}
	}
	if _, err := db.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close = %v, want ErrClosed", err)
	}
}
