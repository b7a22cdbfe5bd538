package tmk

import (
	"bufio"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReferencePairScores checks our scores of every pair of upstream's
// sample files against the reference's, bit for bit
// (testdata/reference-pairs.tsv, made by the C++ library).
func TestReferencePairScores(t *testing.T) {
	files := sampleFiles(t, "upstream")
	hashes := map[string]*Hash{}
	for name, b := range files {
		h, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		hashes[name+".tmk"] = h
	}
	f, err := os.Open("testdata/reference-pairs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		a, b := hashes[c[0]], hashes[c[1]]
		if a == nil || b == nil {
			t.Fatalf("no sample file for %q or %q", c[0], c[1])
		}
		w1, _ := strconv.ParseUint(c[4], 16, 32)
		w2, _ := strconv.ParseUint(c[5], 16, 32)
		want := Score{math.Float32frombits(uint32(w1)), math.Float32frombits(uint32(w2))}
		got := Score{Level1(a, b), Level2(a, b)}
		if got != want {
			t.Errorf("%s %s: got %.8f %.8f, want %.8f %.8f", c[0], c[1], got.Level1, got.Level2, want.Level1, want.Level2)
		}
		n++
	}
	if n != 105 {
		t.Fatalf("%d pairs, want 105", n)
	}
}

func TestCompareThresholds(t *testing.T) {
	files := sampleFiles(t, "upstream")
	a, _ := Parse(files["chair-19-sd-bar"])
	b, _ := Parse(files["chair-20-sd-bar"]) // 0.989083 0.991138
	p, _ := Parse(files["pattern-hd-no-bar"])
	for _, tc := range []struct {
		name   string
		x, y   *Hash
		t      Thresholds
		match  bool
		level2 bool // level 2 was computed
	}{
		{"defaults, same video", a, b, Thresholds{}, true, true},
		{"defaults, other video", a, p, Thresholds{}, false, false},
		{"level 1 too high", a, b, Thresholds{Level1: 0.995}, false, false},
		{"level 2 too high", a, b, Thresholds{Level2: 0.995}, false, true},
		{"everything", a, p, Thresholds{Level1: -1, Level2: -1}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok, err := Compare(tc.x, tc.y, tc.t)
			if err != nil || ok != tc.match || (s.Level2 != 0) != tc.level2 {
				t.Fatalf("got %+v %v %v", s, ok, err)
			}
			if s.Level1 != Level1(tc.x, tc.y) {
				t.Fatalf("level 1 %v, want %v", s.Level1, Level1(tc.x, tc.y))
			}
		})
	}
	c := *a
	c.Periods[2]++
	if _, _, err := Compare(a, &c, Thresholds{}); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other periods: %v", err)
	}
	c = *a
	c.Coefficients[3] *= 1.001
	if _, _, err := Compare(a, &c, Thresholds{}); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other coefficients: %v", err)
	}
	var z Hash
	if s := Level1(&z, &z); s != 0 {
		t.Errorf("level 1 of zero averages %v, want 0", s)
	}
}

// BenchmarkLevel2 scores one pair; BenchmarkLevel2Old, the same pair
// with the scan as it was before kernels, is its baseline, and
// BenchmarkLevel2OtherPeriods the same pair with periods off the step
// table.
func BenchmarkLevel2(b *testing.B) {
	x, y := benchPair(b)
	Level2(x, y) // the step table
	for b.Loop() {
		Level2(x, y)
	}
}

func BenchmarkLevel2Old(b *testing.B) {
	x, y := benchPair(b)
	for b.Loop() {
		oldLevel2(x, y)
	}
}

func BenchmarkLevel2OtherPeriods(b *testing.B) {
	x, y := benchPair(b)
	for i := range x.Periods {
		x.Periods[i]++
		y.Periods[i]++
	}
	for b.Loop() {
		Level2(x, y)
	}
}

func benchPair(b *testing.B) (*Hash, *Hash) {
	files := sampleFiles(b, "upstream")
	x, _ := Parse(files["chair-19-sd-bar"])
	y, _ := Parse(files["chair-20-sd-bar"])
	return x, y
}

func TestBuilderEmptyAndOne(t *testing.T) {
	if NewBuilder().Hash() != nil {
		t.Fatal("a hash of no frames")
	}
	b := NewBuilder()
	var f [Dim]float32
	f[0], f[1] = 3, 4
	b.Add(&f)
	h := b.Hash()
	if h.Frames != 1 || h.Average[0] != 3 || h.Average[1] != 4 || b.Frames() != 1 {
		t.Fatalf("got %d frames, average %v", h.Frames, h.Average[:2])
	}
	if s := Level1(h, h); s != 1 {
		t.Errorf("level 1 with itself %v", s)
	}
	// One frame at t = 0 has no sine part: K(0) = c₀ + Σ c_j, about half
	// the normaliser c₀ + 2 Σ c_j.
	if s := Level2(h, h); s < 0.518 || s > 0.519 {
		t.Errorf("level 2 with itself %v", s)
	}
}
