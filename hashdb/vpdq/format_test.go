package vpdq

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPython3Vectors checks the timestamp format against CPython's
// format(x, '.3') on the table testdata/vectors.py generated.
func TestPython3Vectors(t *testing.T) {
	f, err := os.Open("testdata/pyformat.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		in, want, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad vector line %q", line)
		}
		x, err := strconv.ParseFloat(in, 64)
		if err != nil {
			t.Fatalf("vector %q: %v", in, err)
		}
		if got := string(appendPython3(nil, x)); got != want {
			t.Errorf("format(%s, '.3') = %q, Python gives %q", in, got, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 1000 {
		t.Fatalf("only %d vectors read", n)
	}
}

// TestBriefVectors pins the vectors the spec names, so a damaged table
// cannot hide them.
func TestBriefVectors(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0, "0.0"}, {float64(float32(1) / float32(30)), "0.0333"}, {1.0 / 30, "0.0333"}, {0.033, "0.033"},
		{1, "1.0"}, {9.97, "9.97"}, {30, "30.0"}, {99.96, "1e+02"}, {100, "1e+02"},
		{123.456, "1.23e+02"}, {600, "6e+02"}, {1234.5, "1.23e+03"}, {0.00001, "1e-05"},
	} {
		if got := string(appendPython3(nil, c.x)); got != c.want {
			t.Errorf("%v: got %q, want %q", c.x, got, c.want)
		}
	}
}

// TestPyTXStrings parses whole signal strings CPython's json.dumps wrote
// and writes them back byte for byte.
func TestPyTXStrings(t *testing.T) {
	b, err := os.ReadFile("testdata/pytx-json.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		n++
		for _, in := range []string{line, Prefix + line} {
			h, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse(%.60q): %v", in, err)
			}
			if got := h.PyTX(); got != line {
				t.Errorf("round trip:\n got %.200s\nwant %.200s", got, line)
			}
			if got := h.String(); got != Prefix+line {
				t.Errorf("String lacks the prefix: %.80s", got)
			}
		}
	}
	if n != 6 {
		t.Fatalf("%d strings read, want 6", n)
	}
}

func TestParseForms(t *testing.T) {
	const hx = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"
	const hx2 = "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	for _, c := range []struct {
		name, in string
		want     []Feature // nil: empty
		pytx     string
	}{
		{"empty", "", nil, "[]"},
		{"empty with prefix", "vpdq:", nil, "[]"},
		{"empty list", "[]", nil, "[]"},
		{"pytx", `["` + hx + `,100,0.0", "` + hx2 + `,49,0.033"]`,
			[]Feature{{PDQ: w(hx), Quality: 100}, {PDQ: w(hx2), Quality: 49, Seconds: 0.033}},
			`["` + hx + `,100,0.0", "` + hx2 + `,49,0.033"]`},
		{"pytx any float text", `vpdq:["` + strings.ToUpper(hx) + `,7,1.5e2"]`,
			[]Feature{{PDQ: w(hx), Quality: 7, Seconds: 150}}, `["` + hx + `,7,1.5e+02"]`},
		{"cpp", "0,100," + hx + ",0.000\n30,50," + hx2 + ",1.000\n",
			[]Feature{{PDQ: w(hx), Quality: 100}, {Frame: 30, PDQ: w(hx2), Quality: 50, Seconds: 1}},
			`["` + hx + `,100,0.0", "` + hx2 + `,50,1.0"]`},
		{"cpp crlf, no final newline", "2,1," + hx + ",0.067\r\n3,1," + hx + ",0.1",
			[]Feature{{Frame: 2, PDQ: w(hx), Quality: 1, Seconds: 0.067}, {Frame: 3, PDQ: w(hx), Quality: 1, Seconds: 0.1}},
			`["` + hx + `,1,0.067", "` + hx + `,1,0.1"]`},
		{"old dict", `{"0": {"quality": 100, "hash": "` + hx + `", "timestamp": 0.0}, "29": {"hash": "` + hx2 + `", "quality": 3, "timestamp": 0.96666}}`,
			[]Feature{{PDQ: w(hx), Quality: 100}, {Frame: 29, PDQ: w(hx2), Quality: 3, Seconds: 0.967}},
			`["` + hx + `,100,0.0", "` + hx2 + `,3,0.967"]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := Parse(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Features) != len(c.want) {
				t.Fatalf("%d features, want %d", len(h.Features), len(c.want))
			}
			for i := range c.want {
				if h.Features[i] != c.want[i] {
					t.Errorf("feature %d = %+v, want %+v", i, h.Features[i], c.want[i])
				}
			}
			if got := h.PyTX(); got != c.pytx {
				t.Errorf("PyTX = %s, want %s", got, c.pytx)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const hx = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"
	for _, c := range []struct{ in, says string }{
		{`["` + hx + `,100"]`, "want 3"},
		{`["` + hx[:63] + `,100,0.0"]`, "63 characters"},
		{`["` + hx[:63] + `g,100,0.0"]`, "not 64 hex"},
		{`["` + hx + `,101,0.0"]`, "quality"},
		{`["` + hx + `,-1,0.0"]`, "quality"},
		{`["` + hx + `,100,-0.5"]`, "negative"},
		{`["` + hx + `,100,nan"]`, "not finite"},
		{`["` + hx + `,100,inf"]`, "not finite"},
		{`["` + hx + `,100,1e400"]`, "not finite"},
		{`["` + hx + `,100,x"]`, "not a number"},
		{`[1]`, "JSON list of strings"},
		{`["a"`, "JSON"},
		{"0,100," + hx + "\n", "want 4"},
		{"x,100," + hx + ",0.000\n", "frame number"},
		{"5,100," + hx + ",0.000\n5,100," + hx + ",0.000\n", "does not follow"},
		{"0,100," + hx + ",0.000\n\n", "line 2"},
		{`{"0": {"quality": 100, "hash": "` + hx + `"}}`, "lacks"},
		{`{"a": {}}`, "not a frame number"},
		{`{"0": {"quality": 100, "hash": "` + hx + `", "timestamp": 0}} x`, "after"},
	} {
		_, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.says) || !isInvalid(err) {
			t.Errorf("Parse(%.50q) = %v, want ErrInvalid saying %q", c.in, err, c.says)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, h := range []*Hash{
		{Features: []Feature{{Quality: 101}}},
		{Features: []Feature{{Seconds: -1}}},
		{Features: make([]Feature, MaxFeatures+1)},
	} {
		if err := h.Validate(); !isInvalid(err) {
			t.Errorf("Validate(%.40v) = %v, want ErrInvalid", h.Features[:1], err)
		}
	}
	if err := (&Hash{Features: make([]Feature, 3)}).Validate(); err != nil {
		t.Error(err)
	}
}
