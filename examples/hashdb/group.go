package main

import (
	"bufio"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// Grouping the lines of a --signals file by item id without holding the
// file.
//
// Lines with the same id make one item with the union of their signals
// and labels. In the common case the lines of an id are consecutive (a
// run), as "hashdb hash" prints them, and a run is an item: it is complete
// when the next line names another id, so grouping holds one item. An id
// may also recur after other ids (A B A); then its item is complete only at
// its last line, and its runs must be gathered.
//
// So the file is read twice. The first pass (planGroups) checks every line
// (a bad line stores nothing) and notes the 64-bit fingerprint of each
// run's id in a slice, 8 bytes a run (8 MB for a million items); sorted,
// the slice tells which fingerprints start more than one run, and how
// many. Only those go on, into a map from fingerprint to runs still to
// come; the slice is dropped. (A Bloom filter would be smaller still, but
// needs the exact check of a second structure; a million items is 8 MB.)
// The second pass (groupPlan.groups) hands on each run whose fingerprint
// starts no other run as soon as it ends: for a file whose ids are
// consecutive it holds one item. What it does with the lines of the
// recurring ids depends on how many there are. Up to maxHeld (65536), it
// holds them, keyed by exact id, until their last run has been read, and
// then hands on the gathered item. With more (in the worst case every id
// recurs far apart: all pdq lines, then all md5 lines), it copies their
// lines as they are to k temporary files, an id's lines all to the file
// its fingerprint picks, with k such that a file holds about maxHeld ids;
// then it reads the files one by one and groups each in a map (a hash
// partitioning, where an external sort would sort all the lines to group
// them). So memory stays at about maxHeld items plus k write buffers
// whatever the file, at the cost, only when many ids recur, of writing
// and reading their lines once more. Items are handed on in the order of
// their last lines, or, partitioned, the others first.
//
// What grows with the file is the first pass's slice (8 bytes a run) and
// the map of recurring fingerprints (some 30 bytes a recurring id).
//
// A fingerprint collision between two ids (about 2^-64 a pair) only makes
// both look recurring; they are still grouped by their exact ids.

// maxHeld is how many recurring ids (see groupPlan) the second pass holds
// in memory, a few hundred bytes each; a variable for tests.
var maxHeld = 1 << 16

// A group is the lines of one item id: their signals and labels, each
// once, in the order the file first gives them.
type group struct {
	id      string
	line    int // the first line of the group
	signals []signal.Signal
	labels  []string
	// the first arrays of signals and labels: most items have one or two
	// signals and a label or none
	buf      [2]signal.Signal
	labelBuf [1]string
}

// add merges one line into g, copying the line's labels (see
// scanSignals) through in.
func (g *group) add(l *signalLine, in *interner) {
	if !slices.Contains(g.signals, l.signal) {
		g.signals = append(g.signals, l.signal)
	}
	for _, lab := range l.labels {
		if !slices.Contains(g.labels, lab) {
			g.labels = append(g.labels, in.intern(lab))
		}
	}
}

// An interner copies strings, keeping one copy of each of the first
// maxInterned: the labels of a file are few and repeated on every item.
type interner map[string]string

const maxInterned = 4096

func (in *interner) intern(s string) string {
	if t, ok := (*in)[s]; ok {
		return t
	}
	t := strings.Clone(s)
	if *in == nil {
		*in = interner{}
	}
	if len(*in) < maxInterned {
		(*in)[t] = t
	}
	return t
}

// merge merges the lines of h, a later run of g's id, into g.
func (g *group) merge(h *group) {
	for _, s := range h.signals {
		if !slices.Contains(g.signals, s) {
			g.signals = append(g.signals, s)
		}
	}
	for _, lab := range h.labels {
		if !slices.Contains(g.labels, lab) {
			g.labels = append(g.labels, lab)
		}
	}
}

// A groupPlan is what the first pass over a --signals file learnt: the
// fingerprints of the ids that start more than one run.
type groupPlan struct {
	fp    func(id string) uint64 // the fingerprint of an id
	recur map[uint64]int         // fingerprint → runs not yet read in the second pass
	items int                    // distinct ids (fingerprints, so a collision counts one)
	lines int                    // signal lines, not counting blank lines and comments
	// maxHeld is how many recurring ids the second pass holds in memory;
	// with more, their lines go to temporary files (see partitioned).
	maxHeld int
}

// planGroups reads a --signals file once, checking every line, and returns
// the plan for grouping it; an error names the first bad line.
func planGroups(r io.Reader, name string) (*groupPlan, error) {
	seed := maphash.MakeSeed()
	return planGroupsWith(r, name, func(id string) uint64 { return maphash.String(seed, id) })
}

// planGroupsWith is planGroups with the fingerprint function fp, for
// tests that make fingerprints collide.
func planGroupsWith(r io.Reader, name string, fp func(string) uint64) (*groupPlan, error) {
	p := &groupPlan{fp: fp, maxHeld: maxHeld}
	var runs []uint64
	var prev []byte // the id of the run being read
	started := false
	err := scanSignals(r, name, func(l *signalLine) error {
		p.lines++
		if !started || l.id != string(prev) {
			runs = append(runs, p.fp(l.id))
			prev, started = append(prev[:0], l.id...), true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(runs)
	p.recur = map[uint64]int{}
	for i := 0; i < len(runs); {
		j := i + 1
		for j < len(runs) && runs[j] == runs[i] {
			j++
		}
		if j-i > 1 {
			p.recur[runs[i]] = j - i
		}
		p.items++
		i = j
	}
	return p, nil
}

// groups reads the file planGroups read, again, and calls fn once for each
// item id with its group, once the last line of the id has been read; fn
// owns the group. The order is that of the ids' last lines, or, with more
// than maxHeld recurring ids, the ids that do not recur in that order and
// then the others (see partitioned). groups runs once per plan; the file
// must not have changed since planGroups read it (addSignals checks), or
// an id may be handed on twice, or late, at the end.
func (p *groupPlan) groups(r io.Reader, name string, fn func(*group) error) error {
	if len(p.recur) > p.maxHeld {
		return p.partitioned(r, name, fn)
	}
	held := map[uint64][]*group{} // the recurring ids begun, by fingerprint
	var labels interner
	var cur *group        // the run being read
	end := func() error { // ends the run cur
		g := cur
		cur = nil
		if g == nil {
			return nil
		}
		fp := p.fp(g.id)
		left, ok := p.recur[fp]
		if !ok {
			return fn(g)
		}
		gs := held[fp]
		i := slices.IndexFunc(gs, func(h *group) bool { return h.id == g.id })
		if i < 0 {
			gs = append(gs, g)
		} else {
			gs[i].merge(g)
		}
		if left--; left > 0 {
			p.recur[fp] = left
			held[fp] = gs
			return nil
		}
		delete(p.recur, fp)
		delete(held, fp)
		for _, h := range gs {
			if err := fn(h); err != nil {
				return err
			}
		}
		return nil
	}
	err := scanSignals(r, name, func(l *signalLine) error {
		if cur != nil && l.id == cur.id {
			cur.add(l, &labels)
			return nil
		}
		if err := end(); err != nil {
			return err
		}
		cur = &group{id: strings.Clone(l.id), line: l.line}
		cur.signals, cur.labels = cur.buf[:0], cur.labelBuf[:0]
		cur.add(l, &labels)
		return nil
	})
	if err == nil {
		err = end()
	}
	if err != nil {
		return err
	}
	// Only if the file changed: ids whose runs did not all come.
	var rest []*group
	for _, gs := range held {
		rest = append(rest, gs...)
	}
	slices.SortFunc(rest, func(a, b *group) int { return a.line - b.line })
	for _, g := range rest {
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// partitioned is groups for a file with more than p.maxHeld recurring
// ids: it hands on the runs of the ids that do not recur as it reads, and
// copies the lines of those that do to k temporary files, by fingerprint,
// k such that a file holds about maxHeld ids; then it reads the files one
// by one, grouping each in memory. Memory stays at about maxHeld items
// whatever the file, for a third pass over the recurring lines only.
func (p *groupPlan) partitioned(r io.Reader, name string, fn func(*group) error) (err error) {
	k := (len(p.recur) + p.maxHeld - 1) / p.maxHeld
	parts := make([]*os.File, k)
	ws := make([]*bufio.Writer, k)
	defer func() {
		for _, f := range parts {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i := range parts {
		f, err := os.CreateTemp("", "hashdb-group-*")
		if err != nil {
			return fmt.Errorf("grouping %s: %w", name, err)
		}
		parts[i] = f
		if err := os.Remove(f.Name()); err != nil {
			defer os.Remove(f.Name()) // where an open file cannot be removed
		}
		ws[i] = bufio.NewWriterSize(f, 32<<10)
	}
	var labels interner
	var cur *group
	end := func() error {
		g := cur
		cur = nil
		if g == nil {
			return nil
		}
		return fn(g)
	}
	err = scanSignals(r, name, func(l *signalLine) error {
		if fp := p.fp(l.id); p.recur[fp] > 0 {
			if err := end(); err != nil {
				return err
			}
			w := ws[fp%uint64(k)]
			w.WriteString(l.text)
			return w.WriteByte('\n')
		}
		if cur != nil && l.id == cur.id {
			cur.add(l, &labels)
			return nil
		}
		if err := end(); err != nil {
			return err
		}
		cur = &group{id: strings.Clone(l.id), line: l.line}
		cur.signals, cur.labels = cur.buf[:0], cur.labelBuf[:0]
		cur.add(l, &labels)
		return nil
	})
	if err == nil {
		err = end()
	}
	for i := 0; err == nil && i < k; i++ {
		if err = ws[i].Flush(); err != nil {
			break
		}
		if _, err = parts[i].Seek(0, io.SeekStart); err != nil {
			break
		}
		err = groupInMemory(parts[i], name, &labels, fn)
		parts[i].Close()
		parts[i] = nil
	}
	return err
}

// groupInMemory groups the lines r holds in a map and hands on each group,
// in the order of their first lines.
func groupInMemory(r io.Reader, name string, labels *interner, fn func(*group) error) error {
	byID := map[string]*group{}
	var order []*group
	err := scanSignals(r, name, func(l *signalLine) error {
		g := byID[l.id]
		if g == nil {
			g = &group{id: strings.Clone(l.id), line: l.line}
			g.signals, g.labels = g.buf[:0], g.labelBuf[:0]
			byID[g.id] = g
			order = append(order, g)
		}
		g.add(l, labels)
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range order {
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}
