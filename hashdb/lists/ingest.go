package lists

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// ErrNoSource reports an ingest with no organisation to file the items
// under: the format names none, [IngestOptions.Source] is empty and so is
// the database's Organization.
var ErrNoSource = errors.New("no source")

// DefaultBatch is how many items [Ingest] stores per transaction by
// default. Lists keyed by hash value (pytx, StopNCII) arrive in no key
// order, so each commit rewrites pages all over the items' B+tree: fewer,
// larger commits cost much less (a million-line pytx file went in 2.7
// times as fast with 65536 as with 8192), and a batch this size still
// holds memory to tens of megabytes whatever the list's size.
const DefaultBatch = 65536

// DefaultTLP is the sharing level [Ingest] gives items whose list names
// none. Hash lists are shared within a community under its terms, not
// published: AMBER (the recipients' organisation and its clients) is the
// level that does not widen them.
const DefaultTLP = tlp.Amber

// IngestOptions configure [Ingest]. The zero value (or nil) takes every
// default.
type IngestOptions struct {
	// Source is the organisation whose list it is: it fills the Source of
	// items and deletes, and the Org of opinions, that the format leaves
	// empty; what the format names is kept. Unset, it is the format's own
	// [DefaultSource].
	Source string
	// TLP is the level of items whose record gives none; unset,
	// [DefaultTLP].
	TLP tlp.Level
	// Labels are added to every item stored.
	Labels []string
	// RetractReason is the reason recorded when a list deletes an item;
	// unset, "deleted from the <format> list". It must stay the same
	// from one run to the next, or re-ingesting a list logs each delete
	// again.
	RetractReason string
	// Batch is how many items one transaction stores; unset,
	// [DefaultBatch].
	Batch int
	// Origin is where the list came from, recorded in every change the
	// ingest logs (see [hashdb.DB.PutForeign]), such as the file's name;
	// unset, "<format> list".
	Origin string
}

// DefaultSource returns the source [Ingest] files a format's items under
// when neither the records nor [IngestOptions.Source] name one: the
// exchange's own name for ThreatExchange, TCAP, NCMEC and StopNCII
// ("threatexchange", "tcap", "ncmec", "stopncii"), whose lists come from
// that one organisation; and org, the database's own organisation, for
// pytx and PDQ files, which are whatever the local team collected.
func DefaultSource(f Format, org string) string {
	switch f {
	case ThreatExchange, TCAP, NCMEC, StopNCII:
		return string(f)
	}
	return org
}

// A Summary counts what [Ingest] did with a list's records.
type Summary struct {
	// Format is the list's format (the one sniffed, for Auto).
	Format Format
	// Items is the number of item records stored, including those a
	// later record of the same key replaced; storing an item exactly as
	// it is stored counts, though it changes nothing.
	Items int
	// Signals is the number of signals those items carry.
	Signals int
	// Retracted is the number of delete records applied.
	Retracted int
	// Opinions is the number of opinion records applied.
	Opinions int
	// Skipped counts records left out, by reason: the reader's reasons
	// ("malformed pdq value", …), "delete of unknown item", and, for
	// items or opinions the database refuses, "invalid item", "invalid
	// label", "invalid tlp", "invalid opinion".
	Skipped map[string]int
	// Examples holds, for each reason in Skipped, the detail of its
	// first record, so a report can show what was wrong.
	Examples map[string]string
}

func (s *Summary) skip(reason string, n int, line int, err error) {
	s.Skipped[reason] += n
	if _, ok := s.Examples[reason]; ok {
		return
	}
	detail := reason
	if err != nil {
		detail = err.Error()
	}
	if line > 0 {
		detail = fmt.Sprintf("record %d: %s", line, detail)
	}
	s.Examples[reason] = detail
}

// Ingest applies the records r yields to db, in order: items are stored,
// deletes retract, opinions are recorded. A record that cannot be applied
// is counted in Summary.Skipped and the rest go on; storing the same list
// again changes nothing.
//
// Items are stored in batches of [IngestOptions.Batch], one transaction
// each. A key repeated within a batch is stored once, as its last record
// says, in the place of its first (which is where pytx keeps a repeated
// signal), and a delete of an item waiting in the batch retracts it
// there. Other deletes retract the stored item, and opinions are recorded
// once the batch read before them is stored, each in a transaction of its
// own: records about the same key apply in the order read.
//
// The error, if any, is from reading (the list cannot be read on), from
// the database (not a record it refuses, one it could not write) or ctx
// ending; the Summary then counts what was applied before it.
func Ingest(ctx context.Context, db *hashdb.DB, r *Reader, opts *IngestOptions) (Summary, error) {
	in, err := newIngester(ctx, db, r, opts)
	if err != nil {
		return Summary{Format: r.Format(), Skipped: map[string]int{}, Examples: map[string]string{}}, fmt.Errorf("lists: ingest %s: %w", r.Format(), err)
	}
	err = in.run()
	if err != nil {
		err = fmt.Errorf("lists: ingest %s: %w", r.Format(), err)
	}
	return in.sum, err
}

// pending is an item waiting in a batch, and the records it stands for.
type pending struct {
	item    hashdb.Item
	records int
	signals int
	deletes int // delete records folded into it
	line    int // of its last record
}

// pendingOp is an opinion waiting for the batch before it to be stored.
type pendingOp struct {
	op   hashdb.Opinion
	line int
}

type ingester struct {
	ctx    context.Context
	db     *hashdb.DB
	r      *Reader
	source string
	level  tlp.Level
	labels []string
	reason string
	origin string
	size   int

	batch []pending
	index map[hashdb.Key]int // the position in batch of each key
	ops   []pendingOp
	opFor map[hashdb.Key]bool // the items ops judge
	items []hashdb.Item       // Put's argument, reused
	sum   Summary
}

func newIngester(ctx context.Context, db *hashdb.DB, r *Reader, opts *IngestOptions) (*ingester, error) {
	if opts == nil {
		opts = &IngestOptions{}
	}
	in := &ingester{
		ctx: ctx, db: db, r: r,
		source: opts.Source,
		level:  opts.TLP,
		reason: opts.RetractReason,
		origin: opts.Origin,
		size:   opts.Batch,
		sum:    Summary{Format: r.Format(), Skipped: map[string]int{}, Examples: map[string]string{}},
	}
	if in.source == "" {
		in.source = DefaultSource(r.Format(), db.Organization())
	}
	if in.source == "" {
		return nil, fmt.Errorf("%w: name one (the database records no organisation to file %s lists under)", ErrNoSource, r.Format())
	}
	if in.origin == "" {
		in.origin = string(r.Format()) + " list"
	}
	if in.level == 0 {
		in.level = DefaultTLP
	}
	if !in.level.Valid() {
		return nil, fmt.Errorf("%w: %d", tlp.ErrInvalid, uint8(in.level))
	}
	for _, l := range opts.Labels {
		if err := hashdb.ValidateLabel(l); err != nil {
			return nil, err
		}
		if !slices.Contains(in.labels, l) {
			in.labels = append(in.labels, l)
		}
	}
	if in.reason == "" {
		in.reason = fmt.Sprintf("deleted from the %s list", r.Format())
	}
	if in.size <= 0 {
		in.size = DefaultBatch
	}
	in.index = make(map[hashdb.Key]int, min(in.size, 1<<16))
	in.opFor = map[hashdb.Key]bool{}
	return in, nil
}

func (in *ingester) run() error {
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := in.ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := in.r.Next()
		if err == io.EOF {
			return in.flush()
		}
		if err != nil {
			// What was read before the failure was good: keep it.
			if ferr := in.flush(); ferr != nil {
				return errors.Join(err, ferr)
			}
			return err
		}
		if err := in.apply(&rec); err != nil {
			return err
		}
	}
}

func (in *ingester) apply(rec *Record) error {
	switch rec.Kind {
	case Upsert:
		return in.upsert(rec)
	case Delete:
		return in.delete(rec)
	case Opine:
		return in.opine(rec)
	case Skip:
		reason := rec.Reason
		if reason == "" {
			reason = "unusable record"
		}
		in.sum.skip(reason, 1, rec.Line, rec.Err)
		return nil
	}
	in.sum.skip("unknown record kind", 1, rec.Line, fmt.Errorf("record kind %v", rec.Kind))
	return nil
}

func (in *ingester) upsert(rec *Record) error {
	it := rec.Item
	if it.Source == "" {
		it.Source = in.source
	}
	if it.TLP == 0 {
		it.TLP = in.level
	}
	if len(in.labels) > 0 {
		labels := slices.Clip(it.Labels)
		for _, l := range in.labels {
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		it.Labels = labels
	}
	if in.opFor[it.Key] {
		if err := in.flush(); err != nil {
			return err
		}
	}
	if i, ok := in.index[it.Key]; ok {
		p := &in.batch[i]
		p.item = it
		p.records++
		p.signals += len(it.Signals)
		p.line = rec.Line
		return nil
	}
	in.index[it.Key] = len(in.batch)
	in.batch = append(in.batch, pending{item: it, records: 1, signals: len(it.Signals), line: rec.Line})
	if len(in.batch) >= in.size {
		return in.flush()
	}
	return nil
}

func (in *ingester) opine(rec *Record) error {
	op := rec.Opinion
	if op.Key != (hashdb.Key{}) && op.Key.Source == "" {
		op.Key.Source = in.source
	}
	if op.Org == "" {
		// The list's own judgement, not the local organisation's.
		op.Org = in.source
	}
	if op.Key != (hashdb.Key{}) {
		in.opFor[op.Key] = true
	}
	in.ops = append(in.ops, pendingOp{op: op, line: rec.Line})
	if len(in.ops) >= in.size {
		return in.flush()
	}
	return nil
}

// setOpinion records op unless the database holds it already.
func (in *ingester) setOpinion(op *hashdb.Opinion, line int) error {
	same, err := in.holds(op)
	if err != nil {
		return err
	}
	if !same {
		err = in.db.SetOpinion(in.ctx, *op)
	}
	switch {
	case err == nil:
		in.sum.Opinions++
	case errors.Is(err, hashdb.ErrInvalidOpinion):
		in.sum.skip("invalid opinion", 1, line, err)
	default:
		return err
	}
	return nil
}

// holds reports whether db already holds op. SetOpinion logs a change
// even when it replaces an opinion with its twin, and stamps an unset
// time with now, so without this check every run of the same list would
// log its opinions again.
func (in *ingester) holds(op *hashdb.Opinion) (bool, error) {
	var ops []hashdb.Opinion
	var err error
	if op.Key != (hashdb.Key{}) {
		ops, err = in.db.Opinions(op.Key)
	} else if !op.Signal.IsZero() {
		ops, err = in.db.SignalOpinions(op.Signal)
	}
	if err != nil {
		return false, err
	}
	for _, o := range ops {
		if o.Org != op.Org {
			continue
		}
		return o.Verdict == op.Verdict && o.Reason == op.Reason &&
			(op.Actor == "" || o.Actor == op.Actor) &&
			(op.Time.IsZero() || o.Time.Equal(op.Time)), nil
	}
	return false, nil
}

// delete applies a delete record. One whose item waits in the batch
// retracts it there, so that a list that adds and deletes an item stores
// only the tombstone and, read again, changes nothing; otherwise the
// stored item is retracted, after any opinion on it read before.
func (in *ingester) delete(rec *Record) error {
	key := rec.Key
	if key.Source == "" {
		key.Source = in.source
	}
	if i, ok := in.index[key]; ok && !in.opFor[key] {
		p := &in.batch[i]
		p.item.Retracted, p.item.RetractReason = true, in.reason
		p.deletes++
		return nil
	}
	if in.opFor[key] {
		if err := in.flush(); err != nil {
			return err
		}
	}
	err := in.db.Retract(in.ctx, key, in.reason)
	switch {
	case err == nil:
		in.sum.Retracted++
	case errors.Is(err, hashdb.ErrNotFound):
		in.sum.skip("delete of unknown item", 1, rec.Line, fmt.Errorf("delete of %s: %w", key, hashdb.ErrNotFound))
	case errors.Is(err, hashdb.ErrInvalidItem):
		in.sum.skip("invalid delete", 1, rec.Line, err)
	default:
		return err
	}
	return nil
}

// flush stores the batch, then records the opinions read with it.
func (in *ingester) flush() error {
	var err error
	if len(in.batch) > 0 {
		err = in.put(in.batch)
		clear(in.batch) // let the items go
		in.batch = in.batch[:0]
		clear(in.index)
	}
	for i := range in.ops {
		if err != nil {
			break
		}
		err = in.setOpinion(&in.ops[i].op, in.ops[i].line)
	}
	clear(in.ops)
	in.ops = in.ops[:0]
	clear(in.opFor)
	return err
}

// put stores batch in one Put. Put stores all or nothing and says only
// which item it refused, so a refused batch is split in halves and each
// tried again: a bad item costs log2(batch) extra Puts, and every good
// one is stored in its place in the order.
func (in *ingester) put(batch []pending) error {
	in.items = in.items[:0]
	for i := range batch {
		in.items = append(in.items, batch[i].item)
	}
	// A list speaks for its sources, not for the local organisation:
	// even its items filed under the local organisation came from it.
	err := in.db.PutForeign(in.ctx, in.origin, in.items...)
	clear(in.items)
	switch {
	case err == nil:
		for _, p := range batch {
			in.sum.Items += p.records
			in.sum.Signals += p.signals
			in.sum.Retracted += p.deletes
		}
		return nil
	case !errors.Is(err, hashdb.ErrInvalidItem):
		return err
	case len(batch) == 1:
		in.sum.skip(refusal(err), batch[0].records+batch[0].deletes, batch[0].line, err)
		return nil
	}
	mid := len(batch) / 2
	if err := in.put(batch[:mid]); err != nil {
		return err
	}
	return in.put(batch[mid:])
}

// refusal is the Skipped reason for an item Put refused.
func refusal(err error) string {
	switch {
	case errors.Is(err, hashdb.ErrInvalidLabel):
		return "invalid label"
	case errors.Is(err, tlp.ErrInvalid):
		return "invalid tlp"
	}
	return "invalid item"
}
