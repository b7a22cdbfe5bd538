package lists

import (
	"context"
	"errors"
	"fmt"
	"io"

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
	// Batch is how many entries (items, deletes, opinions) one
	// transaction applies; unset, [DefaultBatch].
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

	itemRecs []itemRecords // of the batch read, for Count
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
// Records are applied in batches of [IngestOptions.Batch] items, deletes
// and opinions, one transaction each ([hashdb.DB.Apply]). A key repeated
// within a batch is stored once, as its last record says, in the place of
// its first (which is where pytx keeps a repeated signal), and a delete of
// an item waiting in the batch retracts it there. Records about the same
// key apply in the order read: a record about a key that a waiting
// opinion judges, or an item whose delete waits, is applied after the
// batch before it.
//
// The error, if any, is from reading (the list cannot be read on), from
// the database (not a record it refuses, one it could not write) or ctx
// ending; the Summary then counts what was applied before it.
func Ingest(ctx context.Context, db *hashdb.DB, r *Reader, opts *IngestOptions) (Summary, error) {
	sum := newSummary(r.Format())
	if opts == nil {
		opts = &IngestOptions{}
	}
	c, err := newCollector(r.Format(), opts, DefaultSource(r.Format(), db.Organization()), &sum)
	if err != nil {
		return sum, fmt.Errorf("lists: ingest %s: %w", r.Format(), err)
	}
	c.strict = true
	size := opts.Batch
	if size <= 0 {
		size = DefaultBatch
	}
	// Counts of the batch waiting, kept apart until it is applied: the
	// Summary counts what was applied.
	applied := sum
	flush := func() error {
		if c.size() == 0 {
			return nil
		}
		b := c.take()
		a, err := db.Apply(ctx, b)
		if err != nil {
			return err
		}
		sum.Count(b, a)
		applied = sum
		applied.itemRecs = nil
		return nil
	}
	err = func() error {
		for n := 0; ; n++ {
			if n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rec, err := r.Next()
			if err == io.EOF {
				return flush()
			}
			if err != nil {
				// What was read before the failure was good: keep it.
				if ferr := flush(); ferr != nil {
					return errors.Join(err, ferr)
				}
				return err
			}
			if c.conflicts(&rec) {
				if err := flush(); err != nil {
					return err
				}
			}
			c.add(&rec)
			if c.size() >= size {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}()
	if err != nil {
		return applied, fmt.Errorf("lists: ingest %s: %w", r.Format(), err)
	}
	return applied, nil
}

// refusal is the Skipped reason for an item the database refused.
func refusal(err error) string {
	switch {
	case errors.Is(err, hashdb.ErrInvalidLabel):
		return "invalid label"
	case errors.Is(err, tlp.ErrInvalid):
		return "invalid tlp"
	}
	return "invalid item"
}
