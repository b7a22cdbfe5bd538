package hashdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// walkVideo returns n frames that drift as a real video's do: each frame
// a few bits from the one before, a new scene every 5 to 20 frames.
func walkVideo(rng *rand.Rand, n int) [][32]byte {
	out := make([][32]byte, n)
	var cur [32]byte
	scene := 0
	for i := range out {
		if scene == 0 {
			for j := range cur {
				cur[j] = byte(rng.Uint32())
			}
			scene = 5 + rng.IntN(16)
		}
		scene--
		for k := rng.IntN(9); k > 0; k-- {
			bit := rng.IntN(256)
			cur[bit/8] ^= 1 << (bit % 8)
		}
		out[i] = cur
	}
	return out
}

// videoBench is a database of 10,000 videos: 9,990 of 2 minutes and 10
// of 10 minutes, at one hash a second, 1.25M frames, and queries.
type videoBench struct {
	db      *DB
	stored  []*vpdq.Hash
	match   *vpdq.Hash // a re-encode of a stored 10-minute video
	unknown *vpdq.Hash // a 10-minute video not stored
	// bytesPerFrame is the heap the frame index took per indexed frame.
	bytesPerFrame float64
}

var (
	videoBenchOnce sync.Once
	videoBenchDB   videoBench
)

func setUpVideoBench(b *testing.B) *videoBench {
	videoBenchOnce.Do(func() {
		vb := &videoBenchDB
		rng := rand.New(rand.NewPCG(17, 17))
		path := filepath.Join(b.TempDir(), "v.db")
		db, err := Open(path, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		n := 10_000
		if testing.Short() { // CI's run-once check of every benchmark
			n = 1_000
		}
		var batch []Item
		for i := range n {
			frames := 120
			if i%1000 == 0 {
				frames = 600
			}
			h := genVideo(rng, walkVideo(rng, frames), 0)
			vb.stored = append(vb.stored, h)
			batch = append(batch, videoItem(fmt.Sprint("v", i), h))
			if len(batch) == 500 {
				if err := db.Put(ctx, batch...); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		orig := vb.stored[n/2-(n/2)%1000]
		var frames [][32]byte
		for _, f := range orig.Features {
			frames = append(frames, f.PDQ)
		}
		vb.match = genVideo(rng, frames, 12)
		vb.unknown = genVideo(rng, walkVideo(rng, 600), 0)
		vb.db = db
		// Build the frame index before timing, measuring its heap.
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		if _, err := db.MatchVideo(ctx, vb.unknown, nil); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		vb.bytesPerFrame = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(db.frames.Load().mih.Len())
	})
	if videoBenchDB.db == nil {
		b.Fatal("set-up failed")
	}
	return &videoBenchDB
}

// BenchmarkMatchVideo matches a 10-minute video's 600 hashes against
// 10,000 stored videos (1.25M frames) through the frame index, with
// pytx's defaults (query ≥ 80 %, so pigeonhole probes a fifth of the
// query's frames) and
// with a query threshold of 0 (all 600 probed), for a re-encoded stored
// video and for an unknown one (-short: 1,000 videos). The baseline,
// measured in the same run, is the brute force: vpdq.Compare of the
// query with every stored video.
func BenchmarkMatchVideo(b *testing.B) {
	vb := setUpVideoBench(b)
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		q       *vpdq.Hash
		opts    VideoMatchOptions
		matches int
	}{
		{"index/pytx80/match", vb.match, VideoMatchOptions{}, 1},
		{"index/pytx80/unknown", vb.unknown, VideoMatchOptions{}, 0},
		{"index/cpp80/match", vb.match, VideoMatchOptions{Compare: vpdq.CompareOptions{Rule: vpdq.CPP}}, 1},
		{"index/query0/match", vb.match, VideoMatchOptions{Compare: vpdq.CompareOptions{QueryPercent: -1}}, -1},
		{"index/query0/unknown", vb.unknown, VideoMatchOptions{Compare: vpdq.CompareOptions{QueryPercent: -1}}, -1},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := vb.db.MatchVideo(ctx, c.q, &c.opts)
				if err != nil {
					b.Fatal(err)
				}
				if c.matches >= 0 && len(res.Matches) != c.matches {
					b.Fatalf("%d matches, want %d", len(res.Matches), c.matches)
				}
			}
			b.ReportMetric(vb.bytesPerFrame, "index-B/frame")
		})
	}
	b.Run("brute/pytx80/match", func(b *testing.B) {
		qp := vpdq.Prepare(vb.match, vpdq.PyTX, vpdq.DefaultQuality)
		for b.Loop() {
			n := 0
			for _, h := range vb.stored {
				if vpdq.ComparePrepared(qp, vpdq.Prepare(h, vpdq.PyTX, vpdq.DefaultQuality), nil).Match {
					n++
				}
			}
			if n != 1 {
				b.Fatalf("%d matches", n)
			}
		}
	})
}
