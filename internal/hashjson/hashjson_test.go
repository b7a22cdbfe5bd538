package hashjson

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
)

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestNew(t *testing.T) {
	busy := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range busy.Pix {
		busy.Pix[i] = uint8(i*37 + i/64*11)
	}
	flat := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	tests := []struct {
		name       string
		data       []byte
		dihedral   bool
		pdq        bool
		unreliable []string
		format     string
	}{
		{"text", []byte("hello"), false, false, nil, ""},
		{"busy image", pngOf(t, busy), true, true, nil, "png"},
		{"flat image", pngOf(t, flat), false, true, []string{"pdq", "phash", "dhash", "ahash"}, "png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hashdb.HashReader(context.Background(), bytes.NewReader(tt.data), &hashdb.HashOptions{Dihedral: tt.dihedral})
			if err != nil {
				t.Fatal(err)
			}
			j := New(h)
			if (j.PDQ != "") != tt.pdq || (j.PDQQuality != nil) != tt.pdq || (j.PHash != "") != tt.pdq {
				t.Errorf("pdq %q quality %v phash %q, want perceptual hashes %v", j.PDQ, j.PDQQuality, j.PHash, tt.pdq)
			}
			if len(j.MD5) != 32 || len(j.SHA1) != 40 || len(j.SHA256) != 64 || j.Size != int64(len(tt.data)) {
				t.Errorf("digests %q %q %q size %d", j.MD5, j.SHA1, j.SHA256, j.Size)
			}
			if got := len(j.PDQDihedral); (got == 8) != tt.dihedral || (got != 0 && got != 8) {
				t.Errorf("%d dihedral hashes, want them: %v", got, tt.dihedral)
			}
			if tt.dihedral && j.PDQDihedral[0] != j.PDQ {
				t.Errorf("the first dihedral hash %s is not the PDQ %s", j.PDQDihedral[0], j.PDQ)
			}
			if len(j.Unreliable) != len(tt.unreliable) {
				t.Errorf("unreliable %q, want %q", j.Unreliable, tt.unreliable)
			}
			if j.Format != tt.format || (tt.format != "" && (j.Width != 64 || j.Height != 48)) {
				t.Errorf("format %q %dx%d", j.Format, j.Width, j.Height)
			}
		})
	}
}
