package feeds

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hashshare/hashshare/hashdb"
)

// ReportOptions configure [Report]; the zero value (or nil) takes every
// default.
type ReportOptions struct {
	// Source is whose items' opinions are reported; unset, the sources
	// the API's feeds were fetched under, or else the API's name.
	Source string
}

// A ReportSummary counts what [Report] sent.
type ReportSummary struct {
	// Sent counts the opinions the exchange took.
	Sent int
	// Missing counts the opinions on items that are not stored, which
	// cannot be reported (the exchange needs the item's signals).
	Missing int
}

// Report sends the local organisation's opinions on the items of f's
// source that have not been sent as they stand, one at a time, marking
// each sent once the exchange has taken it: a report that fails goes on
// next time where it stopped, sending nothing twice. (Should the process
// die between the exchange's answer and the mark, that one opinion is
// sent again; each API takes it twice as it takes it once.)
func Report(ctx context.Context, db *hashdb.DB, f Feed, opts *ReportOptions) (ReportSummary, error) {
	var sum ReportSummary
	if opts == nil {
		opts = &ReportOptions{}
	}
	fail := func(err error) (ReportSummary, error) {
		return sum, fmt.Errorf("feeds: report to %s: %w", f.API(), err)
	}
	if _, ok := f.(*TCAP); ok {
		return fail(ErrNoFeedback)
	}
	if db.Organization() == "" {
		return fail(fmt.Errorf("%w: the database records no organisation whose opinions to report", ErrCredentials))
	}
	sources, err := reportSources(db, f.API(), opts.Source)
	if err != nil {
		return fail(err)
	}
	var ops []hashdb.Opinion
	for _, source := range sources {
		more, err := db.Unreported(f.API(), source)
		if err != nil {
			return fail(err)
		}
		ops = append(ops, more...)
	}
	for i := range ops {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		it, err := db.Get(ops[i].Key)
		if errors.Is(err, hashdb.ErrNotFound) {
			sum.Missing++
			continue
		}
		if err != nil {
			return fail(err)
		}
		if err := f.report(ctx, &it, &ops[i]); err != nil {
			return fail(fmt.Errorf("opinion on %s: %w", ops[i].Key, err))
		}
		// The mark must not be lost to a cancellation that came after
		// the exchange took the opinion.
		if err := db.MarkReported(context.WithoutCancel(ctx), f.API(), ops[i]); err != nil {
			return fail(err)
		}
		sum.Sent++
	}
	return sum, nil
}

// reportSources is source if set, else the sources api's feeds were
// fetched under, else api.
func reportSources(db *hashdb.DB, api, source string) ([]string, error) {
	if source != "" {
		return []string{source}, nil
	}
	states, err := db.FeedStates()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range states {
		if st.API == api && st.Source != "" && !slices.Contains(out, st.Source) {
			out = append(out, st.Source)
		}
	}
	if len(out) == 0 {
		out = append(out, api)
	}
	return out, nil
}
