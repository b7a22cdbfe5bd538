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
// is stored as a tombstone; an item read after its delete replacing it.
// It is for an exchange's page, which [hashdb.DB.Apply] stores whole; the
// Summary counts the records read, and [Summary.Count] adds what the
// database did with them.
//
// opts.Batch is ignored, and an empty opts.Source is the format's
// [DefaultSource] (there is no database to take the organisation from).
func ReadBatch(r *Reader, opts *IngestOptions) (*hashdb.Batch, Summary, error) {
	sum := Summary{Format: r.Format(), Skipped: map[string]int{}, Examples: map[string]string{}}
	if opts == nil {
		opts = &IngestOptions{}
	}
	source := opts.Source
	if source == "" {
		source = DefaultSource(r.Format(), "")
	}
	if source == "" {
		return nil, sum, fmt.Errorf("lists: read %s: %w: name one", r.Format(), ErrNoSource)
	}
	level := opts.TLP
	if level == 0 {
		level = DefaultTLP
	}
	if !level.Valid() {
		return nil, sum, fmt.Errorf("lists: read %s: %w: %d", r.Format(), tlp.ErrInvalid, uint8(level))
	}
	reason := opts.RetractReason
	if reason == "" {
		reason = fmt.Sprintf("deleted from the %s list", r.Format())
	}
	b := &hashdb.Batch{RetractReason: reason}
	items := map[hashdb.Key]int{}
	deletes := map[hashdb.Key]int{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, sum, fmt.Errorf("lists: read %s: %w", r.Format(), err)
		}
		switch rec.Kind {
		case Upsert:
			it := rec.Item
			if it.Source == "" {
				it.Source = source
			}
			if it.TLP == 0 {
				it.TLP = level
			}
			for _, l := range opts.Labels {
				if !slices.Contains(it.Labels, l) {
					it.Labels = append(slices.Clip(it.Labels), l)
				}
			}
			sum.Items++
			sum.Signals += len(it.Signals)
			if i, ok := deletes[it.Key]; ok {
				// Read after its delete: the item stands.
				b.Retract = slices.Delete(b.Retract, i, i+1)
				delete(deletes, it.Key)
				for k, j := range deletes {
					if j > i {
						deletes[k] = j - 1
					}
				}
				sum.Retracted--
			}
			if i, ok := items[it.Key]; ok {
				b.Items[i] = it
				continue
			}
			items[it.Key] = len(b.Items)
			b.Items = append(b.Items, it)
		case Delete:
			key := rec.Key
			if key.Source == "" {
				key.Source = source
			}
			sum.Retracted++
			if i, ok := items[key]; ok {
				b.Items[i].Retracted, b.Items[i].RetractReason = true, reason
				continue
			}
			if _, ok := deletes[key]; !ok {
				deletes[key] = len(b.Retract)
				b.Retract = append(b.Retract, key)
			}
		case Opine:
			op := rec.Opinion
			if op.Key != (hashdb.Key{}) && op.Key.Source == "" {
				op.Key.Source = source
			}
			if op.Org == "" {
				op.Org = source
			}
			sum.Opinions++
			b.Opinions = append(b.Opinions, op)
		case Skip:
			why := rec.Reason
			if why == "" {
				why = "unusable record"
			}
			sum.skip(why, 1, rec.Line, rec.Err)
		default:
			sum.skip("unknown record kind", 1, rec.Line, fmt.Errorf("record kind %v", rec.Kind))
		}
	}
	return b, sum, nil
}

// Count adds to s what [hashdb.DB.Apply] did with the batch [ReadBatch]
// read: entries refused move from the counts to Skipped, as [Ingest]
// counts them, and so do deletes of items that are not stored.
func (s *Summary) Count(b *hashdb.Batch, a hashdb.Applied) {
	for _, r := range a.Refused {
		switch r.Kind {
		case "item":
			s.Items--
			s.Signals -= len(b.Items[r.Index].Signals)
			s.skip(refusal(r.Err), 1, 0, r.Err)
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
}
