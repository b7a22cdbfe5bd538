package testimage

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func TestPhotoIsDeterministic(t *testing.T) {
	a, b, c := Photo(40, 30, 1), Photo(40, 30, 1), Photo(40, 30, 2)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("the same seed gave different pixels")
	}
	if bytes.Equal(a.Pix, c.Pix) {
		t.Error("different seeds gave the same pixels")
	}
	if got := a.Bounds(); got != image.Rect(0, 0, 40, 30) {
		t.Errorf("bounds %v", got)
	}
}

func TestEncodeDecodes(t *testing.T) {
	decoders := map[string]func([]byte) (image.Image, error){
		"png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
		"jpeg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
		"gif":  func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) },
		"bmp":  func(b []byte) (image.Image, error) { return bmp.Decode(bytes.NewReader(b)) },
		"tiff": func(b []byte) (image.Image, error) { return tiff.Decode(bytes.NewReader(b)) },
	}
	m := Photo(24, 16, 3)
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			got, err := decoders[f](Encode(t, f, m))
			if err != nil {
				t.Fatal(err)
			}
			if got.Bounds() != m.Bounds() {
				t.Errorf("decoded %v, want %v", got.Bounds(), m.Bounds())
			}
		})
	}
	p := Write(t, t.TempDir(), "sub/x.jpg", m)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("Write .jpg: %v", err)
	}
}
