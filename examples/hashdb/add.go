package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// putBatch is how many items one transaction stores: large enough that a
// commit's fsync is amortised, small enough to show progress.
const putBatch = 2000

// signalsBatch is how many items of a --signals file one Put stores: with
// 1M items, 8192 took about a sixth less CPU than 2000 (fewer commits) and
// no more than 20000, and holds a few MB. A variable so that
// BenchmarkCLIFile can try others ($HASHDB_BENCH_BATCH).
var signalsBatch = 8192

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
	files, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	switch {
	case *source == "":
		return e.usageError(fs, "--source is required")
	case *vpdqFile != "" && (*signals != "" || len(files) > 0):
		return e.usageError(fs, "--vpdq, --signals and files are exclusive")
	case *vpdqFile != "" && *id == "":
		return e.usageError(fs, "--vpdq needs --id to name the item")
	case *signals != "" && len(files) > 0:
		return e.usageError(fs, "--signals and files are exclusive")
	case *signals != "" && *id != "":
		return e.usageError(fs, "--id names the item of one file; a --signals file names its own")
	case *signals == "" && *vpdqFile == "" && len(files) == 0:
		return e.usageError(fs, "no files to add")
	case *id != "" && *vpdqFile == "" && len(files) != 1:
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
	if *signals != "" {
		return addSignals(e, *dbPath, *signals, base)
	}
	if *vpdqFile != "" {
		base.ID = *id
		return addVPDQ(e, *dbPath, *vpdqFile, base)
	}
	return addFiles(e, *dbPath, files, *id, base)
}

// addFiles hashes files and stores one item per file.
func addFiles(e *env, dbPath string, files []string, id string, base hashdb.Item) int {
	db, err := openDB(dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	status := exitOK
	var batch []hashdb.Item
	var paths []string
	stored := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := db.Put(e.ctx, batch...); err != nil {
			return err
		}
		for i, it := range batch {
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\n", it.ID, paths[i]); err != nil {
				return err
			}
		}
		stored += len(batch)
		batch, paths = batch[:0], paths[:0]
		return nil
	}
	err = hashAll(e, files, nil, func(path string, h *media.Hashes, err error) error {
		if h == nil {
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
		it.Video = h.Video
		it.ID = id
		if it.ID == "" {
			s, _ := h.Signal(signal.SHA256)
			it.ID = s.Hex()
		}
		for _, b := range batch {
			if b.ID == it.ID {
				return nil // the same content twice: one item
			}
		}
		batch, paths = append(batch, it), append(paths, path)
		if len(batch) == putBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		status = e.fail(err)
	}
	fmt.Fprintf(e.stderr, "%s: stored %d items in %s\n", e.name, stored, dbPath)
	return closeDB(e, db, status)
}

// addVPDQ stores the video hash in the file name as the item base
// names.
func addVPDQ(e *env, dbPath, name string, base hashdb.Item) int {
	h, err := readVPDQ(name)
	if err != nil {
		return e.fail(err)
	}
	db, err := openDB(dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	base.Video = h
	if err := db.Put(e.ctx, base); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	fmt.Fprintf(e.stdout, "%s\t%s\n", base.ID, name)
	fmt.Fprintf(e.stderr, "%s: stored 1 video item of %d frames in %s\n", e.name, len(h.Features), dbPath)
	return closeDB(e, db, exitOK)
}

// maxVPDQFile bounds a --vpdq file: a 10-hour video hashed every frame at
// 30 fps in pytx's form is about 90 MB.
const maxVPDQFile = 128 << 20

// readVPDQ reads a vPDQ hash file in any form [vpdq.Parse] reads.
func readVPDQ(name string) (*vpdq.Hash, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVPDQFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxVPDQFile {
		return nil, fmt.Errorf("%s: more than %d bytes", name, maxVPDQFile)
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

// addSignals stores the items a --signals file describes, streaming: the
// file is read twice (group.go), first to check every line, so that a bad
// line stores nothing, and to find the ids that recur apart; then to group
// its lines by item id and store the items signalsBatch at a time. Stdin is
// spooled to a temporary file in the first pass, to be read again.
func addSignals(e *env, dbPath, name string, base hashdb.Item) int {
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
	db, err := openDB(dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	b = newBar(e, int64(plan.items), false, "storing")
	batch := make([]hashdb.Item, 0, min(signalsBatch, plan.items))
	stored, nsig := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := db.Put(e.ctx, batch...); err != nil {
			return err
		}
		stored += len(batch)
		b.add(int64(len(batch)))
		clear(batch) // drop the items' slices before the next batch
		batch = batch[:0]
		return nil
	}
	err = plan.groups(src.second(), name, func(g *group) error {
		nsig += len(g.signals)
		batch = append(batch, itemOf(base, g))
		if len(batch) == signalsBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	b.done()
	if err != nil {
		e.warnf("stored %d of %d items before the error", stored, plan.items)
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
