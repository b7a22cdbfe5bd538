package media

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/corona10/goimagehash"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/pdq"
	"github.com/hashshare/hashshare/internal/testenv"
	"github.com/hashshare/hashshare/internal/testimage"
)

// want computes, independently of HashReader, what it must return for the
// image bytes data of the given format: goimagehash and PDQ called directly
// on the decoded image after normalise, and the digests of the bytes.
func want(t *testing.T, f *format, data []byte) *Hashes {
	t.Helper()
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	m, std := normalise(img, false, nil)
	r := &Hashes{Format: f.name, Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Size: int64(len(data)), lumaStdDev: std}
	md, s1, s256 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
	for a, d := range map[signal.Algorithm][]byte{signal.MD5: md[:], signal.SHA1: s1[:], signal.SHA256: s256[:]} {
		s, _ := signal.New(a, d)
		r.set(s, false)
	}
	for a, f := range map[signal.Algorithm]func(image.Image) (*goimagehash.ImageHash, error){
		signal.PHash: goimagehash.PerceptionHash, signal.DHash: goimagehash.DifferenceHash, signal.AHash: goimagehash.AverageHash,
	} {
		h, err := f(m)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := signal.FromUint64(a, h.GetHash())
		r.set(s, false)
	}
	p, err := pdq.FromImage(m)
	if err != nil {
		t.Fatal(err)
	}
	r.set(pdqSignal(p.Hash), false)
	r.Quality = p.Quality
	// PDQ of the normalised copy must be PDQ of the decoded image: the
	// normalisation follows PDQ's own colour rules.
	if q, err := pdq.FromImage(img); err != nil || q.Hash != p.Hash || q.Quality != p.Quality {
		t.Errorf("%s: PDQ of normalised image %v/%d, of decoded image %v/%d (%v)", f.name, p.Hash, p.Quality, q.Hash, q.Quality, err)
	}
	return r
}

func check(t *testing.T, name string, got, want *Hashes) {
	t.Helper()
	if got.done != all {
		t.Errorf("%s: Done = %b, want all; skipped %q", name, got.done, got.Skipped)
	}
	if got.Format != want.Format || got.Width != want.Width || got.Height != want.Height || got.Size != want.Size {
		t.Errorf("%s: format %q %d×%d %d bytes, want %q %d×%d %d bytes", name, got.Format, got.Width, got.Height, got.Size, want.Format, want.Width, want.Height, want.Size)
	}
	if got.md5() != want.md5() || got.sha1() != want.sha1() || got.sha256() != want.sha256() {
		t.Errorf("%s: digests differ from crypto's", name)
	}
	if got.u64(signal.PHash) != want.u64(signal.PHash) || got.u64(signal.DHash) != want.u64(signal.DHash) || got.u64(signal.AHash) != want.u64(signal.AHash) {
		t.Errorf("%s: p/d/a %016x %016x %016x, goimagehash says %016x %016x %016x", name, got.u64(signal.PHash), got.u64(signal.DHash), got.u64(signal.AHash), want.u64(signal.PHash), want.u64(signal.DHash), want.u64(signal.AHash))
	}
	if got.pdq() != want.pdq() || got.Quality != want.Quality {
		t.Errorf("%s: PDQ %v q%d, want %v q%d", name, got.pdq(), got.Quality, want.pdq(), want.Quality)
	}
}

func TestRoundTrip(t *testing.T) {
	src := testimage.Photo(203, 151, 7)
	for _, name := range []string{"png", "jpeg", "gif", "bmp", "tiff"} {
		t.Run(name, func(t *testing.T) {
			data := testimage.Encode(t, name, src)
			f := sniff(data)
			if f == nil || f.name != name {
				t.Fatalf("sniffed %v, want %s", f, name)
			}
			got, err := hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all})
			if err != nil {
				t.Fatal(err)
			}
			check(t, name, got, want(t, f, data))
			if got.weak != 0 {
				t.Errorf("Weak = %b for a detailed image", got.weak)
			}
		})
	}
}

// TestRealImages hashes the reference's images in every format, WebP
// included (there is no Go WebP encoder), and compares with goimagehash and
// signal.PDQ called directly.
func TestRealImages(t *testing.T) {
	dir := filepath.Join(testenv.Dir(t, "pdq"), "images", "misc-images", "modes")
	// One image per decoder path: YCbCr and CMYK JPEG, RGBA, paletted and
	// grey PNG, and WebP.
	webp := 0
	for _, name := range []string{"RGB.jpg", "CMYK.jpg", "RGBA.png", "P.png", "L.png", "PA.webp"} {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := sniff(data)
		if f == nil {
			t.Errorf("%s: not sniffed as an image", p)
			continue
		}
		if f.name == "webp" {
			webp++
		}
		got, err := fileT(context.Background(), p, &testOptions{Want: all})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		check(t, filepath.Base(p), got, want(t, f, data))
	}
	if webp == 0 {
		t.Error("no WebP image hashed")
	}
}

// TestPDQReference checks signal.PDQ, quality and the dihedral hashes through the
// whole pipeline (sniff, decode, normalise) against Meta's reference, on the
// losslessly stored pixels the reference's decoder produced, in both the
// library's full-resolution mode and the CLI's 512 mode.
func TestPDQReference(t *testing.T) {
	dir := testenv.Dir(t, "pdq")
	for _, mode := range []struct {
		tsv       string
		resize512 bool
	}{{"reference_fullres.tsv", false}, {"reference_cli.tsv", true}} {
		data, err := os.ReadFile(filepath.Join(dir, mode.tsv))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for line := range strings.Lines(string(data)) {
			f := strings.Split(strings.TrimSpace(line), "\t")
			if len(f) != 15 || !strings.HasPrefix(f[0], "decoded/") {
				continue
			}
			if testing.Short() && n >= 8 {
				break
			}
			n++
			r, err := fileT(context.Background(), filepath.Join(dir, f[0]), &testOptions{Want: setOf(signal.PDQ), Dihedral: true, Resize512: mode.resize512})
			if err != nil {
				t.Errorf("%s: %v", f[0], err)
				continue
			}
			got := []string{strconv.Itoa(r.Quality), r.pdq().String()}
			for _, d := range r.Dihedral[1:] {
				got = append(got, d.Hex())
			}
			if want := append([]string{f[6], f[7]}, f[8:]...); !slices.Equal(got, want) {
				t.Errorf("%s %s:\n got %v\nwant %v", mode.tsv, f[0], got, want)
			}
		}
		if n == 0 {
			t.Errorf("%s: no decoded/ rows", mode.tsv)
		}
		t.Logf("%s: %d images", mode.tsv, n)
	}
}

func TestNotImage(t *testing.T) {
	for _, data := range [][]byte{
		nil,
		[]byte("%PDF-1.7\n..."),
		[]byte("BM is how this text begins, and it is not a bitmap"),
		[]byte("\x00\x00\x00\x18ftypavif a still image, not a video"),
	} {
		got, err := hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all})
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if got.done != digests || got.Format != "" || got.Size != int64(len(data)) {
			t.Errorf("%q: Done %b format %q size %d", data, got.done, got.Format, got.Size)
		}
		if got.md5() != md5.Sum(data) || got.sha1() != sha1.Sum(data) || got.sha256() != sha256.Sum256(data) {
			t.Errorf("%q: digests differ from crypto's", data)
		}
		for _, a := range []signal.Algorithm{signal.PDQ, signal.PHash, signal.DHash, signal.AHash} {
			if got.skipped[a] != notImage {
				t.Errorf("%q: %s skipped %q, want %q", data, a, got.skipped[a], notImage)
			}
		}
	}
}

// zeros is an endless reader of zero bytes, never held in memory at once.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.n))
	clear(p[:n])
	z.n -= int64(n)
	return n, nil
}

// TestStreamConstantMemory hashes 64 MiB that are not an image and checks
// that allocation does not grow with the size.
func TestStreamConstantMemory(t *testing.T) {
	const size = 64 << 20
	alloc := allocated(func() {
		r, err := hashT(context.Background(), &zeros{size}, &testOptions{Want: all})
		if err != nil || r.Size != size {
			t.Fatalf("size %d, %v", r.Size, err)
		}
	})
	if alloc > 1<<20 {
		t.Errorf("hashing %d bytes allocated %d bytes", size, alloc)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestCorrupt(t *testing.T) {
	src := testimage.Photo(64, 48, 3)
	for _, name := range []string{"png", "jpeg", "gif", "bmp", "tiff"} {
		data := testimage.Encode(t, name, src)
		for _, cut := range []int{len(data) / 2, 40} {
			bad := data[:cut]
			got, err := hashT(context.Background(), bytes.NewReader(bad), &testOptions{Want: all})
			var me *hashError
			if !errors.As(err, &me) || me.kind != ErrImageDecode || me.format != name || !strings.HasPrefix(err.Error(), "media: image does not decode: "+name+": ") {
				t.Errorf("%s cut at %d: error %v, want a ErrImageDecode error naming the format", name, cut, err)
				continue
			}
			if got == nil || got.done != digests || got.md5() != md5.Sum(bad) {
				t.Errorf("%s cut at %d: result %+v, want the digests", name, cut, got)
			}
		}
	}
}

func TestMaxImageBytes(t *testing.T) {
	data := testimage.Encode(t, "png", testimage.Photo(64, 64, 1))
	got, err := hashT(context.Background(), bytes.NewReader(data), &testOptions{Want: all, MaxImageBytes: 100})
	var me *hashError
	if !errors.As(err, &me) || me.kind != ErrImageTooLarge {
		t.Fatalf("error %v, want ErrImageTooLarge", err)
	}
	if got.done != digests || got.sha256() != sha256.Sum256(data) || got.Size != int64(len(data)) {
		t.Errorf("result %+v, want digests of all %d bytes", got, len(data))
	}
	// The same, from a reader whose size is not known in advance.
	got, err = hashT(context.Background(), io.MultiReader(bytes.NewReader(data)), &testOptions{Want: all, MaxImageBytes: 100})
	if !isKind(err, ErrImageTooLarge) || got.sha256() != sha256.Sum256(data) || got.Size != int64(len(data)) {
		t.Errorf("unknown size: %v, %+v", err, got)
	}
}

func TestContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := hashT(ctx, bytes.NewReader([]byte("x")), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}

	// Cancelled while streaming: the next read fails.
	ctx, cancel = context.WithCancel(context.Background())
	r := &cancelAfter{r: &zeros{1 << 30}, n: 1 << 20, cancel: cancel}
	if _, err := hashT(ctx, r, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during: %v", err)
	}
	if r.read > 2<<20 {
		t.Errorf("read %d bytes after cancelling at 1 MiB", r.read)
	}
}

type cancelAfter struct {
	r      io.Reader
	n      int64
	read   int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read >= c.n {
		c.cancel()
	}
	return n, err
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(testimage.Encode(t, "png", testimage.Photo(8, 8, 1))[:20]), errReader{boom})
	if res, err := hashT(context.Background(), r, nil); !errors.Is(err, boom) || res != nil {
		t.Errorf("got %v, %v; want nil, boom", res, err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
