package bundle

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

func benchEntries(n int) []*pb.Entry {
	es := make([]*pb.Entry, n)
	for i := range es {
		it := testItem(fmt.Sprintf("item-%d", i))
		it.Signals[0].Value[0], it.Signals[0].Value[1] = byte(i), byte(i>>8)
		es[i] = &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}}
	}
	return es
}

// BenchmarkWrite and BenchmarkRead report entries/s for plain and gzip
// bundles; ItemHash alone is the baseline to compare them with.
func BenchmarkWrite(b *testing.B) {
	es := benchEntries(10000)
	for _, gz := range []bool{false, true} {
		b.Run(fmt.Sprintf("gzip=%v", gz), func(b *testing.B) {
			for b.Loop() {
				w, err := NewWriter(io.Discard, testHeader(), testKey, &WriterOptions{Gzip: gz, Level: 1})
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range es {
					if err := w.Write(e); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Close(SetDigest{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(es))/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

func BenchmarkRead(b *testing.B) {
	es := benchEntries(10000)
	for _, gz := range []bool{false, true} {
		b.Run(fmt.Sprintf("gzip=%v", gz), func(b *testing.B) {
			var buf bytes.Buffer
			w, _ := NewWriter(&buf, testHeader(), testKey, &WriterOptions{Gzip: gz, Level: 1})
			for _, e := range es {
				_ = w.Write(e)
			}
			_, _ = w.Close(SetDigest{})
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if _, got, err := readAll(buf.Bytes(), nil); err != nil || len(got) != len(es) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(es))/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

func BenchmarkItemHash(b *testing.B) {
	es := benchEntries(10000)
	for b.Loop() {
		for _, e := range es {
			ItemHash(e.GetUpsert())
		}
	}
	b.ReportMetric(float64(b.N*len(es))/b.Elapsed().Seconds(), "entries/s")
}
