package bundle

import (
	"bytes"
	"fmt"
	"io"
	"sync"
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

// benchN is the size of the bundles BenchmarkReader and BenchmarkUpsert
// read and write.
const benchN = 100_000

var (
	bigOnce   sync.Once
	bigBundle []byte
)

// benchBundle returns a bundle of benchN entries, built on first use.
func benchBundle(b *testing.B) []byte {
	bigOnce.Do(func() { bigBundle, _ = write(b, benchEntries(benchN), false) })
	if bigBundle == nil {
		b.Fatal("no bundle")
	}
	return bigBundle
}

// BenchmarkReader reads a bundle of benchN entries with Next, with
// NextFrame alone (what staging costs), and with NextFrame and then
// DecodeFrame of each frame (what staging and applying cost in all, to
// set against Next's staging and an unchecked decoding). Compare
// entries/s.
func BenchmarkReader(b *testing.B) {
	data := benchBundle(b)
	run := func(name string, read func(r *Reader) error) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), testKeys, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := read(r); err != io.EOF || r.Entries() != benchN {
					b.Fatalf("%d entries, %v", r.Entries(), err)
				}
			}
			b.ReportMetric(float64(b.N*benchN)/b.Elapsed().Seconds(), "entries/s")
		})
	}
	run("Next", func(r *Reader) error {
		for {
			if _, err := r.Next(); err != nil {
				return err
			}
		}
	})
	run("NextFrame", func(r *Reader) error {
		for {
			if _, err := r.NextFrame(); err != nil {
				return err
			}
		}
	})
	run("NextFrame+DecodeFrame", func(r *Reader) error {
		for {
			f, err := r.NextFrame()
			if err != nil {
				return err
			}
			if _, err := DecodeFrame(f, nil); err != nil {
				return err
			}
		}
	})
}

// BenchmarkUpsert writes benchN items to an uncompressed bundle as an
// exporter does, hashing each for the set digest: with ItemHash and Write,
// and with AppendUpsert and WriteFrame. Compare entries/s.
func BenchmarkUpsert(b *testing.B) {
	es := benchEntries(benchN)
	items := make([]*pb.Item, len(es))
	for i, e := range es {
		items[i] = e.GetUpsert()
	}
	run := func(name string, write func(w *Writer, set *SetDigest, it *pb.Item) error) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				w, err := NewWriter(io.Discard, testHeader(), testKey, nil)
				if err != nil {
					b.Fatal(err)
				}
				var set SetDigest
				for _, it := range items {
					if err := write(w, &set, it); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Close(set); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchN)/b.Elapsed().Seconds(), "entries/s")
		})
	}
	run("Write+ItemHash", func(w *Writer, set *SetDigest, it *pb.Item) error {
		set.Add(ItemHash(it))
		return w.Write(&pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}})
	})
	var buf []byte
	run("AppendUpsert+WriteFrame", func(w *Writer, set *SetDigest, it *pb.Item) error {
		var h [32]byte
		var err error
		if buf, h, err = w.AppendUpsert(buf[:0], it); err != nil {
			return err
		}
		set.Add(h)
		return w.WriteFrame(buf)
	})
}
