package tmk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/internal/testenv"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
	"google.golang.org/protobuf/proto"
)

// sampleFiles returns the .tmk files of testdata/tmk/<sub>, by name.
func sampleFiles(t testing.TB, sub string) map[string][]byte {
	t.Helper()
	dir := testenv.Dir(t, "tmk/"+sub)
	names, err := filepath.Glob(filepath.Join(dir, "*.tmk"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no .tmk files in %s: %v", dir, err)
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(filepath.Base(n), ".tmk")] = b
	}
	return files
}

func TestSampleFilesRoundTrip(t *testing.T) {
	for _, sub := range []string{"upstream", "reference-debian"} {
		for name, b := range sampleFiles(t, sub) {
			t.Run(sub+"/"+name, func(t *testing.T) {
				h, err := Parse(b)
				if err != nil {
					t.Fatal(err)
				}
				if h.Periods != Periods || h.Coefficients != Coefficients || h.Frames <= 0 {
					t.Errorf("parameters %v %v, %d frames", h.Periods, h.Coefficients, h.Frames)
				}
				out, _ := h.MarshalBinary()
				if !bytes.Equal(out, b) {
					t.Fatal("re-written file differs")
				}
				s := h.String()
				if len(s) != StringLen || StringLen != 351125 || !strings.HasPrefix(s, StringPrefix) {
					t.Fatalf("string of %d characters", len(s))
				}
				back, err := ParseString(s)
				if err != nil {
					t.Fatal(err)
				}
				if out, _ := back.MarshalBinary(); !bytes.Equal(out, b) {
					t.Fatal("string form does not round-trip")
				}
				wire, err := proto.Marshal(ToProto(h))
				if err != nil {
					t.Fatal(err)
				}
				var p pb.TMKHash
				if err := proto.Unmarshal(wire, &p); err != nil {
					t.Fatal(err)
				}
				fp, err := FromProto(&p)
				if err != nil {
					t.Fatal(err)
				}
				if out, _ := fp.MarshalBinary(); !bytes.Equal(out, b) {
					t.Fatal("protobuf form does not round-trip")
				}
				if len(wire) > FileSize {
					t.Errorf("protobuf form of %d bytes, more than the file's %d", len(wire), FileSize)
				}
			})
		}
	}
}

// valid returns the bytes of a well-formed file of the reference's
// parameters.
func valid() []byte {
	h := &Hash{Frames: 3, Periods: Periods, Coefficients: Coefficients}
	h.Average[0], h.Cos[1][2][3], h.Sin[3][31][255] = 1, 2, 3
	b, _ := h.MarshalBinary()
	return b
}

func TestParseErrors(t *testing.T) {
	put := func(at int, v int32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[at:], uint32(v)); return b }
	}
	for _, tc := range []struct {
		name, want string
		edit       func([]byte) []byte
	}{
		{"empty", "0 bytes", func([]byte) []byte { return nil }},
		{"project magic", `magic "TMK2"`, func(b []byte) []byte { b[3] = '2'; return b }},
		{"file magic", `magic "FVEX"`, func(b []byte) []byte { b[7] = 'X'; return b }},
		{"algorithm", `magic "PDQ_"`, func(b []byte) []byte { b[11] = '_'; return b }},
		{"fps", "frames per second 30", put(12, 30)},
		{"periods", "period count 3", put(16, 3)},
		{"coefficients", "coefficient count 16", put(20, 16)},
		{"dimension", "dimension 64", put(24, 64)},
		{"frames", "frame count -1", put(28, -1)},
		{"period", "period 2 is 0", put(periodsAt+8, 0)},
		{"short", "263343 bytes", func(b []byte) []byte { return b[:FileSize-1] }},
		{"long", "263345 bytes", func(b []byte) []byte { return append(b, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.edit(valid()))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

func TestParseStringErrors(t *testing.T) {
	h, _ := Parse(valid())
	s := h.String()
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "string starts"},
		{"prefix", "TMK1FVECPDQ|" + s[13:], "string starts"},
		{"short", s[:len(s)-4], "characters"},
		{"base64", s[:20] + "!" + s[21:], "base64"},
		{"padding", s[:len(s)-1] + "A", "base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseString(tc.in)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	if _, err := ParseString(" " + s + "\n"); err != nil {
		t.Errorf("surrounding space: %v", err)
	}
}

func TestProtoErrors(t *testing.T) {
	h, _ := Parse(valid())
	for _, tc := range []struct {
		name string
		edit func(*pb.TMKHash)
	}{
		{"frames", func(p *pb.TMKHash) { p.Frames = -1 }},
		{"periods", func(p *pb.TMKHash) { p.Periods = []int32{1, 2} }},
		{"period", func(p *pb.TMKHash) { p.Periods = []int32{1, 2, 0, 4} }},
		{"coefficients", func(p *pb.TMKHash) { p.Coefficients = make([]byte, 4) }},
		{"average", func(p *pb.TMKHash) { p.Average = p.Average[:4] }},
		{"cos", func(p *pb.TMKHash) { p.Cos = nil }},
		{"sin", func(p *pb.TMKHash) { p.Sin = p.Sin[1:] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ToProto(h)
			tc.edit(p)
			if _, err := FromProto(p); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	// Other parameters than the reference's are carried.
	h.Periods[0], h.Coefficients[5] = 7, 0.5
	got, err := FromProto(ToProto(h))
	if err != nil || got.Periods != h.Periods || got.Coefficients != h.Coefficients {
		t.Fatalf("got %v, %v", got, err)
	}
	if x, err := FromProto(nil); x != nil || err != nil || ToProto(nil) != nil {
		t.Fatal("nil does not give nil")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(valid())
	f.Add(valid()[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if out, _ := h.MarshalBinary(); !bytes.Equal(out, b) {
			t.Fatal("accepted file does not re-write byte for byte")
		}
	})
}

func FuzzParseString(f *testing.F) {
	h, _ := Parse(valid())
	f.Add(h.String())
	f.Add(StringPrefix + "AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseString(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if back, err := ParseString(h.String()); err != nil || !sameBytes(back, h) {
			t.Fatalf("string form does not round-trip: %v", err)
		}
	})
}

func FuzzFromProto(f *testing.F) {
	h, _ := Parse(valid())
	wire, _ := proto.Marshal(ToProto(h))
	f.Add(wire)
	f.Fuzz(func(t *testing.T, b []byte) {
		var p pb.TMKHash
		if proto.Unmarshal(b, &p) != nil {
			return
		}
		h, err := FromProto(&p)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if back, err := FromProto(ToProto(h)); err != nil || !sameBytes(back, h) {
			t.Fatalf("protobuf form does not round-trip: %v", err)
		}
	})
}

// sameBytes compares two hashes as files, so that NaNs compare equal.
func sameBytes(a, b *Hash) bool {
	x, _ := a.MarshalBinary()
	y, _ := b.MarshalBinary()
	return bytes.Equal(x, y)
}
