package lists

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

var (
	benchLines = flag.Int("ingest.lines", 1_000_000, "lines of the pytx file BenchmarkIngestPyTX ingests (50,000 with -short)")
	benchBatch = flag.Int("ingest.batch", 0, "IngestOptions.Batch for BenchmarkIngestPyTX (0: the default)")
)

// pytxFile returns a pytx local_file of n lines, one in eight a video_md5
// and the rest pdq, all distinct.
func pytxFile(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 70)
	var v [32]byte
	for i := range n {
		binary.BigEndian.PutUint64(v[:], uint64(i)*0x9e3779b97f4a7c15)
		binary.BigEndian.PutUint64(v[8:], uint64(i))
		binary.BigEndian.PutUint64(v[16:], ^uint64(i))
		binary.BigEndian.PutUint64(v[24:], uint64(i)*0xc2b2ae3d27d4eb4f)
		if i%8 == 7 {
			b.WriteString("video_md5 ")
			b.WriteString(hex.EncodeToString(v[:16]))
		} else {
			b.WriteString("pdq ")
			b.WriteString(hex.EncodeToString(v[:]))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// putLikeAdd stores the file's signals as `hashdb add --signals` stores
// its items: each line an item keyed by its signal, Put in batches of
// 8192.
func putLikeAdd(ctx context.Context, db *hashdb.DB, file []byte) error {
	var items []hashdb.Item
	sc := bufio.NewScanner(bytes.NewReader(file))
	for sc.Scan() {
		typ, val, _ := strings.Cut(sc.Text(), " ")
		alg := signal.PDQ
		if typ == "video_md5" {
			alg = signal.MD5
		}
		s, err := signal.ParseHex(alg, val)
		if err != nil {
			return err
		}
		items = append(items, hashdb.Item{Key: hashdb.Key{Source: "acme", ID: s.String()}, Signals: []signal.Signal{s}, TLP: tlp.Green})
	}
	for len(items) > 0 {
		n := min(len(items), 8192)
		if err := db.Put(ctx, items[:n]...); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// BenchmarkIngestPyTX ingests a generated pytx local_file of a million
// lines (50,000 with -short) into an empty database, and stores the same
// signals into another as `hashdb add --signals` would, reporting both
// rates and their ratio.
//
//	go test ./hashdb/lists -run '^$' -bench IngestPyTX -benchtime 1x
func BenchmarkIngestPyTX(b *testing.B) {
	n := *benchLines
	if testing.Short() {
		n = 50_000
	}
	file := pytxFile(n)
	ctx := context.Background()
	var ingest, put time.Duration
	i := 0
	for b.Loop() {
		i++
		dir := b.TempDir()
		db, err := hashdb.Open(filepath.Join(dir, "ingest.db"), &hashdb.Options{Organization: "acme"})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		r, err := NewReader(bytes.NewReader(file), PyTX, nil)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := Ingest(ctx, db, r, &IngestOptions{Batch: *benchBatch})
		ingest += time.Since(t0)
		if err != nil || sum.Items != n {
			b.Fatalf("Ingest: %+v, %v", sum, err)
		}
		db.Close()

		db, err = hashdb.Open(filepath.Join(dir, "put.db"), &hashdb.Options{Organization: "acme"})
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if err := putLikeAdd(ctx, db, file); err != nil {
			b.Fatal(err)
		}
		put += time.Since(t0)
		db.Close()
	}
	ir := float64(n*i) / ingest.Seconds()
	pr := float64(n*i) / put.Seconds()
	b.ReportMetric(ir, "ingest-records/s")
	b.ReportMetric(pr, "add-records/s")
	b.ReportMetric(ir/pr, "ingest/add")
	b.ReportMetric(0, "ns/op") // the two runs' sum says nothing
}
