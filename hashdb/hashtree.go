package hashdb

import (
	"context"
	"iter"

	"github.com/hashshare/hashshare/internal/media"
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
//	for f, err := range hashdb.HashTree(ctx, dir, nil, bar.Update) {
//		if err != nil {
//			log.Printf("%s: %v", f.Path, err)
//		}
//		if f.Hashes != nil {
//			// f.Signals, f.Unreliable …
//		}
//	}
func HashTree(ctx context.Context, root string, opts *HashOptions, progress func(Progress)) iter.Seq2[HashedFile, error] {
	return func(yield func(HashedFile, error) bool) {
		mo, err := opts.media()
		if err != nil {
			yield(HashedFile{Path: root}, err)
			return
		}
		workers := 0
		if opts != nil {
			workers = opts.Workers
		}
		var report func(media.Progress)
		if progress != nil {
			report = func(p media.Progress) {
				progress(Progress{
					FilesDone: p.FilesDone, BytesDone: p.BytesDone,
					FilesTotal: p.FilesTotal, BytesTotal: p.BytesTotal,
					Counted: p.Counted,
				})
			}
		}
		for r := range media.Tree(ctx, root, workers, mo, report) {
			h, err := convert(r.Result, r.Err, "hashing tree")
			if !yield(HashedFile{Path: r.Path, Hashes: h}, err) {
				return
			}
		}
	}
}
