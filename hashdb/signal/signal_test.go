package signal

import (
	"errors"
	"strings"
	"testing"
)

const (
	pdqHex    = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	phashHex  = "d1c4b0b0b0f0e0c0"
	md5Hex    = "d41d8cd98f00b204e9800998ecf8427e"
	sha1Hex   = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func TestParseSignalRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		alg  Algorithm
		want string
	}{
		{"pdq:" + pdqHex, PDQ, "pdq:" + pdqHex},
		{"  PDQ:" + strings.ToUpper(pdqHex) + "\n", PDQ, "pdq:" + pdqHex},
		{"phash:" + phashHex, PHash, "phash:" + phashHex},
		{"dhash:0000000000000000", DHash, "dhash:0000000000000000"},
		{"ahash:FFFFFFFFFFFFFFFF", AHash, "ahash:ffffffffffffffff"},
		{"p:" + phashHex, PHash, "phash:" + phashHex},
		{"d:" + phashHex, DHash, "dhash:" + phashHex},
		{"a:" + phashHex, AHash, "ahash:" + phashHex},
		{"md5:" + md5Hex, MD5, "md5:" + md5Hex},
		{"sha1:" + sha1Hex, SHA1, "sha1:" + sha1Hex},
		{"\tsha256:" + sha256Hex, SHA256, "sha256:" + sha256Hex},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			s, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if s.Algorithm() != tc.alg {
				t.Errorf("algorithm = %v, want %v", s.Algorithm(), tc.alg)
			}
			if got := s.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if got := s.Hex(); got != strings.SplitN(tc.want, ":", 2)[1] {
				t.Errorf("Hex() = %q", got)
			}
			back, err := ParseHex(tc.alg, s.Hex())
			if err != nil || back != s {
				t.Errorf("ParseHex(Hex()) = %v, %v; want %v", back, err, s)
			}
			b, err := New(tc.alg, s.Bytes())
			if err != nil || b != s {
				t.Errorf("New(Bytes()) = %v, %v; want %v", b, err, s)
			}
		})
	}
}

func TestParseSignalErrors(t *testing.T) {
	tests := []struct {
		name, in string
		wantIn   []string // substrings the message must contain
	}{
		{"empty", "", []string{"empty"}},
		{"blank", "   ", []string{"empty"}},
		{"no prefix", pdqHex, []string{"no algorithm prefix"}},
		{"unknown prefix", "xyz:" + phashHex, []string{"unknown algorithm", "xyz"}},
		{"prefix without value", "pdq:", []string{"pdq", "empty value", "64 hex digits"}},
		{"odd length", "phash:" + phashHex[:15], []string{"phash", "15 characters", "want 16"}},
		{"too long", "md5:" + md5Hex + "00", []string{"md5", "34 characters", "want 32"}},
		{"wrong length for algorithm", "pdq:" + sha1Hex, []string{"pdq", "40 characters", "want 64"}},
		{"non-hex", "phash:d1c4b0b0b0f0e0cg", []string{"phash", `'g'`, "offset 15"}},
		{"non-hex first", "sha1:z" + sha1Hex[1:], []string{"sha1", `'z'`, "offset 0"}},
		{"inner space", "phash:d1c4b0b0 0f0e0c0", []string{"phash", "not a hex digit"}},
		{"sign", "ahash:-1c4b0b0b0f0e0c0", []string{"ahash", "not a hex digit"}},
		{"two colons", "pdq:pdq:" + pdqHex, []string{"pdq", "want 64"}},
		{"goimagehash w", "w:" + phashHex, []string{"unknown algorithm"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tc.in, s)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			for _, sub := range tc.wantIn {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not mention %q", err, sub)
				}
			}
			if !s.IsZero() {
				t.Errorf("failed parse returned non-zero %v", s)
			}
		})
	}
}

func TestAlgorithmFacts(t *testing.T) {
	tests := []struct {
		alg        Algorithm
		name       string
		bits       int
		perceptual bool
		threshold  int
	}{
		{PDQ, "pdq", 256, true, 31},
		{PHash, "phash", 64, true, 10},
		{DHash, "dhash", 64, true, 10},
		{AHash, "ahash", 64, true, 10},
		{MD5, "md5", 128, false, 0},
		{SHA1, "sha1", 160, false, 0},
		{SHA256, "sha256", 256, false, 0},
	}
	if len(Algorithms()) != len(tests) {
		t.Fatalf("Algorithms() has %d entries, want %d", len(Algorithms()), len(tests))
	}
	for _, tc := range tests {
		if tc.alg.String() != tc.name || tc.alg.Bits() != tc.bits || tc.alg.Perceptual() != tc.perceptual || tc.alg.DefaultThreshold() != tc.threshold {
			t.Errorf("%v: got (%s, %d, %v, %d), want (%s, %d, %v, %d)", tc.alg,
				tc.alg.String(), tc.alg.Bits(), tc.alg.Perceptual(), tc.alg.DefaultThreshold(),
				tc.name, tc.bits, tc.perceptual, tc.threshold)
		}
		a, err := ParseAlgorithm(strings.ToUpper(tc.name))
		if err != nil || a != tc.alg {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", tc.name, a, err)
		}
		var u Algorithm
		text, _ := tc.alg.MarshalText()
		if err := u.UnmarshalText(text); err != nil || u != tc.alg {
			t.Errorf("text round trip of %v = %v, %v", tc.alg, u, err)
		}
	}
	var zero Algorithm
	if zero.Valid() || zero.Bits() != 0 || zero.Perceptual() {
		t.Error("zero Algorithm claims to be valid")
	}
	if _, err := ParseAlgorithm("crc32"); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("ParseAlgorithm(crc32) error = %v", err)
	}
	if _, err := zero.MarshalText(); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("zero MarshalText error = %v", err)
	}
}

func TestDistance(t *testing.T) {
	p1 := mustParse(t, "pdq:"+pdqHex)
	flipped := []byte(pdqHex)
	flipped[0] = '0'  // f -> 0: four bits
	flipped[63] = '3' // 2 -> 3: one bit
	p2 := mustParse(t, "pdq:"+string(flipped))
	h1 := mustParse(t, "phash:0000000000000000")
	h2 := mustParse(t, "phash:ffffffffffffffff")
	d1 := mustParse(t, "dhash:0000000000000000")
	m := mustParse(t, "md5:"+md5Hex)

	tests := []struct {
		name    string
		a, b    Signal
		want    int
		wantErr bool
	}{
		{"pdq self", p1, p1, 0, false},
		{"pdq five bits", p1, p2, 5, false},
		{"phash all bits", h1, h2, 64, false},
		{"across algorithms", h1, d1, 0, true},
		{"cryptographic", m, m, 0, true},
		{"zero signal", Signal{}, h1, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.a.Distance(tc.b)
			if tc.wantErr {
				if !errors.Is(err, ErrIncomparable) {
					t.Fatalf("Distance = %d, %v; want ErrIncomparable", d, err)
				}
				return
			}
			if err != nil || d != tc.want {
				t.Fatalf("Distance = %d, %v; want %d", d, err, tc.want)
			}
		})
	}
}

func TestUint64AndWords(t *testing.T) {
	s, err := FromUint64(PHash, 0xd1c4b0b0b0f0e0c0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Hex() != phashHex || s.Uint64() != 0xd1c4b0b0b0f0e0c0 {
		t.Errorf("FromUint64: hex %s, uint64 %x", s.Hex(), s.Uint64())
	}
	if _, err := FromUint64(PDQ, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("FromUint64(PDQ) error = %v", err)
	}
	p := mustParse(t, "pdq:"+pdqHex)
	w := p.Words()
	if len(w) != 4 || w[0] != 0xf8f8f0cee0f4a84f || w[3] != 0x33e6b39c4e9c9b22 {
		t.Errorf("Words() = %x", w)
	}
	if got := len(mustParse(t, "sha1:"+sha1Hex).Words()); got != 3 {
		t.Errorf("sha1 Words() has %d words, want 3", got)
	}
	if _, err := New(MD5, make([]byte, 15)); !errors.Is(err, ErrInvalid) {
		t.Errorf("New short error = %v", err)
	}
}

func TestSignalText(t *testing.T) {
	s := mustParse(t, "dhash:"+phashHex)
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var back Signal
	if err := back.UnmarshalText(text); err != nil || back != s {
		t.Fatalf("UnmarshalText(%s) = %v, %v", text, back, err)
	}
	if err := back.UnmarshalText([]byte("dhash:12")); !errors.Is(err, ErrInvalid) {
		t.Errorf("UnmarshalText bad = %v", err)
	}
	if _, err := (Signal{}).MarshalText(); err == nil {
		t.Error("zero Signal marshalled")
	}
}

func mustParse(t *testing.T, s string) Signal {
	t.Helper()
	v, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"pdq:" + pdqHex, "p:" + phashHex, "md5:" + md5Hex, "SHA1:" + sha1Hex, "", ":", "pdq:", "x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		back, err := Parse(s.String())
		if err != nil || back != s {
			t.Fatalf("%q parsed to %v, which reparses to %v, %v", in, s, back, err)
		}
		if h, err := ParseHex(s.Algorithm(), s.Hex()); err != nil || h != s {
			t.Fatalf("ParseHex round trip of %v = %v, %v", s, h, err)
		}
	})
}
