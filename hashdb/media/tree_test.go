package media

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashshare/hashshare/internal/testimage"
)

// tree writes a small tree of images and other files and returns its root
// and the paths of its regular files.
func writeTree(t *testing.T) (string, []string) {
	root := t.TempDir()
	files := map[string][]byte{
		"a.png":          testimage.Encode(t, "png", testimage.Photo(40, 30, 1)),
		"b.txt":          []byte("not an image"),
		"sub/c.jpg":      testimage.Encode(t, "jpeg", testimage.Photo(50, 20, 2)),
		"sub/deep/d.gif": testimage.Encode(t, "gif", testimage.Photo(20, 20, 3)),
		"sub/e.png":      testimage.Encode(t, "png", testimage.Photo(20, 20, 4))[:30], // corrupt
		"empty":          nil,
	}
	var paths []string
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := os.Symlink(filepath.Join(root, "a.png"), filepath.Join(root, "link.png")); err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	return root, paths
}

func TestTree(t *testing.T) {
	root, paths := writeTree(t)
	for _, workers := range []int{0, 1, 3} {
		var got []string
		var last Progress
		for f, err := range HashTree(context.Background(), root, &Options{Workers: workers}, func(p Progress) { last = p }) {
			got = append(got, f.Path)
			want, wantErr := HashFile(context.Background(), f.Path, nil)
			if (err == nil) != (wantErr == nil) || (f.Hashes == nil) != (want == nil) {
				t.Errorf("%s: %v, HashFile says %v", f.Path, err, wantErr)
				continue
			}
			if f.Hashes != nil && !slices.Equal(f.Signals, want.Signals) {
				t.Errorf("%s: hashed differently from HashFile", f.Path)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, paths) {
			t.Errorf("workers %d: hashed %q, want %q", workers, got, paths)
		}
		if last.FilesDone != int64(len(paths)) || last.FilesTotal != last.FilesDone || last.BytesDone != last.BytesTotal || last.BytesDone == 0 {
			t.Errorf("workers %d: last progress %+v", workers, last)
		}
	}
}

func TestTreeStops(t *testing.T) {
	root, _ := writeTree(t)

	// Breaking out of the loop returns.
	n := 0
	for range HashTree(context.Background(), root, &Options{Workers: 2}, nil) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("%d results before break", n)
	}

	// Cancelling ends the sequence with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	count := 0
	for _, err := range HashTree(ctx, root, &Options{Workers: 1}, nil) {
		count++
		cancel()
		last = err
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("last error %v after %d results, want context.Canceled", last, count)
	}

	// A missing root is reported, not hidden.
	var errs []error
	for _, err := range HashTree(context.Background(), filepath.Join(root, "missing"), &Options{Workers: 1}, nil) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], os.ErrNotExist) {
		t.Errorf("missing root: %v", errs)
	}
}
