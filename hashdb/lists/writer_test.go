package lists

import (
	"bytes"
	"encoding/csv"
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

const (
	testPDQ    = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"
	testMD5    = "c0dec0dec0dec0dec0dec0dec0dec0de"
	testSHA256 = "beefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeef"
)

func sig(t testing.TB, a signal.Algorithm, hex string) signal.Signal {
	t.Helper()
	s, err := signal.ParseHex(a, hex)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWriter(t *testing.T) {
	pdq := sig(t, signal.PDQ, testPDQ)
	md5 := sig(t, signal.MD5, testMD5)
	sha := sig(t, signal.SHA256, testSHA256)
	phash := sig(t, signal.PHash, "00000000000000ff")
	video := hashdb.Item{Key: hashdb.Key{Source: "example-collab", ID: "v1"}, Signals: []signal.Signal{md5, sha},
		ContentType: hashdb.ContentVideo, Labels: []string{"pytx:example_tag", "pytx:second_tag"}, TLP: tlp.Amber}
	photo := hashdb.Item{Key: hashdb.Key{Source: "Example List, \"second\"", ID: "p1"}, Signals: []signal.Signal{pdq, md5, phash},
		ContentType: hashdb.ContentPhoto, Unreliable: []signal.Signal{pdq}, TLP: tlp.Amber}
	unknown := hashdb.Item{Key: hashdb.Key{Source: "x", ID: "u1"}, Signals: []signal.Signal{md5}, TLP: tlp.Amber}
	gone := hashdb.Item{Key: hashdb.Key{Source: "x", ID: "g1"}, Signals: []signal.Signal{pdq}, TLP: tlp.Amber, Retracted: true}
	items := []hashdb.Item{video, photo, unknown, gone}
	opinions := map[string][]hashdb.Opinion{
		"v1": {{Verdict: hashdb.Confirmed}},
		"p1": {{Verdict: hashdb.Confirmed}, {Verdict: hashdb.FalsePositive}},
	}

	tests := []struct {
		name     string
		format   Format
		quality  bool
		opinions bool
		want     string
		skipped  map[string]int
	}{
		{
			name:   "pytx",
			format: PyTX,
			want: "video_md5 " + testMD5 + "\n" +
				"video_sha256 " + testSHA256 + "\n" +
				"pdq " + testPDQ + "\n",
			skipped: map[string]int{"md5 of non-video content": 1, "no pytx type for phash": 1,
				"md5 of content of unknown type": 1, "retracted item": 1},
		},
		{
			name:   "pytx-csv without opinions",
			format: PyTXCSV,
			want: "signal_type,signal_str,collab,category,tags\r\n" +
				"video_md5," + testMD5 + ",example-collab,INVESTIGATION_SEED,example_tag second_tag\r\n" +
				"video_sha256," + testSHA256 + ",example-collab,INVESTIGATION_SEED,example_tag second_tag\r\n" +
				"pdq," + testPDQ + ",\"Example List, \"\"second\"\"\",INVESTIGATION_SEED,\r\n",
			skipped: map[string]int{"md5 of non-video content": 1, "no pytx type for phash": 1,
				"md5 of content of unknown type": 1, "retracted item": 1},
		},
		{
			name:     "pytx-csv with opinions",
			format:   PyTXCSV,
			opinions: true,
			want: "signal_type,signal_str,collab,category,tags\r\n" +
				"video_md5," + testMD5 + ",example-collab,POSITIVE_CLASS,example_tag second_tag\r\n" +
				"video_sha256," + testSHA256 + ",example-collab,POSITIVE_CLASS,example_tag second_tag\r\n" +
				"pdq," + testPDQ + ",\"Example List, \"\"second\"\"\",DISPUTED,\r\n",
			skipped: map[string]int{"md5 of non-video content": 1, "no pytx type for phash": 1,
				"md5 of content of unknown type": 1, "retracted item": 1},
		},
		{
			name:    "pdq",
			format:  PDQ,
			want:    testPDQ + "\n",
			skipped: map[string]int{"not pdq: md5": 3, "not pdq: sha256": 1, "not pdq: phash": 1, "retracted item": 1},
		},
		{
			name:    "pdq with quality",
			format:  PDQ,
			quality: true,
			want:    testPDQ + ",0,p1\n",
			skipped: map[string]int{"not pdq: md5": 3, "not pdq: sha256": 1, "not pdq: phash": 1, "retracted item": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w, err := NewWriter(&b, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			w.PDQQuality = tc.quality
			for _, it := range items {
				var ops []hashdb.Opinion
				if tc.opinions {
					ops = opinions[it.ID]
				}
				if err := w.WriteWithOpinions(it, ops); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("wrote\n%q\nwant\n%q", got, tc.want)
			}
			if got := w.Skipped(); !maps.Equal(got, tc.skipped) {
				t.Errorf("skipped %v, want %v", got, tc.skipped)
			}
			if got, want := w.Written(), strings.Count(tc.want, "\n")-strings.Count(tc.want, "signal_type,"); got != want {
				t.Errorf("written %d, want %d", got, want)
			}
		})
	}
}

func TestWriterEmptyCSV(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, PyTXCSV)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "signal_type,signal_str,collab,category,tags\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriterFormats(t *testing.T) {
	for _, f := range []Format{ThreatExchange, TCAP, NCMEC, StopNCII, "nope"} {
		if _, err := NewWriter(&bytes.Buffer{}, f); !errors.Is(err, ErrNotWritable) {
			t.Errorf("NewWriter(%q): %v, want ErrNotWritable", f, err)
		}
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriterError(t *testing.T) {
	w, err := NewWriter(failWriter{}, PyTX)
	if err != nil {
		t.Fatal(err)
	}
	it := hashdb.Item{Key: hashdb.Key{Source: "x", ID: "1"}, Signals: []signal.Signal{sig(t, signal.PDQ, testPDQ)}, TLP: tlp.Amber}
	if err := w.Write(it); err != nil {
		t.Fatal(err) // buffered
	}
	if err := w.Flush(); !errors.Is(err, errWrite) {
		t.Fatalf("Flush: %v, want %v", err, errWrite)
	}
	if err := w.Write(it); !errors.Is(err, errWrite) {
		t.Fatalf("Write after a failure: %v, want %v", err, errWrite)
	}
}

func TestAppendCSV(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{" leading space", " leading space"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"two\nlines", "\"two\nlines\""},
		{"cr\r", "\"cr\r\""},
	}
	for _, tc := range tests {
		if got := string(appendCSV(nil, tc.in)); got != tc.want {
			t.Errorf("appendCSV(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPyTXMetadata(t *testing.T) {
	tests := []struct {
		labels                []string
		ops                   []hashdb.Opinion
		collab, category, tag string
	}{
		{nil, nil, "src", "INVESTIGATION_SEED", ""},
		{[]string{"pytx:investigation_seed", "pytx:t"}, nil, "src", "INVESTIGATION_SEED", "t"},
		{[]string{"pytx:collab:example-collab", "pytx:positive_class"}, nil, "example-collab", "POSITIVE_CLASS", ""},
		{[]string{"pytx:collab:example-collab", "pytx:t"}, nil, "example-collab", "POSITIVE_CLASS", "t"},
		{[]string{"pytx:collab:c", "pytx:investigation_seed"}, nil, "c", "INVESTIGATION_SEED", ""},
		{[]string{"pytx:collab:c"}, []hashdb.Opinion{{Verdict: hashdb.FalsePositive}}, "c", "DISPUTED", ""},
		{[]string{"pytx:positive_class"}, []hashdb.Opinion{{Verdict: hashdb.FalsePositive}}, "src", "DISPUTED", ""},
		{[]string{"pytx:disputed", "pytx:b", "pytx:a", "local"}, nil, "src", "DISPUTED", "a b local"},
		{nil, []hashdb.Opinion{{Verdict: hashdb.FalsePositive}}, "src", "NEGATIVE_CLASS", ""},
		{[]string{"pytx:x", "x"}, []hashdb.Opinion{{Verdict: hashdb.Disputed}}, "src", "DISPUTED", "x"},
	}
	for _, tc := range tests {
		it := hashdb.Item{Key: hashdb.Key{Source: "src"}, Labels: tc.labels}
		c, cat, tags := pytxMetadata(&it, tc.ops)
		if c != tc.collab || cat != tc.category || tags != tc.tag {
			t.Errorf("labels %q, opinions %v: %q %q %q, want %q %q %q", tc.labels, tc.ops, c, cat, tags, tc.collab, tc.category, tc.tag)
		}
	}
}

// FuzzAppendCSV checks that a field appendCSV quotes reads back as itself
// with a CSV reader, alone and among others.
func FuzzAppendCSV(f *testing.F) {
	for _, s := range []string{"", "a", "a,b", `"`, "x\ny", "\r", " lead", `\.`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		if !utf8.ValidString(field) || strings.Contains(field, "\r") {
			// encoding/csv folds \r\n inside quotes to \n, as Python's
			// reader does not: no pytx field holds one.
			return
		}
		line := string(appendCSV(append(appendCSV(nil, field), ','), "end")) + "\r\n"
		r := csv.NewReader(strings.NewReader(line))
		rec, err := r.Read()
		if err != nil {
			t.Fatalf("reading %q: %v", line, err)
		}
		if len(rec) != 2 || rec[0] != field || rec[1] != "end" {
			t.Fatalf("%q read back as %q", field, rec)
		}
	})
}

// FuzzWriter checks that whatever item it is given, each format writes
// one well-formed line per signal it has a form for and counts the rest.
func FuzzWriter(f *testing.F) {
	f.Add([]byte(testPDQ+testMD5), uint8(2), "pytx:tag", "example-collab")
	f.Add([]byte("x"), uint8(0), "", "a,\"b\"")
	lineRE := map[Format]*regexp.Regexp{
		PyTX:    regexp.MustCompile(`^(pdq [0-9a-f]{64}|video_md5 [0-9a-f]{32}|video_sha256 [0-9a-f]{64})$`),
		PyTXCSV: regexp.MustCompile(`^(pdq,[0-9a-f]{64}|video_md5,[0-9a-f]{32}|video_sha256,[0-9a-f]{64}),`),
		PDQ:     regexp.MustCompile(`^[0-9a-f]{64}$`),
	}
	f.Fuzz(func(t *testing.T, raw []byte, ct uint8, label, source string) {
		var sigs []signal.Signal
		for i, a := range signal.Algorithms() {
			n := a.Bits() / 8
			if len(raw) < n*(i+1) || raw[i]&1 == 0 {
				continue
			}
			s, err := signal.New(a, raw[n*i:n*(i+1)])
			if err != nil {
				t.Fatal(err)
			}
			sigs = append(sigs, s)
		}
		it := hashdb.Item{Key: hashdb.Key{Source: source, ID: "id"}, Signals: sigs, Labels: []string{label},
			ContentType: hashdb.ContentType(ct % 4), TLP: tlp.Amber}
		for format, re := range lineRE {
			var b bytes.Buffer
			w, err := NewWriter(&b, format)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(it); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if format == PyTXCSV {
				out = strings.TrimPrefix(out, "signal_type,signal_str,collab,category,tags\r\n")
			}
			skipped := 0
			for _, n := range w.Skipped() {
				skipped += n
			}
			if w.Written()+skipped != len(sigs) {
				t.Fatalf("%s: wrote %d, skipped %v, of %d signals", format, w.Written(), w.Skipped(), len(sigs))
			}
			if format == PyTXCSV {
				rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
				if err != nil || len(rows) != w.Written() {
					t.Fatalf("%s: %q reads as %d rows, %v", format, out, len(rows), err)
				}
				for _, row := range rows {
					if len(row) != 5 || !re.MatchString(strings.Join(row, ",")) {
						t.Fatalf("%s: row %q", format, row)
					}
				}
				continue
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				lines = nil
			}
			if len(lines) != w.Written() {
				t.Fatalf("%s: %d lines, wrote %d", format, len(lines), w.Written())
			}
			for _, l := range lines {
				if !re.MatchString(l) {
					t.Fatalf("%s: line %q", format, l)
				}
			}
		}
	})
}
