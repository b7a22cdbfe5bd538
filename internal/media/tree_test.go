package media

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// tree writes a small tree of images and other files and returns its root
// and the paths of its regular files.
func tree(t *testing.T) (string, []string) {
	root := t.TempDir()
	files := map[string][]byte{
		"a.png":          encode(t, "png", testImage(40, 30, 1)),
		"b.txt":          []byte("not an image"),
		"sub/c.jpg":      encode(t, "jpeg", testImage(50, 20, 2)),
		"sub/deep/d.gif": encode(t, "gif", testImage(20, 20, 3)),
		"sub/e.png":      encode(t, "png", testImage(20, 20, 4))[:30], // corrupt
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
	root, paths := tree(t)
	for _, workers := range []int{0, 1, 3} {
		var got []string
		var last Progress
		for r := range Tree(context.Background(), root, workers, nil, func(p Progress) { last = p }) {
			got = append(got, r.Path)
			want, wantErr := File(context.Background(), r.Path, nil)
			if (r.Err == nil) != (wantErr == nil) || (r.Result == nil) != (want == nil) {
				t.Errorf("%s: %v, File says %v", r.Path, r.Err, wantErr)
				continue
			}
			if r.Result != nil && (r.Result.SHA256 != want.SHA256 || r.Result.PDQ != want.PDQ || r.Result.PHash != want.PHash) {
				t.Errorf("%s: hashed differently from File", r.Path)
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
	root, _ := tree(t)

	// Breaking out of the loop returns.
	n := 0
	for range Tree(context.Background(), root, 2, nil, nil) {
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
	for r := range Tree(ctx, root, 1, nil, nil) {
		count++
		cancel()
		last = r.Err
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("last error %v after %d results, want context.Canceled", last, count)
	}

	// A missing root is reported, not hidden.
	var errs []error
	for r := range Tree(context.Background(), filepath.Join(root, "missing"), 1, nil, nil) {
		errs = append(errs, r.Err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], os.ErrNotExist) {
		t.Errorf("missing root: %v", errs)
	}
}
