package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

func runAdd(e *env, args []string) int {
	fs := e.flags(usageOf("add"))
	dbPath := dbFlag(fs)
	source := fs.String("source", "", "the `org`anisation the items belong to (required)")
	var labels stringList
	fs.Var(&labels, "label", "a `label` for every item (repeatable)")
	level := tlp.Green
	fs.Var(tlpFlag{&level}, "tlp", "sharing `level`: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
	id := fs.String("id", "", "the item `id` (one file only; default: the file's SHA-256)")
	note := fs.String("note", "", "a note for analysts")
	signals := fs.String("signals", "", "store the signals listed in `file` (- for stdin) rather than hash files")
	vpdqFile := fs.String("vpdq", "", "store the vPDQ hash in `file` (pytx's string form or the C++ per-frame lines) as one video item named by --id")
	digestOnly := fs.Bool("allow-digest-only", false, "store files with no perceptual hash (not images) by their digests alone")
	withTMK := fs.Bool("tmk", false, "also compute and store videos' TMK+PDQF hash (beside vPDQ)")
	tmkFile := fs.String("tmk-file", "", "store the TMK+PDQF hash in `file` (the reference's .tmk, or ThreatExchange's TMK1FVECPDQF| string) as one video item named by --id, with --vpdq's hash if given")
	foreign := fs.Bool("foreign", false, "the items are another organisation's (a migration): store them under --source, which stays not the database's own")
	files, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	switch {
	case *source == "":
		return e.usageError(fs, "--source is required")
	case (*vpdqFile != "" || *tmkFile != "") && (*signals != "" || len(files) > 0):
		return e.usageError(fs, "--vpdq or --tmk-file, --signals and files are exclusive")
	case (*vpdqFile != "" || *tmkFile != "") && *id == "":
		return e.usageError(fs, "--vpdq and --tmk-file need --id to name the item")
	case *signals != "" && len(files) > 0:
		return e.usageError(fs, "--signals and files are exclusive")
	case *signals != "" && *id != "":
		return e.usageError(fs, "--id names the item of one file; a --signals file names its own")
	case *signals == "" && *vpdqFile == "" && *tmkFile == "" && len(files) == 0:
		return e.usageError(fs, "no files to add")
	case *id != "" && *vpdqFile == "" && *tmkFile == "" && len(files) != 1:
		return e.usageError(fs, "--id needs exactly one file")
	}
	for _, l := range labels {
		if err := hashdb.ValidateLabel(l); err != nil {
			return e.usageError(fs, "%v", err)
		}
	}
	if *id != "" {
		if err := checkID(*id); err != nil {
			return e.usageError(fs, "%v", err)
		}
	}
	base := hashdb.Item{Key: hashdb.Key{Source: *source}, Labels: labels, TLP: level, Note: *note}
	to := adding{path: *dbPath, foreign: *foreign}
	if *signals != "" {
		return addSignals(e, to, *signals, base)
	}
	if *vpdqFile != "" || *tmkFile != "" {
		base.ID = *id
		return addVideoHashes(e, to, *vpdqFile, *tmkFile, base)
	}
	return addFiles(e, to, files, *id, base, *digestOnly, *withTMK)
}

// adding is where add stores: the database, and whether its items are
// another organisation's.
type adding struct {
	path    string
	foreign bool
	db      *hashdb.DB
}

// open opens the database for items of source. The local organisation's
// items are the database's own: a new database takes source as its
// organisation, and one that belongs to another refuses them, since a
// typo in --source must not mint another organisation's items.
func (a *adding) open(source string) (*hashdb.DB, error) {
	if a.foreign {
		db, err := openDB(a.path, "", false)
		a.db = db
		return db, err
	}
	db, err := openDB(a.path, source, false)
	if errors.Is(err, hashdb.ErrInvalidOptions) {
		// source is not valid, or not the database's: Put says which.
		db, err = openDB(a.path, "", false)
	}
	a.db = db
	return db, err
}

// putAll stores every item items yields in one all-or-nothing write, as
// the database's own or, with --foreign, as another organisation's.
func (a *adding) putAll(ctx context.Context, items iter.Seq2[hashdb.Item, error]) (int, error) {
	origin := ""
	if a.foreign {
		origin = "hashdb add --foreign"
	}
	n, err := a.db.PutAll(ctx, origin, items)
	if errors.Is(err, hashdb.ErrForeignSource) {
		return n, fmt.Errorf("%w (pass --foreign to store another organisation's items)", err)
	}
	return n, err
}

// errNotMedia marks a file hashing found no perceptual hash for.
var errNotMedia = errors.New("no perceptual hash (not an image, or one that cannot be hashed): pass --allow-digest-only to store its digests alone")

// addFiles hashes files and stores one item per file, all in one write:
// a kill, a full disk or a database error stores none of them. A file
// that cannot be read, or (without --allow-digest-only) yields no
// perceptual hash, is skipped with a warning and the exit status 1.
func addFiles(e *env, to adding, files []string, id string, base hashdb.Item, digestOnly, withTMK bool) int {
	dbPath := to.path
	db, err := to.open(base.Source)
	if err != nil {
		return e.fail(err)
	}
	status := exitOK
	var lines []string // printed once the items are stored
	seen := map[string]bool{}
	items := func(yield func(hashdb.Item, error) bool) {
		stop := errors.New("stop")
		var opts *media.Options
		if withTMK {
			opts = &media.Options{Video: media.VideoOptions{TMK: true}}
		}
		err := hashAll(e, files, opts, func(path string, h *media.Hashes, err error) error {
			if h == nil {
				e.warnf("%v", err)
				status = exitError
				return nil
			}
			if !perceived(h) && !digestOnly {
				if err == nil {
					err = fmt.Errorf("%s: %w", path, errNotMedia)
				} else {
					err = fmt.Errorf("%w; %w", err, errNotMedia)
				}
				e.warnf("%v", err)
				status = exitError
				return nil
			}
			if err != nil {
				e.warnf("%v (storing its digests only)", err)
			}
			it := base
			it.Labels = slices.Clone(base.Labels)
			it.Signals, it.Unreliable = h.Signals, h.Unreliable
			it.Video, it.TMK = h.Video, h.TMK
			it.ContentType, _ = hashdb.ParseContentType(h.ContentType) // media names only photo and video
			it.ID = id
			if it.ID == "" {
				s, _ := h.Signal(signal.SHA256)
				it.ID = s.Hex()
			}
			if seen[it.ID] {
				return nil // the same content twice: one item
			}
			seen[it.ID] = true
			lines = append(lines, it.ID+"\t"+path+"\n")
			if !yield(it, nil) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(hashdb.Item{}, err)
		}
	}
	stored, err := to.putAll(e.ctx, items)
	if err != nil {
		e.warnf("stored none of the files: the add is all or nothing")
		return closeDB(e, db, e.fail(err))
	}
	for _, l := range lines {
		if _, err := io.WriteString(e.stdout, l); err != nil {
			return closeDB(e, db, e.fail(err))
		}
	}
	fmt.Fprintf(e.stderr, "%s: stored %d items in %s\n", e.name, stored, dbPath)
	return closeDB(e, db, status)
}

// perceived reports whether hashing found a perceptual hash: what makes
// a file worth matching on beyond its exact bytes.
func perceived(h *media.Hashes) bool {
	if h.Video != nil {
		return true
	}
	for _, s := range h.Signals {
		if s.Algorithm().Perceptual() {
			return true
		}
	}
	return false
}

// addSignals stores the items a --signals file describes, streaming: the
// file is read twice (group.go), first to check every line, so that a bad
// line stores nothing, and to find the ids that recur apart; then to group
// its lines by item id and store them, all in one write: a kill, a full
// disk or a database error stores none of them. Stdin is spooled to a
// temporary file in the first pass, to be read again.
func addSignals(e *env, to adding, name string, base hashdb.Item) int {
	dbPath := to.path
	src, err := openSignals(e, name)
	if err != nil {
		return e.fail(err)
	}
	defer src.close()
	b := newBar(e, src.size, true, "reading "+name)
	plan, err := planGroups(reader{src.first(), b}, name)
	b.done()
	if err == nil {
		err = src.rewind()
	}
	if err != nil {
		return e.fail(err)
	}
	db, err := to.open(base.Source)
	if err != nil {
		return e.fail(err)
	}
	b = newBar(e, int64(plan.items), false, "storing")
	nsig := 0
	items := func(yield func(hashdb.Item, error) bool) {
		stop := errors.New("stop")
		err := plan.groups(src.second(), name, func(g *group) error {
			nsig += len(g.signals)
			b.add(1)
			if !yield(itemOf(base, g), nil) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(hashdb.Item{}, err)
		}
	}
	stored, err := to.putAll(e.ctx, items)
	b.done()
	if err != nil {
		e.warnf("stored none of the %d items: the add is all or nothing", plan.items)
		return closeDB(e, db, e.fail(err))
	}
	fmt.Fprintf(e.stderr, "%s: stored %d items with %d signals from %s in %s\n", e.name, stored, nsig, name, dbPath)
	return closeDB(e, db, exitOK)
}

// itemOf is the item of a group: base with the group's id and signals,
// and base's labels then the group's.
func itemOf(base hashdb.Item, g *group) hashdb.Item {
	it := base
	it.ID = g.id
	it.Signals = g.signals
	if len(base.Labels) == 0 {
		it.Labels = g.labels
		if len(it.Labels) == 0 {
			it.Labels = nil
		}
		return it
	}
	it.Labels = slices.Clone(base.Labels)
	for _, lab := range g.labels {
		if !slices.Contains(it.Labels, lab) {
			it.Labels = append(it.Labels, lab)
		}
	}
	return it
}

// addVideoHashes stores the vPDQ hash in the file vpdqFile and the
// TMK+PDQF hash in tmkFile (either may be "") as the one item base names.
func addVideoHashes(e *env, to adding, vpdqFile, tmkFile string, base hashdb.Item) int {
	base.ContentType = hashdb.ContentVideo
	var what []string
	if vpdqFile != "" {
		h, err := readVPDQ(vpdqFile)
		if err != nil {
			return e.fail(err)
		}
		base.Video = h
		what = append(what, fmt.Sprintf("a vPDQ of %d frames", len(h.Features)))
	}
	if tmkFile != "" {
		h, err := readTMK(tmkFile)
		if err != nil {
			return e.fail(err)
		}
		base.TMK = h
		what = append(what, fmt.Sprintf("a TMK+PDQF of %d frames", h.Frames))
	}
	db, err := to.open(base.Source)
	if err != nil {
		return e.fail(err)
	}
	if _, err := to.putAll(e.ctx, func(yield func(hashdb.Item, error) bool) { yield(base, nil) }); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	fmt.Fprintf(e.stdout, "%s\t%s\n", base.ID, strings.Join(slices.DeleteFunc([]string{vpdqFile, tmkFile}, func(s string) bool { return s == "" }), "\t"))
	fmt.Fprintf(e.stderr, "%s: stored 1 video item with %s in %s\n", e.name, strings.Join(what, " and "), to.path)
	return closeDB(e, db, exitOK)
}

// maxTMKFile bounds a --tmk-file: the string form of a hash is 351,125
// bytes, the binary 263,344; room for a trailing newline or two.
const maxTMKFile = 1 << 20

// readTMK reads a TMK+PDQF hash file: the reference's .tmk binary, or
// ThreatExchange's string form (surrounding white space ignored).
func readTMK(name string) (*tmk.Hash, error) {
	b, err := readBounded(name, maxTMKFile)
	if err != nil {
		return nil, err
	}
	var h *tmk.Hash
	if s := strings.TrimSpace(string(b)); strings.HasPrefix(s, tmk.StringPrefix) {
		h, err = tmk.ParseString(s)
	} else {
		h, err = tmk.Parse(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return h, nil
}

// maxVPDQFile bounds a --vpdq file: a 10-hour video hashed every frame at
// 30 fps in pytx's form is about 90 MB.
const maxVPDQFile = 128 << 20

// readVPDQ reads a vPDQ hash file in any form [vpdq.Parse] reads.
func readVPDQ(name string) (*vpdq.Hash, error) {
	b, err := readBounded(name, maxVPDQFile)
	if err != nil {
		return nil, err
	}
	h, err := vpdq.Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(h.Features) == 0 {
		return nil, fmt.Errorf("%s: %w: no frames", name, vpdq.ErrInvalid)
	}
	return h, nil
}

// readBounded reads the file name, of at most limit bytes.
func readBounded(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes", name, limit)
	}
	return b, nil
}
