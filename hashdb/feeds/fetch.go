package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
)

// A Feed is one exchange's client for one collaboration: [ThreatExchange],
// [TCAP], [NCMEC] or [StopNCII]; only this package's clients implement
// it.
type Feed interface {
	// API is the exchange's name: "threatexchange", "tcap", "ncmec" or
	// "stopncii"; the feed's checkpoint is stored under it and Collab.
	API() string
	// Collab is the collaboration followed ("" where the API has none).
	Collab() string

	format() lists.Format
	// stale reports whether st must be fetched again from the start.
	stale(st *hashdb.FeedState, now time.Time) bool
	// page fetches the page st is at and moves st past it: its cursor,
	// mark and checkpoint as they are once the page is stored. done
	// reports the query exhausted.
	page(ctx context.Context, st *hashdb.FeedState, now time.Time) (body []byte, done bool, err error)
	// since sets st to start after t.
	since(st *hashdb.FeedState, t time.Time)
	// report sends op, the local organisation's opinion on it.
	report(ctx context.Context, it *hashdb.Item, op *hashdb.Opinion) error
}

// FetchOptions configure [Fetch]; the zero value (or nil) takes every
// default.
type FetchOptions struct {
	// Source is where items are filed; unset, the API's name.
	Source string
	// Since, if set, starts the fetch after that time instead of at the
	// stored checkpoint; such a fetch is not full.
	Since time.Time
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Progress, if set, is called after each page is stored.
	Progress func(Summary)
	// Labels are added to every item stored, as
	// [lists.IngestOptions.Labels] adds them (a server's bank label).
	Labels []string
	// Until, if set, ends the fetch after the first page stored at or
	// past it, with Summary.Paused set and the checkpoint where the next
	// fetch goes on: a scheduler's bound on one fetch that, unlike a
	// context deadline, never cuts a fetch off before it has stored a
	// page, so a slow exchange still makes progress.
	Until time.Time
}

// A Summary counts what [Fetch] stored, as [lists.Summary] counts an
// ingest, with the feed's state after it.
type Summary struct {
	lists.Summary
	// Unseen counts the items a full fetch retracted because the feed,
	// which delivered them before, no longer lists them.
	Unseen int
	// Pages counts the pages stored by this fetch.
	Pages int
	// Checkpoint is the stored checkpoint after the fetch.
	Checkpoint string
	// Full reports a full fetch: from the start, retracting what the
	// feed delivered before and no longer lists.
	Full bool
	// Paused reports a fetch ended by FetchOptions.Until with more to
	// fetch.
	Paused bool
}

// Fetch follows f into db until the exchange has nothing more, one page
// per transaction (see the package doc). The Summary counts what was
// stored, also when the error is not nil; the database then holds every
// page counted and nothing of the one that failed.
func Fetch(ctx context.Context, db *hashdb.DB, f Feed, opts *FetchOptions) (Summary, error) {
	if opts == nil {
		opts = &FetchOptions{}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	sum := Summary{Summary: lists.Summary{Format: f.format(), Skipped: map[string]int{}, Examples: map[string]string{}}}
	fail := func(err error) (Summary, error) {
		return sum, fmt.Errorf("feeds: fetch %s: %w", f.API(), err)
	}
	source := opts.Source
	if source == "" {
		source = f.API()
	}
	st, err := db.FeedState(f.API(), f.Collab())
	switch {
	case errors.Is(err, hashdb.ErrNotFound):
		st = hashdb.FeedState{API: f.API(), Collab: f.Collab()}
	case err != nil:
		return fail(err)
	}
	if st.Source != "" && st.Source != source {
		// Another source's checkpoint says nothing of this one's items.
		st = hashdb.FeedState{API: f.API(), Collab: f.Collab()}
	}
	st.Source = source
	t0 := now()
	switch {
	case !opts.Since.IsZero():
		st.Full, st.Cursor, st.Query, st.Mark = false, "", "", ""
		f.since(&st, opts.Since)
		st.Started = t0
	case st.Advanced.IsZero(), f.stale(&st, t0):
		st.Checkpoint, st.Cursor, st.Query, st.Mark = "", "", "", ""
		st.Full, st.Started = true, t0
	}
	sum.Full = st.Full
	sum.Checkpoint = st.Checkpoint
	ingest := &lists.IngestOptions{Source: source, Labels: opts.Labels, RetractReason: "deleted by " + f.API()}
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		next := st
		body, done, err := f.page(ctx, &next, now())
		if err != nil {
			return fail(err)
		}
		r, err := lists.NewReader(bytes.NewReader(body), f.format(), nil)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", ErrProtocol, err))
		}
		b, psum, err := lists.ReadBatch(r, ingest)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", ErrProtocol, err))
		}
		b.Origin = "fetch " + f.API()
		next.Pages++
		next.Items += int64(psum.Items)
		next.Retracted += int64(psum.Retracted)
		next.Opinions += int64(psum.Opinions)
		b.Feed = &next
		if done && next.Full {
			next.Full = false
			b.RetractUnseen = true
			b.UnseenReason = "no longer listed by " + f.API()
		}
		a, err := db.Apply(ctx, b)
		if err != nil {
			return fail(err)
		}
		psum.Count(b, a)
		add(&sum, &psum, a.Unseen)
		st = next
		sum.Checkpoint = st.Checkpoint
		if opts.Progress != nil {
			opts.Progress(sum)
		}
		if done {
			return sum, nil
		}
		if !opts.Until.IsZero() && !now().Before(opts.Until) {
			sum.Paused = true
			return sum, nil
		}
	}
}

func add(sum *Summary, p *lists.Summary, unseen int) {
	sum.Pages++
	sum.Items += p.Items
	sum.Signals += p.Signals
	sum.Retracted += p.Retracted + unseen
	sum.Opinions += p.Opinions
	sum.Unseen += unseen
	for k, n := range p.Skipped {
		if _, ok := sum.Skipped[k]; !ok {
			sum.Examples[k] = p.Examples[k]
		}
		sum.Skipped[k] += n
	}
}

// sameHost checks that next, an absolute URL or one relative to base,
// stays on base's scheme and host, and returns it absolute.
func sameHost(base, next string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%w: base URL: %v", ErrProtocol, err)
	}
	n, err := url.Parse(strings.TrimSpace(next))
	if err != nil {
		return "", fmt.Errorf("%w: next page URL does not parse", ErrProtocol)
	}
	if !n.IsAbs() && n.Host != "" {
		return "", fmt.Errorf("%w: next page on //%s, not on the base URL's host", ErrProtocol, n.Host)
	}
	if !n.IsAbs() {
		// Relative to the API's base path, as NCMEC's are.
		n, err = url.Parse(strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(n.String(), "/"))
		if err != nil {
			return "", fmt.Errorf("%w: next page URL does not parse", ErrProtocol)
		}
	}
	if n.Scheme != b.Scheme || n.Host != b.Host || n.User != nil {
		return "", fmt.Errorf("%w: next page on %s://%s, not on the base URL's host", ErrProtocol, n.Scheme, n.Host)
	}
	return n.String(), nil
}
