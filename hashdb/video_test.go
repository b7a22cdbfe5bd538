package hashdb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/testenv"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// genVideo returns a video of n frames at 30 fps sampled every frame,
// each frame base's frame flipped in up to noise bits (a re-encode, say),
// qualities mostly high.
func genVideo(rng *rand.Rand, base [][32]byte, noise int) *vpdq.Hash {
	h := &vpdq.Hash{Video: vpdq.Video{Width: 640, Height: 360, FPS: 30, FPSRational: "30/1", Frames: len(base)}}
	for i, b := range base {
		for k := rng.IntN(noise + 1); k > 0; k-- {
			bit := rng.IntN(256)
			b[bit/8] ^= 1 << (bit % 8)
		}
		q := uint8(100)
		if rng.IntN(6) == 0 {
			q = uint8(rng.IntN(60))
		}
		h.Features = append(h.Features, vpdq.Feature{Frame: uint32(i), Quality: q, PDQ: b, Seconds: float64(float32(i) / float32(30))})
	}
	return h
}

func randFrames(rng *rand.Rand, n int) [][32]byte {
	out := make([][32]byte, n)
	for i := range out {
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

func videoItem(id string, h *vpdq.Hash) Item {
	return Item{Key: Key{Source: "local", ID: id}, Video: h, TLP: tlp.Green}
}

func TestVideoCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := randFrames(rng, 5)
	ref := genVideo(rng, base, 0)
	pytx, err := vpdq.Parse(`["` + strings.Repeat("ab", 32) + `,100,0.0333", "` + strings.Repeat("cd", 32) + `,49,1.23e+02"]`)
	if err != nil {
		t.Fatal(err)
	}
	odd := &vpdq.Hash{Features: []vpdq.Feature{{Frame: 7, Quality: 3, Seconds: math.Pi}, {Frame: 2, Quality: 0, Seconds: 1e-9}}}
	zero := &vpdq.Hash{Features: make([]vpdq.Feature, 3)}
	for _, c := range []struct {
		name string
		h    *vpdq.Hash
		form func(*pb.VideoHash) bool
	}{
		{"reference timestamps", ref, func(p *pb.VideoHash) bool {
			return p.SecondsFromFrames && len(p.TimeDeltas) == 0 && len(p.Seconds) == 0
		}},
		{"pytx timestamps", pytx, func(p *pb.VideoHash) bool {
			return p.TimeDecimals == 4 && len(p.TimeDeltas) == 2 && len(p.FrameDeltas) == 0
		}},
		{"any timestamps, frames backwards", odd, func(p *pb.VideoHash) bool { return len(p.Seconds) == 2 && len(p.FrameDeltas) == 2 }},
		{"all zero", zero, func(p *pb.VideoHash) bool {
			return len(p.Seconds)+len(p.TimeDeltas)+len(p.FrameDeltas) == 0 && !p.SecondsFromFrames
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := videoToProto(c.h)
			if !c.form(p) {
				t.Errorf("unexpected form %v", p)
			}
			b, err := proto.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var q pb.VideoHash
			if err := proto.Unmarshal(b, &q); err != nil {
				t.Fatal(err)
			}
			g, err := videoFromProto(&q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, c.h) {
				t.Errorf("round trip:\n got %+v\nwant %+v", g, c.h)
			}
			if g.String() != c.h.String() {
				t.Errorf("pytx form changed: %s", g)
			}
		})
	}
	// 600 frames at 1 s: about 34 bytes a frame.
	long := genVideo(rng, randFrames(rng, 600), 0)
	b, _ := proto.Marshal(videoToProto(long))
	if per := float64(len(b)) / 600; per > 36 {
		t.Errorf("%.1f bytes a frame, want about 34", per)
	}
}

func TestVideoFromProtoRefuses(t *testing.T) {
	one := func(edit func(p *pb.VideoHash)) *pb.VideoHash {
		p := &pb.VideoHash{Hashes: make([]byte, 64), Qualities: []byte{100, 100}}
		edit(p)
		return p
	}
	for _, c := range []struct {
		name string
		p    *pb.VideoHash
		says string
	}{
		{"partial hash", one(func(p *pb.VideoHash) { p.Hashes = p.Hashes[:40] }), "multiple of 32"},
		{"qualities", one(func(p *pb.VideoHash) { p.Qualities = p.Qualities[:1] }), "qualities"},
		{"quality over 100", one(func(p *pb.VideoHash) { p.Qualities[1] = 101 }), "quality"},
		{"frame numbers", one(func(p *pb.VideoHash) { p.FrameDeltas = []int64{1} }), "frame numbers"},
		{"negative frame", one(func(p *pb.VideoHash) { p.FrameDeltas = []int64{1, -2} }), "out of range"},
		{"negative time", one(func(p *pb.VideoHash) { p.TimeDeltas = []int64{1, -2}; p.TimeDecimals = 1 }), "out of range"},
		{"decimals", one(func(p *pb.VideoHash) { p.TimeDeltas = []int64{1, 2}; p.TimeDecimals = 9 }), "decimals"},
		{"NaN seconds", one(func(p *pb.VideoHash) { p.Seconds = []float64{0, math.NaN()} }), "not finite"},
		{"no fps", one(func(p *pb.VideoHash) { p.SecondsFromFrames = true }), "frame rate"},
		{"no frames", &pb.VideoHash{}, "no frames"},
		{"negative size", one(func(p *pb.VideoHash) { p.Width = -1 }), "frame size"},
	} {
		_, err := videoFromProto(c.p)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.says)
		}
	}
}

// FuzzVideoFromProto: any bytes either fail to decode or give a hash that
// packs back to a form that decodes to it.
func FuzzVideoFromProto(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	b, _ := proto.Marshal(videoToProto(genVideo(rng, randFrames(rng, 3), 2)))
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p pb.VideoHash
		if proto.Unmarshal(b, &p) != nil {
			return
		}
		h, err := videoFromProto(&p)
		if err != nil {
			return
		}
		g, err := videoFromProto(videoToProto(h))
		if err != nil {
			t.Fatalf("repacked form refused: %v", err)
		}
		if !sameVideo(g, h) {
			t.Fatalf("repacked form differs")
		}
	})
}

func TestPutVideo(t *testing.T) {
	db := openTest(t, nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	h := genVideo(rng, randFrames(rng, 20), 0)
	md5 := testSignal(signal.MD5, 1)
	if err := db.Put(ctx, videoItem("v1", h), Item{Key: Key{ID: "v2"}, Signals: []signal.Signal{md5}, Video: h, TLP: tlp.Red}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Get(Key{Source: "local", ID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if !sameVideo(got.Video, h) || got.ContentType != ContentVideo || len(got.Signals) != 0 {
		t.Errorf("stored %+v", got)
	}
	// The same again changes nothing; a changed frame does.
	lastSeq := func() uint64 {
		st, err := db.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return st.LastSeq
	}
	before := lastSeq()
	if err := db.Put(ctx, videoItem("v1", h)); err != nil || lastSeq() != before {
		t.Errorf("idempotent Put: %v, seq %d → %d", err, before, lastSeq())
	}
	bad := []struct {
		name string
		it   Item
	}{
		{"no frames", videoItem("x", &vpdq.Hash{})},
		{"quality", videoItem("x", &vpdq.Hash{Features: []vpdq.Feature{{Quality: 200}}})},
		{"photo", Item{Key: Key{ID: "x"}, Video: h, TLP: tlp.Red, ContentType: ContentType(9)}},
		{"nothing", Item{Key: Key{ID: "x"}, TLP: tlp.Red}},
		{"too long for a bundle", videoItem("x", genVideo(rng, randFrames(rng, 30_000), 0))},
	}
	for _, c := range bad {
		if err := db.Put(ctx, c.it); err == nil {
			t.Errorf("%s: stored", c.name)
		}
	}
}

// oracle is what MatchVideo must return: vpdq.Compare of q with every
// live stored video, keeping matches.
func oracle(t *testing.T, db *DB, q *vpdq.Hash, o *vpdq.CompareOptions) []string {
	t.Helper()
	var out []string
	for it, err := range db.Items(context.Background(), Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if it.Video == nil {
			continue
		}
		if r := vpdq.Compare(q, it.Video, o); r.Match {
			out = append(out, fmt.Sprintf("%s %.4f %.4f", it.Key, r.QueryPercent, r.ComparedPercent))
		}
	}
	slices.Sort(out)
	return out
}

func viaIndex(t *testing.T, db *DB, q *vpdq.Hash, o *vpdq.CompareOptions) []string {
	t.Helper()
	res, err := db.MatchVideo(context.Background(), q, &VideoMatchOptions{Compare: *o, MaxPairs: -1})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range res.Matches {
		out = append(out, fmt.Sprintf("%s %.4f %.4f", m.Item.Key, m.QueryPercent, m.ComparedPercent))
	}
	slices.Sort(out)
	return out
}

var oracleOptions = []vpdq.CompareOptions{
	{},
	{Rule: vpdq.CPP},
	{QueryPercent: -1},
	{Rule: vpdq.CPP, QueryPercent: -1, ComparedPercent: 30},
	{QueryPercent: 100},
	{QueryPercent: 50, Distance: 12},
	{Quality: 30, QueryPercent: 60},
	{Rule: vpdq.CPP, Quality: 80, Distance: 40},
}

// TestMatchVideoOracle checks the frame index against the brute force
// over every stored video, as items are added, changed and retracted and
// after a reopen rebuilds the index.
func TestMatchVideoOracle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	rng := rand.New(rand.NewPCG(7, 8))
	var families [][][32]byte
	for range 6 {
		families = append(families, randFrames(rng, 20+rng.IntN(40)))
	}
	put := func(id string) *vpdq.Hash {
		f := families[rng.IntN(len(families))]
		// A clip of the family: a random stretch, some frames repeated.
		from := rng.IntN(len(f) / 2)
		clip := slices.Clone(f[from : from+len(f)/2+rng.IntN(len(f)/2-from+1)])
		for i := range clip {
			if rng.IntN(8) == 0 && i > 0 {
				clip[i] = clip[i-1]
			}
		}
		h := genVideo(rng, clip, 24)
		if err := db.Put(ctx, videoItem(id, h)); err != nil {
			t.Fatal(err)
		}
		return h
	}
	var queries []*vpdq.Hash
	for i := range 30 {
		queries = append(queries, put(fmt.Sprint("a", i)))
	}
	check := func(stage string) {
		t.Helper()
		n := 0
		for qi, q := range queries {
			for _, o := range oracleOptions {
				want, got := oracle(t, db, q, &o), viaIndex(t, db, q, &o)
				if !slices.Equal(want, got) {
					t.Fatalf("%s: query %d, %+v:\n index %v\nbrute %v", stage, qi, o, got, want)
				}
				n += len(want)
			}
		}
		if n == 0 {
			t.Fatalf("%s: nothing matched: the test proves nothing", stage)
		}
		checkFrameIndex(t, db)
	}
	// The first search builds the index; later writes follow it.
	check("built")
	for i := range 10 {
		put(fmt.Sprint("a", i)) // replaces
		put(fmt.Sprint("b", i)) // adds
	}
	for i := 10; i < 15; i++ {
		if err := db.Retract(ctx, Key{Source: "local", ID: fmt.Sprint("a", i)}, "gone"); err != nil {
			t.Fatal(err)
		}
	}
	check("followed")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, testOptions()); err != nil {
		t.Fatal(err)
	}
	check("reopened")
}

// TestMatchVideoUpstream stores upstream's 31 sample hash files and
// checks the index against the brute force with every file as a query.
func TestMatchVideoUpstream(t *testing.T) {
	dir := filepath.Join(testenv.Dir(t, "vpdq"), "hashes")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	db := openTest(t, nil)
	var hs []*vpdq.Hash
	var items []Item
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h, err := vpdq.ParseCPP(b)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		items = append(items, videoItem(strings.TrimSuffix(filepath.Base(f), ".txt"), h))
	}
	if err := db.Put(context.Background(), items...); err != nil {
		t.Fatal(err)
	}
	matches := 0
	for i, q := range hs {
		for _, o := range oracleOptions[:3] {
			want, got := oracle(t, db, q, &o), viaIndex(t, db, q, &o)
			if !slices.Equal(want, got) {
				t.Fatalf("%s, %+v:\n index %v\nbrute %v", items[i].ID, o, got, want)
			}
			matches += len(want)
		}
	}
	t.Logf("%d files, %d matches, index = brute force", len(hs), matches)
}

func TestMatchVideoResult(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	rng := rand.New(rand.NewPCG(9, 10))
	frames := randFrames(rng, 30)
	stored := genVideo(rng, frames, 0)
	for i := range stored.Features {
		stored.Features[i].Quality = 100
	}
	img, _ := signal.New(signal.PDQ, frames[3][:])
	if err := db.Put(ctx, videoItem("v", stored), videoItem("fp", stored), Item{Key: Key{ID: "img"}, Signals: []signal.Signal{img}, TLP: tlp.Green}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetOpinion(ctx, Opinion{Key: Key{Source: "local", ID: "fp"}, Verdict: FalsePositive}); err != nil {
		t.Fatal(err)
	}
	// The query is the stored video's seconds 0.1 to 0.8 at 1 hash/frame.
	q := &vpdq.Hash{Features: slices.Clone(stored.Features[3:24])}
	res, err := db.MatchVideo(ctx, q, &VideoMatchOptions{FramesAgainstImages: true, MaxPairs: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 1 || len(res.Suppressed) != 1 || res.Matches[0].Item.ID != "v" {
		t.Fatalf("matches %+v suppressed %+v", res.Matches, res.Suppressed)
	}
	m := res.Matches[0]
	if m.QueryPercent != 100 || m.ComparedPercent != 70 || len(m.Pairs) != 5 || m.Pairs[0].Distance != 0 || m.Pairs[0].Compared.Frame != 3 {
		t.Errorf("match %+v", m)
	}
	if len(m.Segments) != 1 || m.Segments[0].Pairs != 5 {
		t.Errorf("segments %+v", m.Segments)
	}
	if len(res.Images) != 1 || res.Images[0].Frame.Frame != 3 || res.Images[0].Result.Matches[0].Items[0].ID != "img" {
		t.Errorf("frames as images: %+v", res.Images)
	}
	// MatchHashes carries the video answer as its last result.
	rs, err := db.MatchHashes(ctx, &media.Hashes{Video: q}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Video == nil || len(rs[0].Video.Matches) != 1 || !rs[0].Matched() {
		t.Fatalf("MatchHashes: %+v", rs)
	}
	j, err := rs[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"query":"vpdq"`, `"query_match_percent":100`, `"compared_match_percent":70`, `"id":"v"`, `"video_suppressed":[`} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON %s lacks %s", j, want)
		}
	}
	// A query of low-quality frames only matches nothing.
	low := &vpdq.Hash{Features: []vpdq.Feature{{Quality: 10, PDQ: frames[0]}}}
	if res, err := db.MatchVideo(ctx, low, nil); err != nil || len(res.Matches) != 0 {
		t.Errorf("low quality query: %+v, %v", res, err)
	}
	if _, err := db.MatchVideo(ctx, &vpdq.Hash{Features: []vpdq.Feature{{Quality: 101}}}, nil); !errors.Is(err, vpdq.ErrInvalid) {
		t.Errorf("an invalid query: %v", err)
	}
	for _, o := range []VideoMatchOptions{{Compare: vpdq.CompareOptions{Rule: 7}}, {Compare: vpdq.CompareOptions{Distance: 300}}} {
		if _, err := db.MatchVideo(ctx, q, &o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("options %+v: %v", o, err)
		}
	}
}

func TestVideoExchange(t *testing.T) {
	a, b := orgPair(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	h := genVideo(rng, randFrames(rng, 40), 0)
	it := videoItem("clip", h)
	it.Source = "org-a"
	// The longest video an item takes still fits a bundle frame.
	long := videoItem("long", genVideo(rng, randFrames(rng, 23_000), 0))
	long.Source = "org-a"
	if err := a.Put(ctx, it, long); err != nil {
		t.Fatal(err)
	}
	bundle, _ := exportTo(t, a, true, false)
	mustImport(t, b, bundle)
	got, err := b.Get(Key{Source: "org-a", ID: "clip"})
	if err != nil {
		t.Fatal(err)
	}
	if !sameVideo(got.Video, h) {
		t.Fatal("the bundle lost the video hash")
	}
	res, err := b.MatchVideo(ctx, h, nil)
	if err != nil || len(res.Matches) != 1 {
		t.Fatalf("imported video does not match: %+v %v", res, err)
	}
}

// FuzzLiveVideoBytes: the raw scan the frame index build makes of item
// records never panics, and agrees with a full decode on what it finds.
func FuzzLiveVideoBytes(f *testing.F) {
	rng := rand.New(rand.NewPCG(13, 14))
	it := videoItem("v", genVideo(rng, randFrames(rng, 3), 0))
	rec, _ := encodeRecord(&record{Item: it, num: 7, seq: 9})
	f.Add(rec)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		num, video, ok := liveVideoBytes(b)
		var p pb.ItemRecord
		if proto.Unmarshal(b, &p) != nil {
			return
		}
		if ok && (num != p.GetNumber() || p.GetItem().GetRetracted()) {
			t.Fatalf("scan found item %d, decode %d retracted %v", num, p.GetNumber(), p.GetItem().GetRetracted())
		}
		_ = video
	})
}

// TestMatchVideoConcurrent matches while another goroutine writes: every
// video stored before a search began is found (the race detector checks
// the rest).
func TestMatchVideoConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	rng := rand.New(rand.NewPCG(15, 16))
	var hs []*vpdq.Hash
	for range 40 {
		hs = append(hs, genVideo(rng, randFrames(rng, 30), 0))
	}
	if err := db.Put(ctx, videoItem("first", hs[0])); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		for i, h := range hs[1:] {
			if err := db.Put(ctx, videoItem(fmt.Sprint("v", i), h)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range 40 {
		res, err := db.MatchVideo(ctx, hs[0], nil)
		if err != nil || len(res.Matches) != 1 {
			t.Fatalf("search %d: %+v, %v", i, res, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i, h := range hs[1:] {
		res, err := db.MatchVideo(ctx, h, nil)
		if err != nil || len(res.Matches) != 1 || res.Matches[0].Item.ID != fmt.Sprint("v", i) {
			t.Fatalf("video %d after the writes: %+v, %v", i, res, err)
		}
	}
}

// TestMatchVideoBulkCommit checks a commit too large for the MIH's
// pending buffer, applied with one rebuild.
func TestMatchVideoBulkCommit(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	rng := rand.New(rand.NewPCG(19, 20))
	first := genVideo(rng, randFrames(rng, 10), 0)
	if err := db.Put(ctx, videoItem("first", first)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MatchVideo(ctx, first, nil); err != nil { // builds the index
		t.Fatal(err)
	}
	var items []Item
	for i := range 900 {
		items = append(items, videoItem(fmt.Sprint("v", i), genVideo(rng, walkVideo(rng, 60), 0)))
	}
	if err := db.Put(ctx, items...); err != nil {
		t.Fatal(err)
	}
	x := db.frames.Load()
	if n := x.mih.Len(); n < indexPending+1000 {
		t.Fatalf("%d frames indexed: the commit is not large", n)
	}
	check := func(stage string) {
		t.Helper()
		for i := 0; i < len(items); i += 97 {
			for _, o := range oracleOptions[:3] {
				want, got := oracle(t, db, items[i].Video, &o), viaIndex(t, db, items[i].Video, &o)
				if !slices.Equal(want, got) || len(got) == 0 {
					t.Fatalf("%s: item %d, %+v:\n index %v\nbrute %v", stage, i, o, got, want)
				}
			}
		}
	}
	check("added")
	checkFrameIndex(t, db)
	// One commit replaces every video by one made of frames of others:
	// hashes leave and join in the same batch, and are shared.
	var pool [][32]byte
	for _, it := range items {
		for _, f := range it.Video.Features {
			pool = append(pool, f.PDQ)
		}
	}
	for i := range items {
		var frames [][32]byte
		for range 60 {
			frames = append(frames, pool[rng.IntN(len(pool))])
		}
		items[i] = videoItem(items[i].ID, genVideo(rng, frames, 0))
	}
	if err := db.Put(ctx, items...); err != nil {
		t.Fatal(err)
	}
	check("replaced")
	checkFrameIndex(t, db)
}

// TestMatchVideoSharedFrames stores videos holding the very same frames
// and checks the index as they change and go.
func TestMatchVideoSharedFrames(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	rng := rand.New(rand.NewPCG(21, 22))
	pool := randFrames(rng, 50)
	clip := func() *vpdq.Hash {
		var frames [][32]byte
		for range 20 {
			frames = append(frames, pool[rng.IntN(len(pool))])
		}
		return genVideo(rng, frames, 0)
	}
	var queries []*vpdq.Hash
	for i := range 20 {
		h := clip()
		queries = append(queries, h)
		if err := db.Put(ctx, videoItem(fmt.Sprint("s", i), h)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		for qi, q := range queries {
			for _, o := range oracleOptions {
				if want, got := oracle(t, db, q, &o), viaIndex(t, db, q, &o); !slices.Equal(want, got) {
					t.Fatalf("%s: query %d, %+v:\n index %v\nbrute %v", stage, qi, o, got, want)
				}
			}
		}
	}
	check("built")
	for i := range 20 {
		switch i % 3 {
		case 0:
			if err := db.Retract(ctx, Key{Source: "local", ID: fmt.Sprint("s", i)}, "gone"); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := db.Put(ctx, videoItem(fmt.Sprint("s", i), clip())); err != nil {
				t.Fatal(err)
			}
		}
		check(fmt.Sprint("change ", i))
		checkFrameIndex(t, db)
	}
}

// checkFrameIndex checks the frame index's own invariants: one MIH code
// per held id, shared lists of two or more, ascending, free ids unheld.
func checkFrameIndex(t *testing.T, db *DB) {
	t.Helper()
	x := db.frames.Load()
	if x == nil {
		return
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	held := 0
	for id, o := range x.owner {
		_, coded := x.mih.Code(uint64(id))
		if (o != 0) != coded {
			t.Fatalf("frame id %d: owner %d, code stored %v", id, o, coded)
		}
		if o != 0 {
			held++
		}
		if p := x.shared[uint64(id)]; (o == sharedOwner) != (p != nil) || (p != nil && (len(p) < 2 || !slices.IsSorted(p))) {
			t.Fatalf("frame id %d: owner %d, shared %v", id, o, p)
		}
	}
	if held != x.mih.Len() {
		t.Fatalf("%d ids held, %d codes", held, x.mih.Len())
	}
	for _, id := range x.free {
		if x.owner[id] != 0 {
			t.Fatalf("free id %d is held", id)
		}
	}
}
