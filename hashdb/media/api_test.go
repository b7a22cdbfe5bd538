package media

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/corona10/goimagehash"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/pdq"
	"github.com/hashshare/hashshare/internal/testimage"
)

func TestHashReaderFormats(t *testing.T) {
	src := testimage.Photo(150, 110, 1)
	decoders := map[string]func([]byte) (image.Image, error){
		"png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
		"jpeg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
		"gif":  func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) },
		"bmp":  func(b []byte) (image.Image, error) { return bmp.Decode(bytes.NewReader(b)) },
		"tiff": func(b []byte) (image.Image, error) { return tiff.Decode(bytes.NewReader(b)) },
	}
	for format, decode := range decoders {
		t.Run(format, func(t *testing.T) {
			data := testimage.Encode(t, format, src)
			h, err := HashReader(context.Background(), bytes.NewReader(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if h.Format != format || h.Width != 150 || h.Height != 110 || h.Size != int64(len(data)) || len(h.Skipped) != 0 {
				t.Errorf("format %q %d×%d size %d skipped %v", h.Format, h.Width, h.Height, h.Size, h.Skipped)
			}
			var algs []signal.Algorithm
			for _, s := range h.Signals {
				algs = append(algs, s.Algorithm())
			}
			if !slices.Equal(algs, signal.Algorithms()) {
				t.Fatalf("algorithms %v, want %v", algs, signal.Algorithms())
			}

			// Independently: the digests of the bytes, goimagehash and PDQ
			// on the decoded, normalised image.
			img, err := decode(data)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := normalise(img, false, nil)
			p, _ := pdq.FromImage(m)
			md, s1, s256 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
			want := map[signal.Algorithm]string{signal.PDQ: "pdq:" + p.Hash.String()}
			for a, f := range map[signal.Algorithm]func(image.Image) (*goimagehash.ImageHash, error){signal.PHash: goimagehash.PerceptionHash, signal.DHash: goimagehash.DifferenceHash, signal.AHash: goimagehash.AverageHash} {
				g, err := f(m)
				if err != nil {
					t.Fatal(err)
				}
				s, _ := signal.FromUint64(a, g.GetHash())
				want[a] = s.String()
			}
			for a, d := range map[signal.Algorithm][]byte{signal.MD5: md[:], signal.SHA1: s1[:], signal.SHA256: s256[:]} {
				s, _ := signal.New(a, d)
				want[a] = s.String()
			}
			for _, s := range h.Signals {
				if s.String() != want[s.Algorithm()] {
					t.Errorf("%s, want %s", s, want[s.Algorithm()])
				}
			}
			if h.Quality != p.Quality || len(h.Unreliable) != 0 {
				t.Errorf("quality %d (want %d), unreliable %v", h.Quality, p.Quality, h.Unreliable)
			}
		})
	}
}

func TestHashReaderNotImage(t *testing.T) {
	data := []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
	h, err := HashReader(context.Background(), bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	md := md5.Sum(data)
	if s, ok := h.Signal(signal.MD5); !ok || !bytes.Equal(s.Bytes(), md[:]) {
		t.Errorf("md5 %v, want %x", s, md)
	}
	if len(h.Signals) != 3 || h.Format != "" || h.Width != 0 {
		t.Errorf("signals %v format %q width %d", h.Signals, h.Format, h.Width)
	}
	for _, a := range []signal.Algorithm{signal.PDQ, signal.PHash, signal.DHash, signal.AHash} {
		if h.Skipped[a] != "not an image" {
			t.Errorf("%s skipped %q", a, h.Skipped[a])
		}
	}
}

func TestOptions(t *testing.T) {
	data := testimage.Encode(t, "png", testimage.Photo(80, 60, 2))
	h, err := HashReader(context.Background(), bytes.NewReader(data), &Options{Algorithms: []signal.Algorithm{signal.SHA1, signal.PDQ}, Dihedral: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Signals) != 2 || h.Signals[0].Algorithm() != signal.PDQ || h.Signals[1].Algorithm() != signal.SHA1 {
		t.Errorf("signals %v, want pdq and sha1", h.Signals)
	}
	if h.Skipped[signal.MD5] != "not requested" || h.Skipped[signal.PHash] != "not requested" || len(h.Skipped) != 5 {
		t.Errorf("skipped %v", h.Skipped)
	}
	if len(h.Dihedral) != 8 || h.Dihedral[0] != h.Signals[0] || h.Dihedral[1] == h.Dihedral[0] {
		t.Errorf("dihedral %v", h.Dihedral)
	}

	// The 8 hashes are those of the image's rotations: rotating the image
	// by 90° counter-clockwise makes its PDQ the original's rot90 entry.
	src := testimage.Photo(80, 60, 2)
	rot := image.NewNRGBA(image.Rect(0, 0, 60, 80))
	for y := range 60 {
		for x := range 80 {
			rot.Set(y, 79-x, src.At(x, y))
		}
	}
	r, err := HashImage(rot, &Options{Algorithms: []signal.Algorithm{signal.PDQ}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := r.Signals[0].Distance(h.Dihedral[1]); d > 0 {
		t.Errorf("PDQ of the rotated image is %d bits from the rot90 hash", d)
	}

	if _, err := HashReader(context.Background(), bytes.NewReader(data), &Options{Algorithms: []signal.Algorithm{0}}); !errors.Is(err, signal.ErrUnknownAlgorithm) {
		t.Errorf("invalid algorithm: %v", err)
	}
}

func TestHashErrors(t *testing.T) {
	data := testimage.Encode(t, "jpeg", testimage.Photo(90, 90, 3))
	for _, c := range []struct {
		name string
		data []byte
		opts *Options
		want error
	}{
		{"truncated", data[:len(data)/2], nil, ErrImageDecode},
		{"pixels", data, &Options{MaxPixels: 90*90 - 1}, ErrImageTooLarge},
		{"bytes", data, &Options{MaxImageBytes: 1000}, ErrImageTooLarge},
	} {
		h, err := HashReader(context.Background(), bytes.NewReader(c.data), c.opts)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		sum := sha256.Sum256(c.data)
		if s, ok := h.Signal(signal.SHA256); !ok || !bytes.Equal(s.Bytes(), sum[:]) || h.Format != "jpeg" {
			t.Errorf("%s: %+v, want the digests of the bytes", c.name, h)
		}
		if _, ok := h.Skipped[signal.PDQ]; !ok {
			t.Errorf("%s: PDQ not skipped", c.name)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if h, err := HashReader(ctx, bytes.NewReader(data), nil); !errors.Is(err, context.Canceled) || h != nil {
		t.Errorf("cancelled: %v, %v", h, err)
	}
	if _, err := HashFile(context.Background(), filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestHashImage(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 50, 40))
	h, err := HashImage(flat, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Signals) != 4 || !slices.Equal(h.Unreliable, h.Signals) || h.Skipped[signal.MD5] == "" {
		t.Errorf("flat image: signals %v unreliable %v skipped %v", h.Signals, h.Unreliable, h.Skipped)
	}
	small, err := HashImage(testimage.Photo(4, 30, 1), nil)
	if err != nil || small.Skipped[signal.PDQ] != "image smaller than 5 px" || len(small.Signals) != 3 {
		t.Errorf("4×30 image: %+v, %v", small, err)
	}
}

func TestHashFileAndTree(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{
		"a.png":     testimage.Encode(t, "png", testimage.Photo(30, 30, 1)),
		"sub/b.gif": testimage.Encode(t, "gif", testimage.Photo(30, 20, 2)),
		"sub/c.txt": []byte("text"),
		"sub/d.jpg": []byte("\xff\xd8\xff broken"),
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	var last Progress
	for f, err := range HashTree(context.Background(), root, &Options{Workers: 2}, func(p Progress) { last = p }) {
		rel, _ := filepath.Rel(root, f.Path)
		seen = append(seen, rel)
		want, wantErr := HashFile(context.Background(), f.Path, nil)
		if (err == nil) != (wantErr == nil) || (f.Hashes == nil) != (want == nil) {
			t.Errorf("%s: %v; HashFile says %v", rel, err, wantErr)
			continue
		}
		if rel == "sub/d.jpg" && !errors.Is(err, ErrImageDecode) {
			t.Errorf("%s: %v, want ErrImageDecode", rel, err)
		}
		if want != nil && !slices.Equal(f.Signals, want.Signals) {
			t.Errorf("%s: %v, HashFile says %v", rel, f.Signals, want.Signals)
		}
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"a.png", "sub/b.gif", "sub/c.txt", "sub/d.jpg"}) {
		t.Errorf("hashed %v", seen)
	}
	if last.FilesDone != 4 || last.FilesTotal != 4 || last.BytesDone != last.BytesTotal {
		t.Errorf("last progress %+v", last)
	}
}

// FuzzHashReader: random and mutated image bytes never panic, and every
// error is one of the package's sentinels.
func FuzzHashReader(f *testing.F) {
	src := testimage.Photo(20, 16, 1)
	for _, format := range []string{"png", "jpeg", "gif", "bmp", "tiff"} {
		data := testimage.Encode(f, format, src)
		f.Add(data)
		f.Add(data[:len(data)*2/3])
	}
	f.Add([]byte("RIFF\x10\x00\x00\x00WEBPVP8L\x04\x00\x00\x00\x2f\x00\x00\x00"))
	f.Add([]byte("plain text"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := HashReader(context.Background(), bytes.NewReader(data), &Options{MaxPixels: 1 << 20, Dihedral: true})
		if err != nil && !errors.Is(err, ErrImageDecode) && !errors.Is(err, ErrImageTooLarge) {
			t.Fatalf("error %v is not one of ours", err)
		}
		if h == nil {
			t.Fatal("nil Hashes")
		}
		sum := md5.Sum(data)
		if s, ok := h.Signal(signal.MD5); !ok || !bytes.Equal(s.Bytes(), sum[:]) {
			t.Fatal("wrong md5")
		}
		for _, u := range h.Unreliable {
			if !slices.Contains(h.Signals, u) {
				t.Fatalf("unreliable %v is not among the signals", u)
			}
		}
	})
}

// TestOptionsZeroFields: each zero field is its default, so setting one
// field changes only that.
func TestOptionsZeroFields(t *testing.T) {
	data := testimage.Encode(t, "png", testimage.Photo(40, 30, 9))
	all, err := HashReader(context.Background(), bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*Options{{}, {MaxPixels: 1e6}, {MaxImageBytes: 1 << 20}, {Workers: 3}, {Algorithms: signal.Algorithms()}} {
		h, err := HashReader(context.Background(), bytes.NewReader(data), o)
		if err != nil || !slices.Equal(h.Signals, all.Signals) || h.Dihedral != nil {
			t.Errorf("%+v: %v, %v; want every signal as with nil options", *o, h, err)
		}
	}
	if _, err := HashReader(context.Background(), bytes.NewReader(data), &Options{MaxPixels: 40*30 - 1}); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("MaxPixels one under: %v", err)
	}
}

// TestErrorPrefix: every message carries the package's prefix once.
func TestErrorPrefix(t *testing.T) {
	data := testimage.Encode(t, "png", testimage.Photo(40, 30, 9))
	boom := errors.New("boom")
	for _, tt := range []struct {
		name string
		err  func() error
		want string
	}{
		{"decode", func() error {
			_, err := HashReader(context.Background(), bytes.NewReader(data[:60]), nil)
			return err
		}, "media: image does not decode: png: "},
		{"pixels", func() error {
			_, err := HashReader(context.Background(), bytes.NewReader(data), &Options{MaxPixels: 100})
			return err
		}, "media: image too large: png: 40×30 image"},
		{"read", func() error {
			_, err := HashReader(context.Background(), io.MultiReader(bytes.NewReader(data[:10]), iotest.ErrReader(boom)), nil)
			return err
		}, "media: reading: boom"},
		{"file", func() error { _, err := HashFile(context.Background(), "/nonexistent/x", nil); return err }, "media: hashing file: open /nonexistent/x"},
		{"options", func() error {
			_, err := HashImage(nil, &Options{Algorithms: []signal.Algorithm{99}})
			return err
		}, "media: options: unknown algorithm: 99"},
	} {
		err := tt.err()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Count(err.Error(), "media:") != 1 {
			t.Errorf("%s: %v, want it to start %q, with one prefix", tt.name, err, tt.want)
		}
	}
}
