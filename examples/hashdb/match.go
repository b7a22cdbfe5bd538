package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// matchJSON is one line of "match --json": a query (a file or a signal)
// and what it matched, each match in hashdb.Match's JSON form.
type matchJSON struct {
	Query      string         `json:"query"`
	ID         string         `json:"id,omitempty"` // a --signals line's second field
	Matches    []hashdb.Match `json:"matches"`
	Suppressed []hashdb.Match `json:"suppressed,omitempty"`
	// Video and VideoSuppressed are the videos a video's vPDQ hash
	// matched, each with its query_match_percent and
	// compared_match_percent (hashdb.VideoMatch's JSON form).
	Video           []hashdb.VideoMatch `json:"video_matches,omitempty"`
	VideoSuppressed []hashdb.VideoMatch `json:"video_suppressed,omitempty"`
	// TMK and TMKSuppressed are the videos a video's TMK+PDQF hash
	// matched (with --tmk), each with its level1 and level2 scores
	// (hashdb.TMKMatch's JSON form).
	TMK           []hashdb.TMKMatch `json:"tmk_matches,omitempty"`
	TMKSuppressed []hashdb.TMKMatch `json:"tmk_suppressed,omitempty"`
	Error         string            `json:"error,omitempty"`
}

// matchBatch is how many signals of a --signals file one Match call asks.
const matchBatch = 4096

func runMatch(e *env, args []string) int {
	fs := e.flags(usageOf("match"))
	dbPath := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per query")
	th := thresholds{}
	fs.Var(th, "threshold", "the largest distance that matches for an algorithm, `ALG=N` such as pdq=31 (repeatable)")
	unreliable := fs.Bool("include-unreliable", false, "also match signals flagged as carrying little information")
	signals := fs.String("signals", "", "match the signals listed in `file` (- for stdin) rather than files")
	all := fs.Bool("all", false, "print every match of every query, one tab-separated line per matching item (query, signal, distance, source/id, labels)")
	vpdqFile := fs.String("vpdq", "", "match the vPDQ hash in `file` (pytx's string form or the C++ per-frame lines) against the stored videos")
	rule := fs.String("vpdq-rule", "pytx", "how video hashes compare: `pytx` (distance ≤ 31, repeats dropped) or cpp (Meta's C++: distance < 31)")
	queryPct := fs.Float64("query-percent", vpdq.DefaultQueryPercent, "the share of the query video's frames, `P` percent, that must match")
	comparedPct := fs.Float64("compared-percent", 0, "the share of a stored video's frames, `P` percent, that must match")
	withTMK := fs.Bool("tmk", false, "also compute videos' TMK+PDQF hash and match it (level 1 and 2 at the reference's 0.7)")
	tmkFile := fs.String("tmk-file", "", "match the TMK+PDQF hash in `file` (the reference's .tmk, or ThreatExchange's TMK1FVECPDQF| string) against the stored videos")
	level1 := fs.Float64("tmk-level1", tmk.DefaultLevel1, "the level-1 `score` (cosine of the averages, -1 to 1) a TMK+PDQF match needs")
	level2 := fs.Float64("tmk-level2", tmk.DefaultLevel2, "the level-2 `score` (best time offset, -1 to 1) a TMK+PDQF match needs")
	files, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	vo := &hashdb.VideoMatchOptions{Compare: vpdq.CompareOptions{QueryPercent: *queryPct, ComparedPercent: *comparedPct}}
	if *queryPct == 0 {
		vo.Compare.QueryPercent = -1 // 0 means 0 here, not the default
	}
	switch *rule {
	case "pytx":
	case "cpp":
		vo.Compare.Rule = vpdq.CPP
	default:
		return e.usageError(fs, "--vpdq-rule %q: want pytx or cpp", *rule)
	}
	exclusive := 0
	for _, given := range []bool{*vpdqFile != "", *tmkFile != "", *signals != "", len(files) > 0} {
		if given {
			exclusive++
		}
	}
	switch {
	case exclusive > 1:
		return e.usageError(fs, "--vpdq, --tmk-file, --signals and files are exclusive")
	case exclusive == 0:
		return e.usageError(fs, "nothing to match")
	case !(*level1 >= -1 && *level1 <= 1) || !(*level2 >= -1 && *level2 <= 1):
		return e.usageError(fs, "--tmk-level1 and --tmk-level2 must be -1 to 1")
	case *queryPct < 0 || *queryPct > 100 || *comparedPct < 0 || *comparedPct > 100:
		return e.usageError(fs, "--query-percent and --compared-percent must be 0 to 100")
	}
	db, err := openDB(*dbPath, "", true)
	if err != nil {
		return e.fail(err)
	}
	p := &matchPrinter{e: e, db: db, json: *asJSON, all: *all, enc: json.NewEncoder(e.stdout), status: exitNoMatch}
	// A zero threshold means the default to tmk, so a score of 0 asked
	// for is the float32 just below it: none lies between.
	to := &hashdb.TMKMatchOptions{Thresholds: tmk.Thresholds{Level1: nonZero(*level1), Level2: nonZero(*level2)}}
	opts := &hashdb.MatchOptions{Thresholds: th, IncludeUnreliable: *unreliable, Video: vo, TMK: to}
	if *withTMK {
		opts.Hashing = &media.Options{Video: media.VideoOptions{TMK: true}}
	}
	switch {
	case *vpdqFile != "":
		err = matchVPDQ(e, db, *vpdqFile, vo, p)
	case *tmkFile != "":
		err = matchTMK(e, db, *tmkFile, to, p)
	case *signals != "":
		err = matchSignals(e, db, *signals, opts, p)
	default:
		err = matchFiles(e, db, files, opts, p)
	}
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, p.status)
}

// matchPrinter prints results and keeps the exit status: 0 once anything
// matched, 2 once anything failed.
type matchPrinter struct {
	e      *env
	db     *hashdb.DB
	json   bool
	all    bool // the tab-separated lines of every match, not the best one
	enc    *json.Encoder
	status int
}

func (p *matchPrinter) failed(query string, err error) error {
	p.e.warnf("%v", err)
	p.status = exitError
	if p.json {
		return p.enc.Encode(matchJSON{Query: query, Matches: []hashdb.Match{}, Error: err.Error()})
	}
	return nil
}

func (p *matchPrinter) print(query, id string, ms, suppressed []hashdb.Match) error {
	return p.printAll(query, id, ms, suppressed, nil, nil)
}

// printAll is print for a query that may also have matched videos: vr, if
// not nil, is what its vPDQ hash matched.
func (p *matchPrinter) printAll(query, id string, ms, suppressed []hashdb.Match, vr *hashdb.VideoResult, tr *hashdb.TMKResult) error {
	var videos, videoSuppressed []hashdb.VideoMatch
	if vr != nil {
		videos, videoSuppressed = vr.Matches, vr.Suppressed
	}
	var tmks, tmkSuppressed []hashdb.TMKMatch
	if tr != nil {
		tmks, tmkSuppressed = tr.Matches, tr.Suppressed
	}
	if (len(ms) > 0 || len(videos) > 0 || len(tmks) > 0) && p.status == exitNoMatch {
		p.status = exitOK
	}
	if p.json {
		if ms == nil {
			ms = []hashdb.Match{}
		}
		return p.enc.Encode(matchJSON{Query: query, ID: id, Matches: ms, Suppressed: suppressed, Video: videos, VideoSuppressed: videoSuppressed, TMK: tmks, TMKSuppressed: tmkSuppressed})
	}
	if !p.all {
		line, err := bestLine(p.db, query, ms)
		if err == nil && line == "" {
			line, err = bestVideoLine(p.db, query, videos)
		}
		if err == nil && line == "" && len(tmks) > 0 {
			t := tmks[0]
			line = fmt.Sprintf("%s\ttmk_pdqf\t%.6f/%.6f\t%s\t%s\n", query, t.Score.Level1, t.Score.Level2, t.Item.Key, strings.Join(t.Item.Labels, ","))
		}
		if err == nil {
			_, err = io.WriteString(p.e.stdout, line)
		}
		return err
	}
	for _, v := range videos {
		_, err := fmt.Fprintf(p.e.stdout, "%s\tvpdq\t%.2f/%.2f\t%s\t%s\n", query, v.QueryPercent, v.ComparedPercent, v.Item.Key, strings.Join(v.Item.Labels, ","))
		if err != nil {
			return err
		}
	}
	for _, t := range tmks {
		_, err := fmt.Fprintf(p.e.stdout, "%s\ttmk_pdqf\t%.6f/%.6f\t%s\t%s\n", query, t.Score.Level1, t.Score.Level2, t.Item.Key, strings.Join(t.Item.Labels, ","))
		if err != nil {
			return err
		}
	}
	for _, m := range ms {
		for _, it := range m.Items {
			t := ""
			if m.Transform != media.Original {
				t = " (" + m.Transform.String() + ")"
			}
			_, err := fmt.Fprintf(p.e.stdout, "%s\t%s\t%d%s\t%s\t%s\n", query, m.Signal, m.Distance, t, it.Key, strings.Join(it.Labels, ","))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// matchSignals matches each line of a --signals file; the item-id field,
// if any, is echoed as "id" and labels are ignored, so "hashdb hash"
// output can be piped in. It streams: matchBatch lines are read, matched
// with one Match call and printed before the next are read, and nothing
// else is kept of a line (so a bad line stops the command after the
// batches before it printed).
func matchSignals(e *env, db *hashdb.DB, name string, opts *hashdb.MatchOptions, p *matchPrinter) error {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	qs := make([]signal.Signal, 0, matchBatch)
	ids := make([]string, 0, matchBatch) // "" when the line has none
	flush := func() error {
		if len(qs) == 0 {
			return nil
		}
		res, err := db.Match(e.ctx, qs, opts)
		if err != nil {
			return err
		}
		for i, r := range res {
			if err := p.print(qs[i].String(), ids[i], r.Matches, r.Suppressed); err != nil {
				return err
			}
		}
		clear(ids)
		qs, ids = qs[:0], ids[:0]
		return nil
	}
	err := readSignals(r, name, func(l signalLine) error {
		id := l.id
		if id == l.signal.String() {
			id = ""
		}
		qs, ids = append(qs, l.signal), append(ids, id)
		if len(qs) == matchBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// matchVPDQ matches the video hash in the file name.
func matchVPDQ(e *env, db *hashdb.DB, name string, opts *hashdb.VideoMatchOptions, p *matchPrinter) error {
	h, err := readVPDQ(name)
	if err != nil {
		return p.failed(name, err)
	}
	vr, err := db.MatchVideo(e.ctx, h, opts)
	if err != nil {
		return err
	}
	return p.printAll(name, "", nil, nil, vr, nil)
}

// matchTMK matches the TMK+PDQF hash in the file name.
func matchTMK(e *env, db *hashdb.DB, name string, opts *hashdb.TMKMatchOptions, p *matchPrinter) error {
	h, err := readTMK(name)
	if err != nil {
		return p.failed(name, err)
	}
	tr, err := db.MatchTMK(e.ctx, h, opts)
	if err != nil {
		return err
	}
	return p.printAll(name, "", nil, nil, nil, tr)
}

// nonZero is score as a float32 threshold, 0 as the greatest float32
// below it.
func nonZero(score float64) float32 {
	if score == 0 {
		return -math.SmallestNonzeroFloat32
	}
	return float32(score)
}

// fileMatch is what matching one file found.
type fileMatch struct {
	path                string
	matches, suppressed []hashdb.Match
	video               *hashdb.VideoResult // what its vPDQ hash matched, if it is a video
	tmk                 *hashdb.TMKResult   // what its TMK+PDQF hash matched, with --tmk
	err                 error
}

// matchFiles matches each file, and each regular file under each
// directory, with hashdb.MatchMedia (every signal, and PDQ in all 8
// rotations and reflections), on one goroutine per core. Results print as
// they complete.
func matchFiles(e *env, db *hashdb.DB, args []string, opts *hashdb.MatchOptions, p *matchPrinter) error {
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	paths := make(chan string)
	walkErrs := make(chan fileMatch)
	go func() {
		defer close(paths)
		for _, arg := range args {
			err := filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					select {
					case walkErrs <- fileMatch{path: path, err: err}:
					case <-ctx.Done():
						return ctx.Err()
					}
					return nil
				}
				if !d.Type().IsRegular() {
					return nil // directories, links, devices
				}
				select {
				case paths <- path:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil {
				return
			}
		}
	}()
	results := make(chan fileMatch)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range paths {
				fm := matchFile(ctx, db, path, opts)
				select {
				case results <- fm:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	b := newBar(e, -1, false, "matching")
	defer b.done()
	for {
		var fm fileMatch
		var ok bool
		select {
		case fm, ok = <-results:
		case fm = <-walkErrs:
			ok = true
		}
		if !ok {
			break
		}
		b.add(1)
		if fm.err != nil {
			if err := p.failed(fm.path, fm.err); err != nil {
				return err
			}
			continue
		}
		if err := p.printAll(fm.path, "", fm.matches, fm.suppressed, fm.video, fm.tmk); err != nil {
			return err
		}
	}
	return e.ctx.Err()
}

// matchFile matches one file and gathers the matches of all its signals.
func matchFile(ctx context.Context, db *hashdb.DB, path string, opts *hashdb.MatchOptions) fileMatch {
	fm := fileMatch{path: path}
	f, err := os.Open(path)
	if err != nil {
		fm.err = err
		return fm
	}
	defer f.Close()
	_, res, err := db.MatchMedia(ctx, f, opts)
	if err != nil {
		fm.err = annotate(path, err)
		return fm
	}
	for _, r := range res {
		fm.matches = append(fm.matches, r.Matches...)
		fm.suppressed = append(fm.suppressed, r.Suppressed...)
		if r.Video != nil {
			fm.video = r.Video
		}
		if r.TMK != nil {
			fm.tmk = r.TMK
		}
	}
	byDistance := func(a, b hashdb.Match) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return strings.Compare(a.Signal.String(), b.Signal.String())
	}
	slices.SortStableFunc(fm.matches, byDistance)
	slices.SortStableFunc(fm.suppressed, byDistance)
	return fm
}
