package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/hashshare/hashshare/hashdb/media"
)

func runHash(e *env, args []string) int {
	fs := e.flags(usageOf("hash"))
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	dihedral := fs.Bool("dihedral", false, "also print the PDQ hashes of the 8 rotations and reflections")
	every := fs.Float64("every", media.DefaultSecondsPerHash, "hash one video frame every `SECONDS` (0: every frame)")
	cppFile := fs.Bool("vpdq-file", false, "print one video's vPDQ in the per-frame line format of Meta's vpdq-hash-video instead")
	withTMK := fs.Bool("tmk", false, "also compute videos' TMK+PDQF hash (beside vPDQ)")
	files, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if len(files) == 0 {
		return e.usageError(fs, "no files to hash")
	}
	if *every < 0 {
		return e.usageError(fs, "--every %v: want seconds, 0 or more", *every)
	}
	if *cppFile && len(files) != 1 {
		return e.usageError(fs, "--vpdq-file prints one video: give one file")
	}
	opts := &media.Options{Dihedral: *dihedral, Video: media.VideoOptions{SecondsPerHash: *every, EveryFrame: *every == 0, TMK: *withTMK}}
	enc := json.NewEncoder(e.stdout)
	status := exitOK
	err = hashAll(e, files, opts, func(path string, h *media.Hashes, err error) error {
		if err != nil {
			e.warnf("%v", err)
			status = exitError
		}
		if h == nil {
			return nil
		}
		if *cppFile {
			if h.Video == nil {
				if err == nil {
					e.warnf("%s: not a video", path)
				}
				status = exitError
				return nil
			}
			return h.Video.WriteCPP(e.stdout)
		}
		if *asJSON {
			return enc.Encode(media.HashedFile{Path: path, Hashes: h}) // {"file":…, then the hashes}
		}
		if h.Video != nil {
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\n", h.Video, path); err != nil {
				return err
			}
		}
		if h.TMK != nil {
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\n", h.TMK, path); err != nil {
				return err
			}
		}
		for _, s := range h.Signals {
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\n", s, path); err != nil {
				return err
			}
		}
		for i, s := range h.Dihedral {
			if media.Transform(i) == media.Original {
				continue // the original, printed above
			}
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", s, path, media.Transform(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return e.fail(err)
	}
	return status
}

// hashAll hashes each file, directory tree (on every core, with
// media.HashTree) or "-" (stdin) named in args, and calls fn with each
// file's path and what media.HashFile returned for it. A file that cannot
// be hashed comes with its error, and the rest go on; an error from fn, or
// the context ending, stops hashAll and is returned.
func hashAll(e *env, args []string, opts *media.Options, fn func(path string, h *media.Hashes, err error) error) error {
	for _, arg := range args {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		if arg == "-" {
			h, err := media.HashReader(e.ctx, e.stdin, opts)
			if err := fn(arg, h, annotate(arg, err)); err != nil {
				return err
			}
			continue
		}
		fi, err := os.Stat(arg)
		if err != nil {
			if err := fn(arg, nil, err); err != nil {
				return err
			}
			continue
		}
		if !fi.IsDir() {
			h, err := media.HashFile(e.ctx, arg, opts)
			if err := fn(arg, h, annotate(arg, err)); err != nil {
				return err
			}
			continue
		}
		b := newBar(e, -1, false, "hashing "+arg)
		for f, err := range media.HashTree(e.ctx, arg, opts, func(p media.Progress) {
			total := p.FilesTotal
			if !p.Counted {
				total = -1
			}
			b.set(p.FilesDone, total)
		}) {
			if err != nil && e.ctx.Err() != nil && errors.Is(err, e.ctx.Err()) {
				b.done()
				return err
			}
			if err := fn(f.Path, f.Hashes, annotate(f.Path, err)); err != nil {
				b.done()
				return err
			}
		}
		b.done()
	}
	return nil
}

// annotate prefixes err with the path it is about, unless the message
// already names it.
func annotate(path string, err error) error {
	var pe *os.PathError
	if err == nil || errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}
