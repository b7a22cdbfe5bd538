package media

import (
	"context"
	"errors"
	"io/fs"
	"iter"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// Progress is how far [HashTree] has got, for drawing a progress bar.
type Progress struct {
	// FilesDone and BytesDone count the files hashed so far (or that
	// failed) and their sizes.
	FilesDone, BytesDone int64
	// FilesTotal and BytesTotal count the regular files under the root and
	// their sizes. A second walk of the tree counts them while hashing
	// goes on, so they grow until Counted is true.
	FilesTotal, BytesTotal int64
	// Counted reports that the totals are final.
	Counted bool
}

// HashedFile is one file [HashTree] hashed.
type HashedFile struct {
	// Path is the file's path: root joined with its path under root.
	Path string
	// Hashes is what [HashFile] returned for it: nil when the file could
	// not be read, not nil with the digests for an image that does not
	// decode or is too large.
	*Hashes
}

// HashTree hashes every regular file under root, as [HashFile] does, on
// opts.Workers goroutines (one per core by default), and yields each file
// with the error HashFile returned for it, as each completes: the order is
// not the walk's. Symbolic links are not followed. A directory that cannot
// be read is yielded with its error, and the walk goes on.
//
// Memory is bounded: each worker holds one file, whose cost opts limits.
// progress, if not nil, is called with the counts before each file is
// yielded, on the goroutine ranging over the sequence. Cancelling ctx stops
// the workers at their next read, and the last pair yielded then carries
// ctx's error; breaking out of the loop stops them too, and HashTree
// returns once they have.
//
//	for f, err := range media.HashTree(ctx, dir, nil, bar.Update) {
//		if err != nil {
//			log.Printf("%s: %v", f.Path, err)
//		}
//		if f.Hashes != nil {
//			// f.Signals, f.Unreliable …
//		}
//	}
func HashTree(ctx context.Context, root string, opts *Options, progress func(Progress)) iter.Seq2[HashedFile, error] {
	return func(yield func(HashedFile, error) bool) {
		c, err := opts.config()
		if err != nil {
			yield(HashedFile{Path: root}, err)
			return
		}
		for f, err := range tree(ctx, root, &c, progress) {
			if f.Hashes != nil {
				f.Hashes.finish()
			}
			if !yield(f, wrap("hashing tree", err)) {
				return
			}
		}
	}
}

// tree is HashTree without the last touches.
func tree(ctx context.Context, root string, c *config, progress func(Progress)) iter.Seq2[HashedFile, error] {
	workers := c.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type result struct {
		f   HashedFile
		err error
	}
	return func(yield func(HashedFile, error) bool) {
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
		results := make(chan result, workers)
		send := func(r result) bool {
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
				return send(result{HashedFile{Path: path}, err})
			})
		})
		for range workers {
			wg.Go(func() {
				for j := range jobs {
					h, err := hashFile(ctx, j.path, c)
					if ctx.Err() != nil {
						return
					}
					filesDone.Add(1)
					bytesDone.Add(j.size)
					if !send(result{HashedFile{Path: j.path, Hashes: h}, err}) {
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
			if !yield(r.f, r.err) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(HashedFile{}, err)
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
