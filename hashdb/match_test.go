package hashdb

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/testenv"
	"github.com/hashshare/hashshare/internal/testimage"
)

// flip returns s with the first d bits (in a seeded random order) inverted.
func flip(s signal.Signal, d int, seed uint64) signal.Signal {
	r := rand.New(rand.NewPCG(seed, 1))
	bits := r.Perm(s.Algorithm().Bits())[:d]
	for _, b := range bits {
		v := s.Bytes()
		v[b/8] ^= 1 << (b % 8)
		s, _ = signal.New(s.Algorithm(), v)
	}
	return s
}

func keys(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Key.String())
	}
	return out
}

func item(id string, sigs ...signal.Signal) Item {
	return Item{Key: Key{Source: "local", ID: id}, Signals: sigs, Labels: []string{"behaviour:glorification"}, TLP: tlp.Green}
}

func TestMatchThresholds(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	q := testSignal(signal.PDQ, 1)
	ph := testSignal(signal.PHash, 1)
	var items []Item
	// Stored PDQ signals at distances 0, 10, 31, 32, 60 from q; two items
	// share the one at distance 10.
	for _, d := range []int{0, 10, 31, 32, 60} {
		items = append(items, item("d"+itoa(d), flip(q, d, uint64(d))))
	}
	items = append(items, item("d10-again", flip(q, 10, 10)))
	items = append(items, item("phash", flip(ph, 10, 3)), item("phash-far", flip(ph, 11, 4)))
	items = append(items, item("md5", testSignal(signal.MD5, 1)))
	if err := db.Put(ctx, items...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query signal.Signal
		opts  *MatchOptions
		want  [][]string // items per match, nearest first
		dists []int
	}{
		{"pdq default 31", q, nil, [][]string{{"local/d00"}, {"local/d10", "local/d10-again"}, {"local/d31"}}, []int{0, 10, 31}},
		{"pdq threshold 32", q, &MatchOptions{Thresholds: map[signal.Algorithm]int{signal.PDQ: 32}}, [][]string{{"local/d00"}, {"local/d10", "local/d10-again"}, {"local/d31"}, {"local/d32"}}, []int{0, 10, 31, 32}},
		{"pdq radius 0", q, &MatchOptions{Thresholds: map[signal.Algorithm]int{signal.PDQ: 0}}, [][]string{{"local/d00"}}, []int{0}},
		{"phash default 10", ph, nil, [][]string{{"local/phash"}}, []int{10}},
		{"md5 exact", testSignal(signal.MD5, 1), nil, [][]string{{"local/md5"}}, []int{0}},
		{"md5 miss", testSignal(signal.MD5, 2), nil, nil, nil},
		{"sha256 nothing stored", testSignal(signal.SHA256, 1), nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := db.Match(ctx, []signal.Signal{tc.query}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].Query != tc.query {
				t.Fatalf("got %d results for one query", len(res))
			}
			var got [][]string
			var dists []int
			for _, m := range res[0].Matches {
				got = append(got, keys(m.Items))
				dists = append(dists, m.Distance)
				if d, err := tc.query.Distance(m.Signal); err == nil && d != m.Distance {
					t.Errorf("match %s reports distance %d, is %d", m.Signal, m.Distance, d)
				}
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) || !slices.Equal(dists, tc.dists) {
				t.Errorf("matches %v at %v, want %v at %v", got, dists, tc.want, tc.dists)
			}
			if res[0].Matched() != (len(tc.want) > 0) {
				t.Errorf("Matched() = %v", res[0].Matched())
			}
		})
	}
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func TestMatchFollowsCommits(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	q := testSignal(signal.PDQ, 7)
	matched := func() []string {
		t.Helper()
		res, err := db.Match(ctx, []signal.Signal{q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range res[0].Matches {
			got = append(got, keys(m.Items)...)
		}
		return got
	}
	if got := matched(); got != nil {
		t.Fatalf("empty database matched %v", got)
	}
	if err := db.Put(ctx, item("a", flip(q, 3, 1)), item("b", flip(q, 5, 2))); err != nil {
		t.Fatal(err)
	}
	if got := matched(); !slices.Equal(got, []string{"local/a", "local/b"}) {
		t.Fatalf("after Put: %v", got)
	}
	if err := db.Retract(ctx, Key{Source: "local", ID: "a"}, "mistake"); err != nil {
		t.Fatal(err)
	}
	if got := matched(); !slices.Equal(got, []string{"local/b"}) {
		t.Fatalf("after Retract: %v", got)
	}
	// An update that moves b's signal far away stops it matching.
	if err := db.Put(ctx, item("b", flip(q, 100, 2))); err != nil {
		t.Fatal(err)
	}
	if got := matched(); got != nil {
		t.Fatalf("after update: %v", got)
	}
	// Reopening rebuilds the indexes from the file.
	if err := db.Put(ctx, item("c", flip(q, 1, 9))); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	db = db2
	if got := matched(); !slices.Equal(got, []string{"local/c"}) {
		t.Fatalf("after reopen: %v", got)
	}
}

func TestMatchSuppressedAndUnreliable(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	q := testSignal(signal.PDQ, 3)
	flat := testSignal(signal.PDQ, 4)
	weak := item("weak", flat)
	weak.Unreliable = []signal.Signal{flat}
	err := db.Put(ctx, item("fp-item", flip(q, 2, 1)), item("fp-signal", flip(q, 4, 2)), item("also-fp-signal", flip(q, 4, 2)), item("good", flip(q, 6, 3)), weak)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetOpinion(ctx, Opinion{Key: Key{Source: "local", ID: "fp-item"}, Verdict: FalsePositive, Reason: "a meme"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetOpinion(ctx, Opinion{Signal: flip(q, 4, 2), Verdict: FalsePositive}); err != nil {
		t.Fatal(err)
	}
	// Another organisation's false positive does not suppress.
	if err := db.SetOpinion(ctx, Opinion{Key: Key{Source: "local", ID: "good"}, Org: "partner", Verdict: FalsePositive}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Match(ctx, []signal.Signal{q, flat}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, hidden []string
	for _, m := range res[0].Matches {
		got = append(got, keys(m.Items)...)
	}
	for _, m := range res[0].Suppressed {
		hidden = append(hidden, keys(m.Items)...)
	}
	if !slices.Equal(got, []string{"local/good"}) || !slices.Equal(hidden, []string{"local/fp-item", "local/also-fp-signal", "local/fp-signal"}) {
		t.Errorf("matches %v, suppressed %v", got, hidden)
	}
	if res[1].Matched() {
		t.Errorf("unreliable stored signal matched by default: %v", res[1].Matches)
	}
	res, err = db.Match(ctx, []signal.Signal{flat}, &MatchOptions{IncludeUnreliable: true})
	if err != nil || !res[0].Matched() {
		t.Errorf("IncludeUnreliable: %v, %v", res, err)
	}
}

func TestMatchErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	for _, tc := range []struct {
		name    string
		queries []signal.Signal
		opts    *MatchOptions
		want    error
	}{
		{"zero signal", []signal.Signal{{}}, nil, signal.ErrInvalid},
		{"negative threshold", []signal.Signal{testSignal(signal.PDQ, 1)}, &MatchOptions{Thresholds: map[signal.Algorithm]int{signal.PDQ: -1}}, ErrInvalidOptions},
		{"threshold over width", []signal.Signal{testSignal(signal.PHash, 1)}, &MatchOptions{Thresholds: map[signal.Algorithm]int{signal.PHash: 65}}, ErrInvalidOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Match(ctx, tc.queries, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Match(cctx, []signal.Signal{testSignal(signal.PDQ, 1)}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestMatchAgainstScan compares Match with a brute-force scan over random
// and clustered data, through adds, updates and retractions.
func TestMatchAgainstScan(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	r := rand.New(rand.NewPCG(5, 5))
	stored := map[string]signal.Signal{}
	var centres []signal.Signal
	for i := range 40 {
		centres = append(centres, testSignal(signal.PDQ, 1000+i))
	}
	for round := range 4 {
		var batch []Item
		for i := range 200 {
			id := "i" + string(rune('a'+round)) + itoa(i%100) + itoa(i/100)
			c := centres[r.IntN(len(centres))]
			s := flip(c, r.IntN(40), r.Uint64())
			batch = append(batch, item(id, s))
			stored["local/"+id] = s
		}
		if err := db.Put(ctx, batch...); err != nil {
			t.Fatal(err)
		}
		for k := range stored {
			if r.IntN(10) == 0 {
				if err := db.Retract(ctx, Key{Source: "local", ID: k[len("local/"):]}, "test"); err != nil {
					t.Fatal(err)
				}
				delete(stored, k)
			}
		}
		for _, c := range centres[:10] {
			q := flip(c, r.IntN(20), r.Uint64())
			res, err := db.Match(ctx, []signal.Signal{q}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, m := range res[0].Matches {
				got = append(got, keys(m.Items)...)
			}
			for k, s := range stored {
				if d, _ := q.Distance(s); d <= 31 {
					want = append(want, k)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: Match found %d items, the scan %d", round, len(got), len(want))
			}
		}
	}
}

// TestMatchMediaDihedral stores Meta's bridge photograph and matches its
// seven rotated and mirrored copies, each through the right transform.
func TestMatchMediaDihedral(t *testing.T) {
	dir := filepath.Join(testenv.Dir(t, "pdq"), "images", "reg-test-input", "dih")
	ctx := context.Background()
	db := openTest(t, nil)
	h, err := media.HashFile(ctx, filepath.Join(dir, "bridge-1-original.jpg"), nil)
	if err != nil {
		t.Fatal(err)
	}
	it := item("bridge", h.Signals...)
	it.Unreliable = h.Unreliable
	if err := db.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file      string
		transform media.Transform
	}{
		{"bridge-1-original.jpg", media.Original},
		{"bridge-2-rotate-90.jpg", media.Rotate270},
		{"bridge-3-rotate-180.jpg", media.Rotate180},
		{"bridge-4-rotate-270.jpg", media.Rotate90},
		{"bridge-5-flipx.jpg", media.FlipX},
		{"bridge-6-flipy.jpg", media.FlipY},
		{"bridge-7-flip-plus-1.jpg", media.FlipPlus1},
		{"bridge-8-flip-minus-1.jpg", media.FlipMinus1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, res, err := db.MatchMedia(ctx, bytes.NewReader(b), nil)
			if err != nil {
				t.Fatal(err)
			}
			var pdq *MatchResult
			for i := range res {
				if res[i].Query.Algorithm() == signal.PDQ {
					pdq = &res[i]
				}
			}
			if pdq == nil || !pdq.Matched() {
				t.Fatalf("PDQ did not match: %+v", res)
			}
			m := pdq.Matches[0]
			if m.Transform != tc.transform || m.Distance > 31 || !slices.Equal(keys(m.Items), []string{"local/bridge"}) {
				t.Errorf("best match %s at %d via %v, want via %v", keys(m.Items), m.Distance, m.Transform, tc.transform)
			}
			t.Logf("%s: PDQ distance %d via %v", tc.file, m.Distance, m.Transform)
		})
	}
}

// TestMatchMediaAltered matches re-encoded and resized copies of a stored
// image, and does not match an unrelated one.
func TestMatchMediaAltered(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	orig := testimage.Photo(320, 240, 11)
	h, err := media.HashReader(ctx, bytes.NewReader(testimage.Encode(t, "png", orig)), nil)
	if err != nil {
		t.Fatal(err)
	}
	it := item("orig", h.Signals...)
	it.Unreliable = h.Unreliable
	if err := db.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	matchedPDQ := func(b []byte) bool {
		_, res, err := db.MatchMedia(ctx, bytes.NewReader(b), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Query.Algorithm() == signal.PDQ {
				return r.Matched()
			}
		}
		return false
	}
	if !matchedPDQ(testimage.Encode(t, "jpeg", orig)) {
		t.Error("JPEG re-encode did not match")
	}
	if !matchedPDQ(testimage.Encode(t, "png", testimage.Photo(320, 240, 11))) {
		t.Error("identical copy did not match")
	}
	if matchedPDQ(testimage.Encode(t, "png", testimage.Photo(320, 240, 12).SubImage(image.Rect(0, 0, 200, 240)))) {
		t.Error("unrelated image matched")
	}
}

// TestMatchMediaHashing: MatchOptions.Hashing sets the upload limits, and
// MatchHashes on the same hashes answers as MatchMedia did.
func TestMatchMediaHashing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	data := testimage.Encode(t, "png", testimage.Photo(120, 90, 5))
	h, err := media.HashReader(ctx, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put(ctx, item("photo", h.Signals...)); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.MatchMedia(ctx, bytes.NewReader(data), &MatchOptions{Hashing: &media.Options{MaxPixels: 1000}})
	if !errors.Is(err, media.ErrImageTooLarge) {
		t.Errorf("MaxPixels 1000: %v, want ErrImageTooLarge", err)
	}
	only := &MatchOptions{Hashing: &media.Options{Algorithms: []signal.Algorithm{signal.PDQ}}}
	mh, res, err := db.MatchMedia(ctx, bytes.NewReader(data), only)
	if err != nil || len(res) != 1 || !res[0].Matched() || len(mh.Dihedral) != 8 {
		t.Fatalf("PDQ only: %v, %+v", err, res)
	}
	again, err := db.MatchHashes(ctx, mh, only)
	if err != nil || !reflect.DeepEqual(again, res) {
		t.Errorf("MatchHashes: %+v, %v; MatchMedia said %+v", again, err, res)
	}
	if res, err := db.MatchHashes(ctx, nil, nil); err != nil || res != nil {
		t.Errorf("nil hashes: %v, %v", res, err)
	}
}
