package media

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/testenv"
	"github.com/hashshare/hashshare/internal/testimage"
)

// FuzzHash feeds Hash random and mutated image bytes: it must never panic,
// and every error must be a *hashError about the media, with the digests of the
// bytes still returned.
func FuzzHash(f *testing.F) {
	src := testimage.Photo(24, 18, 1)
	for _, name := range []string{"png", "jpeg", "gif", "bmp", "tiff"} {
		data := testimage.Encode(f, name, src)
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	for _, data := range crafted(&testing.T{}) {
		f.Add(data)
	}
	if os.Getenv(testenv.EnvVar) != "" {
		if data, err := os.ReadFile(filepath.Join(os.Getenv(testenv.EnvVar), "pdq", "images", "misc-images", "modes", "PA.webp")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("not an image at all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all, MaxPixels: 1 << 20, Dihedral: true})
		var me *hashError
		if err != nil && !errors.As(err, &me) {
			t.Fatalf("error %v is not a *hashError", err)
		}
		if r == nil {
			t.Fatalf("nil result with %v", err)
		}
		if r.md5() != md5.Sum(data) || r.Size != int64(len(data)) {
			t.Fatal("digests or size wrong")
		}
		if err == nil && r.Format != "" && r.ContentType != "video" && r.done&perceptual == 0 && r.skipped[signal.PDQ] != noPixels {
			t.Fatalf("%s image hashed without error but no perceptual hash: %q", r.Format, r.Skipped)
		}
	})
}
