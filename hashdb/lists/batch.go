package lists

import (
	"fmt"
	"io"
	"slices"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// ReadBatch reads every record of r into one [hashdb.Batch], mapped as
// [Ingest] maps them: sources, levels and labels filled in from opts; a
// key repeated kept once, as its last record says, in the place of its
// first; a delete of an item read before it folded into the item, which
// is stored as a tombstone; an item read after its delete replacing the
// delete. It is for an exchange's page, which [hashdb.DB.Apply] stores
// whole; the Summary counts the records read, and [Summary.Count] then
// counts what the database did with them.
//
// opts.Batch is ignored, and an empty opts.Source is the format's
// [DefaultSource] (there is no database to take the organisation from).
func ReadBatch(r *Reader, opts *IngestOptions) (*hashdb.Batch, Summary, error) {
	sum := newSummary(r.Format())
	if opts == nil {
		opts = &IngestOptions{}
	}
	c, err := newCollector(r.Format(), opts, DefaultSource(r.Format(), ""), &sum)
	if err != nil {
		return nil, sum, fmt.Errorf("lists: read %s: %w", r.Format(), err)
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, sum, fmt.Errorf("lists: read %s: %w", r.Format(), err)
		}
		c.add(&rec)
	}
	b := c.take()
	return b, sum, nil
}

// Count moves to Skipped what [hashdb.DB.Apply] refused of the batch
// [ReadBatch] read, and the deletes of items that are not stored, as
// [Ingest] counts them.
func (s *Summary) Count(b *hashdb.Batch, a hashdb.Applied) {
	for _, r := range a.Refused {
		switch r.Kind {
		case "item":
			rc := itemRecords{records: 1, signals: len(b.Items[r.Index].Signals)}
			if r.Index < len(s.itemRecs) {
				rc = s.itemRecs[r.Index]
			}
			s.Items -= rc.records
			s.Signals -= rc.signals
			s.Retracted -= rc.deletes
			s.skip(refusal(r.Err), rc.records+rc.deletes, rc.line, r.Err)
		case "retract":
			s.Retracted--
			s.skip("invalid delete", 1, 0, r.Err)
		case "opinion":
			s.Opinions--
			s.skip("invalid opinion", 1, 0, r.Err)
		}
	}
	for _, k := range a.Unknown {
		s.Retracted--
		s.skip("delete of unknown item", 1, 0, fmt.Errorf("delete of %s: %w", k, hashdb.ErrNotFound))
	}
	s.itemRecs = s.itemRecs[:0]
}

func newSummary(f Format) Summary {
	return Summary{Format: f, Skipped: map[string]int{}, Examples: map[string]string{}}
}

// itemRecords is what one item of a batch stands for.
type itemRecords struct {
	records, signals, deletes, line int
}

// A collector maps records into a [hashdb.Batch], counting them in sum.
// Records about a key already in the batch merge into it; strict, they
// instead report that the batch must be applied first, so that each
// record applies after those read before it (see Ingest).
type collector struct {
	source, reason string
	origin         string // the batches'

	level  tlp.Level
	labels []string
	strict bool
	sum    *Summary

	b       *hashdb.Batch
	items   map[hashdb.Key]int // position in b.Items
	deletes map[hashdb.Key]int // position in b.Retract
	judged  map[hashdb.Key]bool
}

func newCollector(f Format, opts *IngestOptions, defSource string, sum *Summary) (*collector, error) {
	c := &collector{source: opts.Source, reason: opts.RetractReason, origin: opts.Origin, level: opts.TLP, sum: sum}
	if c.origin == "" {
		c.origin = string(f) + " list"
	}
	if c.source == "" {
		c.source = defSource
	}
	if c.source == "" {
		return nil, fmt.Errorf("%w: name one (the database records no organisation to file %s lists under)", ErrNoSource, f)
	}
	if c.level == 0 {
		c.level = DefaultTLP
	}
	if !c.level.Valid() {
		return nil, fmt.Errorf("%w: %d", tlp.ErrInvalid, uint8(c.level))
	}
	for _, l := range opts.Labels {
		if err := hashdb.ValidateLabel(l); err != nil {
			return nil, err
		}
		if !slices.Contains(c.labels, l) {
			c.labels = append(c.labels, l)
		}
	}
	if c.reason == "" {
		c.reason = fmt.Sprintf("deleted from the %s list", f)
	}
	c.reset()
	return c, nil
}

func (c *collector) reset() {
	// A list speaks for its sources, not for the local organisation: even
	// its items filed under the local organisation came from it.
	c.b = &hashdb.Batch{Origin: c.origin, RetractReason: c.reason}
	c.items, c.deletes, c.judged = map[hashdb.Key]int{}, map[hashdb.Key]int{}, map[hashdb.Key]bool{}
	c.sum.itemRecs = c.sum.itemRecs[:0]
}

// size is the number of entries waiting.
func (c *collector) size() int { return len(c.b.Items) + len(c.b.Retract) + len(c.b.Opinions) }

// take returns the batch and starts a new one. The Summary's record
// counts per item stay for [Summary.Count].
func (c *collector) take() *hashdb.Batch {
	b, recs := c.b, c.sum.itemRecs
	c.reset()
	c.sum.itemRecs = recs
	return b
}

// conflicts reports whether rec, strictly ordered, must wait for the
// batch to be applied: it is about a key an opinion waiting judges, or
// an item about a key whose delete waits.
func (c *collector) conflicts(rec *Record) bool {
	if !c.strict {
		return false
	}
	switch rec.Kind {
	case Upsert:
		k := c.key(rec.Item.Key)
		_, deleted := c.deletes[k]
		return c.judged[k] || deleted
	case Delete:
		return c.judged[c.key(rec.Key)]
	}
	return false
}

func (c *collector) key(k hashdb.Key) hashdb.Key {
	if k.Source == "" {
		k.Source = c.source
	}
	return k
}

// add maps rec into the batch.
func (c *collector) add(rec *Record) {
	switch rec.Kind {
	case Upsert:
		it := rec.Item
		it.Key = c.key(it.Key)
		if it.TLP == 0 {
			it.TLP = c.level
		}
		for _, l := range c.labels {
			if !slices.Contains(it.Labels, l) {
				it.Labels = append(slices.Clip(it.Labels), l)
			}
		}
		c.sum.Items++
		c.sum.Signals += len(it.Signals)
		if i, ok := c.deletes[it.Key]; ok {
			// Read after its delete: the item stands.
			c.b.Retract = slices.Delete(c.b.Retract, i, i+1)
			delete(c.deletes, it.Key)
			for k, j := range c.deletes {
				if j > i {
					c.deletes[k] = j - 1
				}
			}
			c.sum.Retracted--
		}
		if i, ok := c.items[it.Key]; ok {
			c.b.Items[i] = it
			c.sum.itemRecs[i].records++
			c.sum.itemRecs[i].signals += len(it.Signals)
			c.sum.itemRecs[i].line = rec.Line
			return
		}
		c.items[it.Key] = len(c.b.Items)
		c.b.Items = append(c.b.Items, it)
		c.sum.itemRecs = append(c.sum.itemRecs, itemRecords{records: 1, signals: len(it.Signals), line: rec.Line})
	case Delete:
		key := c.key(rec.Key)
		c.sum.Retracted++
		if i, ok := c.items[key]; ok {
			c.b.Items[i].Retracted, c.b.Items[i].RetractReason = true, c.reason
			c.sum.itemRecs[i].deletes++
			return
		}
		if _, ok := c.deletes[key]; !ok {
			c.deletes[key] = len(c.b.Retract)
			c.b.Retract = append(c.b.Retract, key)
		}
	case Opine:
		op := rec.Opinion
		if op.Key != (hashdb.Key{}) {
			op.Key = c.key(op.Key)
			c.judged[op.Key] = true
		}
		if op.Org == "" {
			// The list's own judgement, not the local organisation's.
			op.Org = c.source
		}
		c.sum.Opinions++
		c.b.Opinions = append(c.b.Opinions, op)
	case Skip:
		why := rec.Reason
		if why == "" {
			why = "unusable record"
		}
		c.sum.skip(why, 1, rec.Line, rec.Err)
	default:
		c.sum.skip("unknown record kind", 1, rec.Line, fmt.Errorf("record kind %v", rec.Kind))
	}
}
