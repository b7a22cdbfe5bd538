package lists

import (
	"context"
	"errors"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// recordReader returns a Reader of format f yielding recs.
func recordReader(f Format, recs []Record) *Reader {
	i := 0
	return newReader(f, func() (Record, error) {
		if i == len(recs) {
			return Record{}, io.EOF
		}
		i++
		return recs[i-1], nil
	})
}

func openDB(t testing.TB, org string) *hashdb.DB {
	t.Helper()
	db, err := hashdb.Open(filepath.Join(t.TempDir(), "test.db"), &hashdb.Options{Organization: org})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pdqItem(t testing.TB, id, hex string, labels ...string) hashdb.Item {
	return hashdb.Item{Key: hashdb.Key{ID: id}, Signals: []signal.Signal{sig(t, signal.PDQ, hex)},
		ContentType: hashdb.ContentPhoto, Labels: labels}
}

func upsert(it hashdb.Item, line int) Record { return Record{Kind: Upsert, Item: it, Line: line} }

func lastSeq(t testing.TB, db *hashdb.DB) uint64 {
	t.Helper()
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st.LastSeq
}

func hex64(c byte) string { return strings.Repeat(string(c), 64) }

func TestIngest(t *testing.T) {
	a, b, c := hex64('a'), hex64('b'), hex64('c')
	long := "pytx:" + strings.Repeat("x", 300)
	tests := []struct {
		name    string
		format  Format
		opts    *IngestOptions
		recs    []Record
		want    Summary
		stored  map[hashdb.Key]hashdb.Item // checked fields: labels, tlp, retracted
		missing []hashdb.Key
	}{
		{
			name:   "items get the default source, level and labels",
			format: PyTX,
			opts:   &IngestOptions{Labels: []string{"list:local"}},
			recs:   []Record{upsert(pdqItem(t, "pdq:"+a, a, "pytx:tag"), 1), upsert(pdqItem(t, "pdq:"+b, b), 2)},
			want:   Summary{Format: PyTX, Items: 2, Signals: 2},
			stored: map[hashdb.Key]hashdb.Item{
				{Source: "acme", ID: "pdq:" + a}: {Labels: []string{"list:local", "pytx:tag"}, TLP: tlp.Amber},
				{Source: "acme", ID: "pdq:" + b}: {Labels: []string{"list:local"}, TLP: tlp.Amber},
			},
		},
		{
			name:   "an exchange's default source; a level the record gives is kept",
			format: TCAP,
			opts:   &IngestOptions{TLP: tlp.Red},
			recs: []Record{
				upsert(pdqItem(t, "1", a), 1),
				upsert(func() hashdb.Item { it := pdqItem(t, "2", b); it.TLP = tlp.Green; return it }(), 2),
			},
			want: Summary{Format: TCAP, Items: 2, Signals: 2},
			stored: map[hashdb.Key]hashdb.Item{
				{Source: "tcap", ID: "1"}: {TLP: tlp.Red},
				{Source: "tcap", ID: "2"}: {TLP: tlp.Green},
			},
		},
		{
			name:   "a key twice in a batch: the later record wins",
			format: PyTX,
			opts:   &IngestOptions{Source: "partner"},
			recs:   []Record{upsert(pdqItem(t, "x", a, "first"), 1), upsert(pdqItem(t, "x", a, "second"), 2)},
			want:   Summary{Format: PyTX, Items: 2, Signals: 2},
			stored: map[hashdb.Key]hashdb.Item{{Source: "partner", ID: "x"}: {Labels: []string{"second"}, TLP: tlp.Amber}},
		},
		{
			name:   "a delete after its item in the same batch, then the item again",
			format: ThreatExchange,
			recs: []Record{
				upsert(pdqItem(t, "1", a), 1),
				upsert(pdqItem(t, "2", b), 2),
				{Kind: Delete, Key: hashdb.Key{ID: "1"}, Line: 3},
				{Kind: Delete, Key: hashdb.Key{ID: "2"}, Line: 4},
				upsert(pdqItem(t, "2", b), 5),
				{Kind: Delete, Key: hashdb.Key{ID: "nope"}, Line: 6},
			},
			want: Summary{Format: ThreatExchange, Items: 3, Signals: 3, Retracted: 2,
				Skipped: map[string]int{"delete of unknown item": 1}},
			stored: map[hashdb.Key]hashdb.Item{
				{Source: "threatexchange", ID: "1"}: {TLP: tlp.Amber, Retracted: true},
				{Source: "threatexchange", ID: "2"}: {TLP: tlp.Amber},
			},
			missing: []hashdb.Key{{Source: "threatexchange", ID: "nope"}},
		},
		{
			name:   "refused items and reader skips are counted, the rest stored",
			format: NCMEC,
			opts:   &IngestOptions{Batch: 3},
			recs: []Record{
				upsert(pdqItem(t, "1", a), 1),
				upsert(pdqItem(t, "2", b, long), 2),
				{Kind: Skip, Reason: "malformed pdq value", Err: errors.New("pdq \"zz\""), Line: 3},
				upsert(pdqItem(t, "3", c), 4),
				upsert(hashdb.Item{Key: hashdb.Key{ID: "4"}}, 5),
				upsert(pdqItem(t, "5", c, "Bad Label"), 6),
				upsert(pdqItem(t, "6", c), 7),
			},
			want: Summary{Format: NCMEC, Items: 3, Signals: 3,
				Skipped: map[string]int{"invalid label": 2, "invalid item": 1, "malformed pdq value": 1}},
			stored: map[hashdb.Key]hashdb.Item{
				{Source: "ncmec", ID: "1"}: {TLP: tlp.Amber},
				{Source: "ncmec", ID: "3"}: {TLP: tlp.Amber},
				{Source: "ncmec", ID: "6"}: {TLP: tlp.Amber},
			},
			missing: []hashdb.Key{{Source: "ncmec", ID: "2"}, {Source: "ncmec", ID: "4"}, {Source: "ncmec", ID: "5"}},
		},
		{
			name:   "opinions",
			format: StopNCII,
			recs: []Record{
				upsert(pdqItem(t, "1", a), 1),
				{Kind: Opine, Opinion: hashdb.Opinion{Key: hashdb.Key{ID: "1"}, Verdict: hashdb.Confirmed, Org: "csp-one"}, Line: 2},
				{Kind: Opine, Opinion: hashdb.Opinion{Key: hashdb.Key{ID: "1"}, Verdict: hashdb.FalsePositive}, Line: 3},
				{Kind: Opine, Opinion: hashdb.Opinion{Signal: sig(t, signal.PDQ, b), Verdict: hashdb.Disputed, Org: "csp-two"}, Line: 4},
				{Kind: Opine, Opinion: hashdb.Opinion{Key: hashdb.Key{ID: "1"}}, Line: 5},
			},
			want: Summary{Format: StopNCII, Items: 1, Signals: 1, Opinions: 3, Skipped: map[string]int{"invalid opinion": 1}},
			stored: map[hashdb.Key]hashdb.Item{
				{Source: "stopncii", ID: "1"}: {TLP: tlp.Amber},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, "acme")
			got, err := Ingest(ctx, db, recordReader(tc.format, tc.recs), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.Skipped == nil {
				tc.want.Skipped = map[string]int{}
			}
			checkSummary(t, got, tc.want)
			for key, want := range tc.stored {
				it, err := db.Get(key)
				if err != nil {
					t.Errorf("Get(%s): %v", key, err)
					continue
				}
				if !slices.Equal(it.Labels, want.Labels) || it.TLP != want.TLP || it.Retracted != want.Retracted {
					t.Errorf("%s: labels %q, tlp %v, retracted %v; want %q, %v, %v", key, it.Labels, it.TLP, it.Retracted, want.Labels, want.TLP, want.Retracted)
				}
			}
			for _, key := range tc.missing {
				if _, err := db.Get(key); !errors.Is(err, hashdb.ErrNotFound) {
					t.Errorf("Get(%s): %v, want ErrNotFound", key, err)
				}
			}
			for reason := range got.Skipped {
				if got.Examples[reason] == "" {
					t.Errorf("no example for skip reason %q", reason)
				}
			}

			// The same list again changes nothing.
			seq := lastSeq(t, db)
			again, err := Ingest(ctx, db, recordReader(tc.format, tc.recs), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, again, tc.want)
			if s := lastSeq(t, db); s != seq {
				t.Errorf("second ingest: last change %d, want %d", s, seq)
			}
		})
	}
}

func checkSummary(t *testing.T, got, want Summary) {
	t.Helper()
	if got.Format != want.Format || got.Items != want.Items || got.Signals != want.Signals ||
		got.Retracted != want.Retracted || got.Opinions != want.Opinions || !maps.Equal(got.Skipped, want.Skipped) {
		t.Errorf("summary %+v,\nwant %+v", got, want)
	}
}

func TestIngestOrder(t *testing.T) {
	// Records about one key apply in the order read, batched or not.
	op := func(id string, v hashdb.Verdict) Record {
		return Record{Kind: Opine, Opinion: hashdb.Opinion{Key: hashdb.Key{ID: id}, Verdict: v}}
	}
	del := func(id string) Record { return Record{Kind: Delete, Key: hashdb.Key{ID: id}} }
	a := hex64('a')
	tests := []struct {
		name string
		recs []Record
		want []hashdb.ChangeKind
	}{
		{"item, opinion", []Record{upsert(pdqItem(t, "1", a), 1), op("1", hashdb.Confirmed)},
			[]hashdb.ChangeKind{hashdb.KindAdd, hashdb.KindOpinion}},
		{"opinion, item", []Record{op("1", hashdb.Confirmed), upsert(pdqItem(t, "1", a), 1)},
			[]hashdb.ChangeKind{hashdb.KindOpinion, hashdb.KindAdd}},
		{"item, opinion, delete", []Record{upsert(pdqItem(t, "1", a), 1), op("1", hashdb.Disputed), del("1")},
			[]hashdb.ChangeKind{hashdb.KindAdd, hashdb.KindOpinion, hashdb.KindRetract}},
		{"item, delete: one tombstone", []Record{upsert(pdqItem(t, "1", a), 1), del("1")},
			[]hashdb.ChangeKind{hashdb.KindRetract}},
		{"item, delete, item", []Record{upsert(pdqItem(t, "1", a), 1), del("1"), upsert(pdqItem(t, "1", a, "x"), 3)},
			[]hashdb.ChangeKind{hashdb.KindAdd}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, "acme")
			if _, err := Ingest(context.Background(), db, recordReader(TCAP, tc.recs), nil); err != nil {
				t.Fatal(err)
			}
			h, err := db.History(hashdb.Key{Source: "tcap", ID: "1"})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []hashdb.ChangeKind
			for _, c := range h {
				kinds = append(kinds, c.Kind)
			}
			if !slices.Equal(kinds, tc.want) {
				t.Errorf("history %v, want %v", kinds, tc.want)
			}
		})
	}
}

func TestIngestOpinionOrg(t *testing.T) {
	db := openDB(t, "acme")
	recs := []Record{
		upsert(pdqItem(t, "1", hex64('a')), 1),
		{Kind: Opine, Opinion: hashdb.Opinion{Key: hashdb.Key{ID: "1"}, Verdict: hashdb.Confirmed}, Line: 2},
	}
	if _, err := Ingest(context.Background(), db, recordReader(TCAP, recs), nil); err != nil {
		t.Fatal(err)
	}
	ops, err := db.Opinions(hashdb.Key{Source: "tcap", ID: "1"})
	if err != nil || len(ops) != 1 || ops[0].Org != "tcap" {
		t.Errorf("opinions %+v, %v; want one by tcap", ops, err)
	}
}

func TestIngestErrors(t *testing.T) {
	ctx := context.Background()
	rec := []Record{upsert(pdqItem(t, "1", hex64('a')), 1)}

	if _, err := Ingest(ctx, openDB(t, ""), recordReader(PyTX, rec), nil); !errors.Is(err, ErrNoSource) {
		t.Errorf("pytx into a database with no organisation: %v, want ErrNoSource", err)
	}
	if _, err := Ingest(ctx, openDB(t, "acme"), recordReader(PyTX, rec), &IngestOptions{Labels: []string{"Bad"}}); !errors.Is(err, hashdb.ErrInvalidLabel) {
		t.Errorf("bad label option: %v, want ErrInvalidLabel", err)
	}

	// A read error after good records: they are stored, the error returned.
	db := openDB(t, "acme")
	bad := errors.New("not a pytx file")
	n := 0
	r := newReader(PyTX, func() (Record, error) {
		if n++; n == 1 {
			return rec[0], nil
		}
		return Record{}, bad
	})
	sum, err := Ingest(ctx, db, r, nil)
	if !errors.Is(err, bad) || sum.Items != 1 {
		t.Errorf("Ingest: %+v, %v; want 1 item and %v", sum, err, bad)
	}
	if _, err := db.Get(hashdb.Key{Source: "acme", ID: "1"}); err != nil {
		t.Errorf("the record before the error: %v", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Ingest(cctx, db, recordReader(PyTX, rec), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

func TestIngestDumpRoundTrip(t *testing.T) {
	// A pytx local_file, read, stored and written back in first-stored
	// order: the same bytes, though key order differs from the file's.
	file := "pdq " + hex64('c') + "\n" +
		"video_md5 " + strings.Repeat("b", 32) + "\n" +
		"pdq " + hex64('a') + "\n" +
		"pdq " + hex64('c') + "\n" // a repeat keeps its first place
	want := strings.Join(strings.SplitAfter(file, "\n")[:3], "")
	db := openDB(t, "acme")
	ctx := context.Background()
	r, err := NewReader(strings.NewReader(file), PyTX, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Ingest(ctx, db, r, &IngestOptions{Batch: 2}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w, err := NewWriter(&b, PyTX)
	if err != nil {
		t.Fatal(err)
	}
	for it, err := range db.Items(ctx, hashdb.Filter{StoredOrder: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(it); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", b.String(), want)
	}
}
