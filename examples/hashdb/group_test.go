package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// testSig returns a distinct PDQ signal string for i.
func testSig(i int) string { return fmt.Sprintf("pdq:%064x", i+1) }

// gathered is a group in a comparable form.
type gathered struct {
	id      string
	signals []string
	labels  []string
}

func gatheredOf(g *group) gathered {
	var sigs []string
	for _, s := range g.signals {
		sigs = append(sigs, s.String())
	}
	return gathered{g.id, sigs, slices.Clone(g.labels)}
}

// collide is a fingerprint under which many ids collide.
func collide(id string) uint64 { return uint64(len(id) % 3) }

// streamGroups groups text with the passes addSignals makes, with the
// fingerprint fp if not nil, holding at most held recurring ids if not 0.
func streamGroups(text string, fp func(string) uint64, held int) ([]gathered, error) {
	var p *groupPlan
	var err error
	if fp != nil {
		p, err = planGroupsWith(strings.NewReader(text), "f", fp)
	} else {
		p, err = planGroups(strings.NewReader(text), "f")
	}
	if err != nil {
		return nil, err
	}
	if held != 0 {
		p.maxHeld = held
	}
	var out []gathered
	err = p.groups(strings.NewReader(text), "f", func(g *group) error {
		out = append(out, gatheredOf(g))
		return nil
	})
	return out, err
}

// memoryGroups is the simple grouping: the whole file in a map, as
// addSignals did before it streamed, in the order of the ids' first lines.
func memoryGroups(text string) ([]gathered, error) {
	byID := map[string]*group{}
	var order []string
	err := readSignals(strings.NewReader(text), "f", func(l signalLine) error {
		g := byID[l.id]
		if g == nil {
			g = &group{id: l.id}
			byID[l.id] = g
			order = append(order, l.id)
		}
		g.add(&l, new(interner))
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []gathered
	for _, id := range order {
		out = append(out, gatheredOf(byID[id]))
	}
	return out, nil
}

func sortedByID(gs []gathered) []gathered {
	gs = slices.Clone(gs)
	slices.SortFunc(gs, func(a, b gathered) int { return strings.Compare(a.id, b.id) })
	return gs
}

func equalGathered(a, b []gathered) bool {
	return slices.EqualFunc(a, b, func(x, y gathered) bool {
		return x.id == y.id && slices.Equal(x.signals, y.signals) && slices.Equal(x.labels, y.labels)
	})
}

func TestGroupSignals(t *testing.T) {
	s := testSig
	far := []string{s(0) + "\tA\tx"}
	for i := range 1000 {
		far = append(far, s(100+i)+"\tid-"+fmt.Sprint(i))
	}
	far = append(far, s(1)+"\tA\ty")
	for _, c := range []struct {
		name  string
		lines []string
		want  []gathered // in the order handed on
	}{
		{"empty", nil, nil},
		{"comments only", []string{"# nothing", "", "  "}, nil},
		{"consecutive", []string{s(0) + "\tA", s(1) + "\tA", s(2) + "\tB", s(3) + "\tC", s(4) + "\tC"},
			[]gathered{{"A", []string{s(0), s(1)}, nil}, {"B", []string{s(2)}, nil}, {"C", []string{s(3), s(4)}, nil}}},
		{"interleaved A B A", []string{s(0) + "\tA", s(1) + "\tB", s(2) + "\tA"},
			[]gathered{{"B", []string{s(1)}, nil}, {"A", []string{s(0), s(2)}, nil}}},
		{"A B A B, runs of two", []string{s(0) + "\tA", s(1) + "\tA", s(2) + "\tB", s(3) + "\tA", s(4) + "\tB", s(5) + "\tB"},
			[]gathered{{"A", []string{s(0), s(1), s(3)}, nil}, {"B", []string{s(2), s(4), s(5)}, nil}}},
		{"no ids: each signal its own item, a repeated one once",
			[]string{s(0), s(1), s(0), s(2) + "\t\tl"},
			[]gathered{{s(1), []string{s(1)}, nil}, {s(0), []string{s(0)}, nil}, {s(2), []string{s(2)}, []string{"l"}}}},
		{"labels union, first-seen order", []string{s(0) + "\tA\tb,a", s(1) + "\tA\ta,c", s(2) + "\tB\tz", s(0) + "\tA\td,b"},
			[]gathered{{"B", []string{s(2)}, []string{"z"}}, {"A", []string{s(0), s(1)}, []string{"b", "a", "c", "d"}}}},
		{"three recurring, one not, between", []string{s(0) + "\tA", s(1) + "\tB", s(2) + "\tC", s(3) + "\tA", s(4) + "\tD", s(5) + "\tB\tl", s(6) + "\tC"},
			[]gathered{{"A", []string{s(0), s(3)}, nil}, {"D", []string{s(4)}, nil}, {"B", []string{s(1), s(5)}, []string{"l"}}, {"C", []string{s(2), s(6)}, nil}}},
		{"the same signal twice in a run", []string{s(0) + "\tA", s(0) + "\tA\tl"},
			[]gathered{{"A", []string{s(0)}, []string{"l"}}}},
		{"comments between a run's lines", []string{s(0) + "\tA", "# c", "", s(1) + "\tA"},
			[]gathered{{"A", []string{s(0), s(1)}, nil}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.Join(c.lines, "\n")
			got, err := streamGroups(text, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !equalGathered(got, c.want) {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
			mem, _ := memoryGroups(text)
			if !equalGathered(sortedByID(got), sortedByID(mem)) {
				t.Errorf("streamed %q\nin memory %q", got, mem)
			}
			// Ids whose fingerprints collide are held, and still each
			// one item.
			coll, err := streamGroups(text, collide, 0)
			if err != nil || !equalGathered(sortedByID(coll), sortedByID(mem)) {
				t.Errorf("colliding fingerprints: %q, %v\nin memory %q", coll, err, mem)
			}
			// More recurring ids than are held: through temporary files.
			for _, fp := range []func(string) uint64{nil, collide} {
				part, err := streamGroups(text, fp, 1)
				if err != nil || !equalGathered(sortedByID(part), sortedByID(mem)) {
					t.Errorf("partitioned: %q, %v\nin memory %q", part, err, mem)
				}
			}
		})
	}
	t.Run("far apart", func(t *testing.T) {
		got, err := streamGroups(strings.Join(far, "\n"), nil, 0)
		if err != nil || len(got) != 1001 {
			t.Fatalf("%d groups, %v", len(got), err)
		}
		want := gathered{"A", []string{s(0), s(1)}, []string{"x", "y"}}
		if a := got[len(got)-1]; !equalGathered([]gathered{a}, []gathered{want}) {
			t.Errorf("last group %q, want %q", a, want)
		}
	})
}

func TestGroupSignalsBadLine(t *testing.T) {
	good := []string{testSig(0) + "\tA", testSig(1) + "\tB", testSig(2) + "\tA"}
	for _, at := range []int{0, 1, 3} {
		lines := slices.Insert(slices.Clone(good), at, "pdq:12")
		_, err := planGroups(strings.NewReader(strings.Join(lines, "\n")), "f")
		if want := fmt.Sprintf("f:%d:", at+1); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("bad line %d: %v, want %q", at+1, err, want)
		}
	}
}

// TestAddSignalsStreamed stores the same items from files whose ids come
// together, interleaved and from stdin, and checks each stores the same.
func TestAddSignalsStreamed(t *testing.T) {
	dir := t.TempDir()
	const n = 3000 // more than a batch, and a spool buffer's worth of stdin
	var together, apart []string
	for i := range n {
		together = append(together, fmt.Sprintf("%s\tid-%d\tl%d", testSig(2*i), i, i%3), fmt.Sprintf("md5:%032x\tid-%d\tm", i, i))
		apart = append(apart, fmt.Sprintf("%s\tid-%d\tl%d", testSig(2*i), i, i%3))
	}
	for i := range n {
		apart = append(apart, fmt.Sprintf("md5:%032x\tid-%d\tm", i, i))
	}
	file := func(name string, lines []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	add := func(db string, stdin io.Reader, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"add", "--db", filepath.Join(dir, db), "--source", "acme"}, args...), stdin, &stdout, &stderr)
		return code, stderr.String()
	}
	want := fmt.Sprintf("stored %d items with %d signals", n, 2*n)
	for _, c := range []struct {
		db    string
		stdin io.Reader
		args  []string
		held  int // maxHeld, if not 0
	}{
		{"together.db", nil, []string{"--signals", file("together.txt", together)}, 0},
		{"apart.db", nil, []string{"--signals", file("apart.txt", apart)}, 0},
		{"stdin.db", strings.NewReader(strings.Join(apart, "\n")), []string{"--signals", "-"}, 0},
		{"partitioned.db", strings.NewReader(strings.Join(apart, "\n")), []string{"--signals", "-"}, 100},
	} {
		if c.held != 0 {
			defer func(n int) { maxHeld = n }(maxHeld)
			maxHeld = c.held
		}
		code, stderr := add(c.db, c.stdin, c.args...)
		if code != 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s: %d %q, want %q", c.db, code, stderr, want)
			continue
		}
		st := statsOf(t, dir, c.db)
		if st.Items != n || st.Signals["pdq"] != n || st.Signals["md5"] != n || st.Labels["m"] != n || st.Labels["l0"] != n/3 {
			t.Errorf("%s: stats %+v", c.db, st)
		}
	}
	// A pipe named on the command line cannot be read twice either: it
	// is spooled as stdin is.
	if runtime.GOOS != "windows" {
		r := cli(t, dir, strings.Join(apart, "\n"), "add", "--db", "pipe.db", "--source", "acme", "--signals", "/dev/stdin").want(t, 0)
		if !strings.Contains(r.stderr, want) {
			t.Errorf("/dev/stdin: %q, want %q", r.stderr, want)
		}
	}
	// A bad line late in stdin stores nothing and is named.
	bad := slices.Insert(slices.Clone(apart), len(apart)-1, "md5:zz")
	code, stderr := add("bad.db", strings.NewReader(strings.Join(bad, "\n")), "--signals", "-")
	if code != 2 || !strings.Contains(stderr, fmt.Sprintf("-:%d:", len(bad)-1)) {
		t.Errorf("bad stdin: %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.db")); err == nil {
		t.Error("a bad stdin created the database")
	}
	// An empty file and empty stdin store nothing, successfully.
	for _, stdin := range []io.Reader{nil, strings.NewReader("")} {
		args := []string{"--signals", file("empty.txt", nil)}
		if stdin != nil {
			args = []string{"--signals", "-"}
		}
		if code, stderr := add("empty.db", stdin, args...); code != 0 || !strings.Contains(stderr, "stored 0 items with 0 signals") {
			t.Errorf("empty %v: %d %q", args, code, stderr)
		}
	}
}

func FuzzGroupSignals(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 1}, "")
	f.Add([]byte{3, 3, 4, 3, 0x13, 0x40}, "pdq:00")
	f.Add([]byte{0xff, 0x10, 0x21, 0x32, 0x10}, "# c")
	f.Fuzz(func(t *testing.T, script []byte, raw string) {
		// Each byte is a line: its low 3 bits the signal, the next 2 the
		// id (3: none), the top 3 its labels; raw is one more line, in
		// the middle.
		var lines []string
		for i, b := range script {
			if i == len(script)/2 && raw != "" {
				lines = append(lines, raw)
			}
			l := testSig(int(b & 7))
			if id := b >> 3 & 3; id != 3 {
				l += "\t" + string(rune('A'+id))
			} else if b>>5 != 0 {
				l += "\t"
			}
			if labs := b >> 5; labs != 0 {
				l += "\t" + []string{"", "a", "b", "a,b", "c", "b,c", "c,a", "x"}[labs]
			}
			lines = append(lines, l)
		}
		text := strings.Join(lines, "\n")
		want, werr := memoryGroups(text)
		for _, c := range []struct {
			fp   func(string) uint64
			held int
		}{{nil, 0}, {collide, 0}, {nil, 1}, {collide, 1}} {
			got, err := streamGroups(text, c.fp, c.held)
			if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
				t.Fatalf("streamed error %v, in memory %v", err, werr)
			}
			if !equalGathered(sortedByID(got), sortedByID(want)) {
				t.Fatalf("streamed %q\nin memory %q", got, want)
			}
			ids := map[string]bool{}
			for _, g := range got {
				if ids[g.id] {
					t.Fatalf("id %q handed on twice", g.id)
				}
				ids[g.id] = true
			}
		}
	})
}

// benchSignals is a --signals stream of n items, a pdq and an md5 line
// each, ids together or (apart) all the pdq lines first.
func benchSignals(n int, apart bool) []byte {
	var b bytes.Buffer
	pdq := func(i int) { fmt.Fprintf(&b, "pdq:%064x\titem-%07d\ttype:image\n", uint64(i)*0x9e3779b97f4a7c15, i) }
	md5 := func(i int) { fmt.Fprintf(&b, "md5:%032x\titem-%07d\n", uint64(i)*0xbf58476d1ce4e5b9, i) }
	for i := range n {
		pdq(i)
		if !apart {
			md5(i)
		}
	}
	for i := range n {
		if apart {
			md5(i)
		}
	}
	return b.Bytes()
}

// BenchmarkGroupSignals runs both passes of the grouping over a generated
// stream, reporting lines/s and bytes allocated a line.
func BenchmarkGroupSignals(b *testing.B) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	for _, apart := range []bool{false, true} {
		name := "together"
		if apart {
			name = "apart"
		}
		data := benchSignals(n, apart)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for b.Loop() {
				p, err := planGroups(bytes.NewReader(data), "b")
				if err != nil {
					b.Fatal(err)
				}
				items := 0
				err = p.groups(bytes.NewReader(data), "b", func(g *group) error {
					items++
					return nil
				})
				if err != nil || items != n {
					b.Fatalf("%d items, %v", items, err)
				}
			}
			runtime.ReadMemStats(&m1)
			lines := float64(2*n) * float64(b.N)
			b.ReportMetric(lines/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/lines, "B/line")
		})
	}
}

// TestSignalSourceChanged checks that a named file that changes between
// the passes is an error rather than a second pass over other lines.
func TestSignalSourceChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(p, []byte(testSig(0)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := openSignals(&env{}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	if _, err := io.ReadAll(src.first()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(testSig(0)+"\n"+testSig(1)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.rewind(); err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Errorf("rewind after a change: %v", err)
	}
}
