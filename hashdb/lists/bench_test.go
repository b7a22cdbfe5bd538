package lists

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkPyTXLocalFile reads a 1M-line pytx local_file from memory.
func BenchmarkPyTXLocalFile(b *testing.B) {
	const lines = 1 << 20
	var buf bytes.Buffer
	for i := range lines {
		if i%4 == 3 {
			fmt.Fprintf(&buf, "video_md5 %032x\n", i)
		} else {
			fmt.Fprintf(&buf, "pdq %064x\n", i)
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	records := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), PyTX, nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || rec.Kind != Upsert {
				b.Fatalf("%v %v", err, rec)
			}
			n++
		}
		if n != lines {
			b.Fatalf("%d records, want %d", n, lines)
		}
		records += n
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
