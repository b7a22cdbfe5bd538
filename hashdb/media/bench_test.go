package media

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"testing"
	"time"

	"github.com/hashshare/hashshare/internal/testimage"
)

// BenchmarkHashReader hashes a JPEG end to end with every algorithm. Beside
// ns/op it reports each stage's share of the wall time (stages run
// concurrently, so shares may add up to more than 1) and "decodes": the
// time of one HashReader over that of a jpeg.Decode of the same bytes
// timed in the same iterations — the ratio the target (≤ 2.5 at 12 MP) is
// set in, robust to a noisy machine. The decode sub-benchmark is the
// baseline on its own.
func BenchmarkHashReader(b *testing.B) {
	for _, s := range []struct{ w, h int }{{1000, 1000}, {4000, 3000}} {
		name := fmt.Sprintf("%dx%d", s.w, s.h)
		if testing.Short() && s.w*s.h > 2_000_000 {
			b.Run(name, func(b *testing.B) { b.Skip("12 MP skipped under -short") })
			continue
		}
		data := testimage.Encode(b, "jpeg", testimage.Photo(s.w, s.h, 1))
		b.Run(name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/all", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var total, decode, read, digest, dec, norm, pdq, phash, dhash, ahash time.Duration
			for b.Loop() {
				b.StopTimer()
				t := time.Now()
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				decode += time.Since(t)
				b.StartTimer()

				h, err := HashReader(context.Background(), bytes.NewReader(data), nil)
				if err != nil {
					b.Fatal(err)
				}
				st := h.stages
				total += st.Total
				read += st.Read
				digest += st.Digest
				dec += st.Decode
				norm += st.Normalise
				pdq += st.PDQ
				phash += st.PHash
				dhash += st.DHash
				ahash += st.AHash
			}
			for _, m := range []struct {
				name string
				d    time.Duration
			}{{"decode", dec}, {"normalise", norm}, {"pdq", pdq}, {"phash", phash}, {"dhash", dhash}, {"ahash", ahash}, {"digests", digest}} {
				b.ReportMetric(float64(m.d)/float64(total), m.name+"-share")
			}
			b.ReportMetric(float64(total)/float64(decode), "decodes")
		})
	}
}
