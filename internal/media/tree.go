package media

import (
	"context"
	"errors"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// File hashes the file at path, as Hash hashes its bytes. Its size sizes
// the image buffer; a directory or other non-regular file is an error.
func File(ctx context.Context, path string, o *Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "hash", Path: path, Err: errNotRegular}
	}
	opts := o.withDefaults()
	opts.SizeHint = fi.Size()
	return Hash(ctx, f, &opts)
}

var errNotRegular = errors.New("not a regular file")

// Progress is how far Tree has got. FilesTotal and BytesTotal grow while a
// second walk counts the tree; Counted reports that they are final.
type Progress struct {
	FilesDone, FilesTotal int64
	BytesDone, BytesTotal int64
	Counted               bool
}

// FileResult is the outcome for one file of Tree, or an error walking the
// tree (Result nil).
type FileResult struct {
	Path   string
	Result *Result
	Err    error
}

// Tree hashes every regular file under root (symbolic links are not
// followed) on workers goroutines (0 means GOMAXPROCS), yielding each
// file's result as it completes, in no particular order. Memory is bounded:
// each worker holds one file, and opts bounds what one file may cost.
//
// progress, if not nil, is called before each result is yielded, on the
// goroutine that ranges over the sequence. When ctx ends, the workers stop
// at their next read and the last value yielded carries ctx's error. Ending
// the loop early stops the workers too; Tree returns once they have.
func Tree(ctx context.Context, root string, workers int, opts *Options, progress func(Progress)) iter.Seq[FileResult] {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return func(yield func(FileResult) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()

		var (
			filesTotal, bytesTotal atomic.Int64
			filesDone, bytesDone   atomic.Int64
			counted                atomic.Bool
			background             sync.WaitGroup
		)
		background.Go(func() {
			err := walk(ctx, root, func(_ string, size int64) error {
				filesTotal.Add(1)
				bytesTotal.Add(size)
				return nil
			}, nil)
			counted.Store(err == nil)
		})
		defer background.Wait()

		type job struct {
			path string
			size int64
		}
		jobs := make(chan job, workers)
		results := make(chan FileResult, workers)
		send := func(r FileResult) bool {
			select {
			case results <- r:
				return true
			case <-ctx.Done():
				return false
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			defer close(jobs)
			walk(ctx, root, func(path string, size int64) error {
				select {
				case jobs <- job{path, size}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}, func(path string, err error) bool {
				return send(FileResult{Path: path, Err: err})
			})
		})
		for range workers {
			wg.Go(func() {
				for j := range jobs {
					r, err := File(ctx, j.path, opts)
					if ctx.Err() != nil {
						return
					}
					filesDone.Add(1)
					bytesDone.Add(j.size)
					if !send(FileResult{Path: j.path, Result: r, Err: err}) {
						return
					}
				}
			})
		}
		go func() {
			wg.Wait()
			close(results)
		}()
		defer func() {
			cancel()
			for range results { // wait for the workers to stop
			}
		}()

		for r := range results {
			if progress != nil {
				// Done is read before Total, and Total is raised to Done,
				// in case the tree grew between the two walks.
				var p Progress
				p.FilesDone, p.BytesDone = filesDone.Load(), bytesDone.Load()
				p.Counted = counted.Load()
				p.FilesTotal = max(filesTotal.Load(), p.FilesDone)
				p.BytesTotal = max(bytesTotal.Load(), p.BytesDone)
				progress(p)
			}
			if !yield(r) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(FileResult{Err: err})
		}
	}
}

// walk calls file for each regular file under root with its size, and
// onErr (if not nil) for each path that cannot be read; onErr returning
// false, or file returning an error, stops the walk.
func walk(ctx context.Context, root string, file func(path string, size int64) error, onErr func(path string, err error) bool) error {
	report := func(path string, err error) error {
		if onErr != nil && !onErr(path, err) {
			return errStop
		}
		return nil
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			// A directory that cannot be listed is reported and skipped.
			return report(path, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return report(path, err)
		}
		return file(path, info.Size())
	})
	if err == errStop {
		err = ctx.Err()
	}
	return err
}

var errStop = errors.New("stop")
