package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/feeds"
)

// DefaultFetchInterval is how often the exchanges are fetched.
const DefaultFetchInterval = 5 * time.Minute

// DefaultFetchTime is the longest one exchange's fetch goes on before the
// next exchange's turn (HMA's limit too).
const DefaultFetchTime = 4 * time.Minute

// exchangeOptions configure the exchanges the /c/exchanges routes set up
// and the schedule that fetches them.
type exchangeOptions struct {
	// Interval is the time between two rounds of fetches, each drawn
	// within 10% of it; zero means DefaultFetchInterval.
	Interval time.Duration
	// FetchTime bounds one exchange's fetch in a round: past it the
	// fetch stops after its page (which is stored) and goes on in the
	// next round, which then starts at once. Zero means
	// DefaultFetchTime.
	FetchTime time.Duration
	// Credentials is the file the APIs' credentials are kept in; ""
	// keeps them in memory only (they are lost at exit).
	Credentials string
	// BaseURLs replace APIs' public bases, by HMA's API name (private
	// mirrors, test servers).
	BaseURLs map[string]string
	// Transport is how the exchanges are spoken to.
	Transport feeds.Transport
	// Report sends the local organisation's opinions on an exchange's
	// items back to it after each successful fetch (feeds.Report).
	Report bool
}

// errExchangeExists reports an exchange created under a taken name.
var errExchangeExists = errors.New("exchange exists")

// feedFollowedError reports an exchange of a feed another one follows.
type feedFollowedError struct{ other, api, collab string }

func (e *feedFollowedError) Error() string {
	return fmt.Sprintf("exchange '%s' already follows %s %s", e.other, e.api, e.collab)
}

// exchanges are the configured exchanges and their schedule: one
// goroutine (run) fetches every enabled exchange in turn, one at a time,
// then waits for the interval or a wake-up.
type exchanges struct {
	db    *hashdb.DB
	log   *slog.Logger
	opts  exchangeOptions
	creds *credentialStore
	now   func() time.Time
	// broken is why the stored exchanges or credentials could not be
	// read; every route then fails with it, and run does not start.
	broken error

	edit     sync.Mutex // serialises create, update and delete
	fetching sync.Mutex // held while one exchange is fetched
	wake     chan struct{}

	mu      sync.RWMutex
	byName  map[string]*exchange
	running map[string]runningFetch
}

// runningFetch is a fetch in progress.
type runningFetch struct {
	start  time.Time
	cancel context.CancelFunc
}

func newExchanges(db *hashdb.DB, opts exchangeOptions, log *slog.Logger, now func() time.Time) *exchanges {
	if opts.Interval <= 0 {
		opts.Interval = DefaultFetchInterval
	}
	if opts.FetchTime <= 0 {
		opts.FetchTime = DefaultFetchTime
	}
	x := &exchanges{db: db, log: log, opts: opts, now: now, wake: make(chan struct{}, 1),
		byName: map[string]*exchange{}, running: map[string]runningFetch{}}
	var err error
	if x.creds, err = openCredentials(opts.Credentials); err != nil {
		x.broken = err
		return x
	}
	if x.byName, err = loadExchanges(db); err != nil {
		x.broken = err
	}
	return x
}

// get returns a copy of the exchange called name.
func (x *exchanges) get(name string) (exchange, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byName[name]
	if !ok {
		return exchange{}, false
	}
	return *e, true
}

// names returns the exchanges' names, sorted.
func (x *exchanges) names() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.byName))
	for n := range x.byName {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// bankOfSource returns the bank (the exchange's name) whose items are
// filed under source, if an exchange files there.
func (x *exchanges) bankOfSource(source string) (string, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, e := range x.byName {
		if e.Source == source {
			return e.Name, true
		}
	}
	return "", false
}

// feed returns the feed e follows, with the stored credentials.
func (x *exchanges) feed(e *exchange) feeds.Feed {
	api, _ := exchangeAPINamed(e.API)
	f := api.client(e, x.creds.get(api.name), x.opts.BaseURLs[api.name])
	tr := x.opts.Transport
	switch c := f.(type) {
	case *feeds.ThreatExchange:
		c.Transport = tr
	case *feeds.NCMEC:
		c.Transport = tr
	case *feeds.StopNCII:
		c.Transport = tr
	case *feeds.TCAP:
		c.Transport = tr
	}
	return f
}

// poke makes run start a round now rather than after the interval.
func (x *exchanges) poke() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// create stores a new exchange with a bank of its name and an empty
// checkpoint, so that its first fetch is a full one and labels every item
// with the bank. The error wraps errExchangeExists or hashdb's
// ErrBankExists if the name is taken, and is a *feedFollowedError if
// another exchange follows the same feed.
func (x *exchanges) create(ctx context.Context, e *exchange) error {
	x.edit.Lock()
	defer x.edit.Unlock()
	if _, ok := x.get(e.Name); ok {
		return errExchangeExists
	}
	f := x.feed(e)
	x.mu.RLock()
	taken := map[string]bool{}
	for _, o := range x.byName {
		if of := x.feed(o); of.API() == f.API() && of.Collab() == f.Collab() {
			x.mu.RUnlock()
			return &feedFollowedError{o.Name, e.API, f.Collab()}
		}
		taken[o.Source] = true
	}
	x.mu.RUnlock()
	states, err := x.db.FeedStates()
	if err != nil {
		return err
	}
	for _, st := range states {
		if st.API != f.API() || st.Collab != f.Collab() {
			taken[st.Source] = true
		}
	}
	e.Source = f.API()
	if taken[e.Source] {
		e.Source = f.API() + "-" + strings.ToLower(e.Name)
		if len(e.Source) > 64 || taken[e.Source] {
			h := sha256.Sum256([]byte(e.Name))
			e.Source = f.API() + "-" + hex.EncodeToString(h[:6])
		}
	}
	if err := x.db.CreateBank(ctx, hashdb.Bank{Name: e.Name, MatchRatio: 1}); err != nil {
		return err
	}
	err = x.db.ForgetFeed(ctx, f.API(), f.Collab())
	if err == nil {
		err = putExchange(ctx, x.db, e)
	}
	if err != nil {
		_, derr := x.db.DeleteBank(context.WithoutCancel(ctx), e.Name)
		return errors.Join(err, derr)
	}
	x.mu.Lock()
	x.byName[e.Name] = e
	x.mu.Unlock()
	x.log.Info("exchange created", "exchange", e.Name, "api", e.API, "collab", f.Collab(), "source", e.Source)
	x.poke()
	return nil
}

// setEnabled turns the exchange's fetching on or off; a fetch in progress
// goes on to its end.
func (x *exchanges) setEnabled(ctx context.Context, name string, on bool) (exchange, error) {
	x.edit.Lock()
	defer x.edit.Unlock()
	e, ok := x.get(name)
	if !ok {
		return e, hashdb.ErrNotFound
	}
	e.Enabled = on
	if err := putExchange(ctx, x.db, &e); err != nil {
		return e, err
	}
	x.mu.Lock()
	x.byName[name] = &e
	x.mu.Unlock()
	if on {
		x.poke()
	}
	return e, nil
}

// delete removes the exchange called name, as HMA does with its bank: a
// fetch in progress is cancelled, the bank deleted, the feed's checkpoint
// forgotten. The items it fetched stay, filed under their source, but no
// bank holds them any more. Deleting an exchange that does not exist is
// not an error.
func (x *exchanges) delete(ctx context.Context, name string) error {
	x.edit.Lock()
	defer x.edit.Unlock()
	x.mu.Lock()
	e, ok := x.byName[name]
	delete(x.byName, name)
	if r, running := x.running[name]; running {
		r.cancel()
	}
	x.mu.Unlock()
	if !ok {
		return nil
	}
	// Wait for a cancelled fetch to end, so that it stores nothing after.
	x.fetching.Lock()
	defer x.fetching.Unlock()
	f := x.feed(e)
	err := errors.Join(
		x.db.DeleteSetting(ctx, settingExchange+name),
		x.db.DeleteSetting(ctx, settingStatus+name),
		x.db.ForgetFeed(ctx, f.API(), f.Collab()),
	)
	if _, derr := x.db.DeleteBank(ctx, name); derr != nil {
		err = errors.Join(err, derr)
	}
	if err != nil {
		return err
	}
	x.log.Info("exchange deleted", "exchange", name, "api", e.API)
	return nil
}

// run fetches every enabled exchange, one at a time, then again each
// interval (within 10%, so that servers started together drift apart),
// or at once if a fetch was cut short by FetchTime, until ctx ends; a
// fetch in progress then stops after its current page.
func (x *exchanges) run(ctx context.Context) {
	for {
		more := false
		for _, name := range x.names() {
			if ctx.Err() != nil {
				return
			}
			more = x.fetch(ctx, name) || more
		}
		if more {
			continue
		}
		d := x.opts.Interval
		d += time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-x.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// fetch fetches the exchange called name if it is enabled, for at most
// FetchTime, records how it went and, if so configured, reports opinions
// back. more reports a fetch cut short, with more to fetch.
func (x *exchanges) fetch(ctx context.Context, name string) (more bool) {
	x.fetching.Lock()
	defer x.fetching.Unlock()
	x.mu.Lock()
	e, ok := x.byName[name]
	if !ok || !e.Enabled {
		x.mu.Unlock()
		return false
	}
	ec := *e
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The fetch pauses after the page that ends its time (so even a slow
	// exchange makes progress each round); the context's deadline, four
	// times as long, only stops one whose exchange hangs.
	until := x.now().Add(x.opts.FetchTime)
	fctx, stop := context.WithTimeout(cctx, 4*x.opts.FetchTime)
	defer stop()
	x.running[name] = runningFetch{start: x.now(), cancel: cancel}
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		delete(x.running, name)
		x.mu.Unlock()
	}()
	log := x.log.With("exchange", name, "api", ec.API)
	f := x.feed(&ec)
	sum, err := feeds.Fetch(fctx, x.db, f, &feeds.FetchOptions{Source: ec.Source, Labels: []string{hashdb.Bank{Name: name}.Label()}, Until: until})
	if cctx.Err() != nil {
		// Shut down or deleted: what was stored stays, the status too.
		log.Info("exchange fetch interrupted", "pages", sum.Pages, "items", sum.Items)
		return false
	}
	st := fetchStatus{Complete: x.now().Unix(), Succeeded: err == nil, UpToDate: err == nil && !sum.Paused}
	if err == nil && sum.Paused {
		more = true
		log.Info("exchange fetch paused for the next round", "pages", sum.Pages, "items", sum.Items, "checkpoint", sum.Checkpoint)
	} else if fctx.Err() != nil {
		// Its time is up; it goes on in the next round, at once if it
		// got anywhere (one that did not must not loop without a pause).
		more, err = sum.Pages > 0, nil
		st.Succeeded = true
		log.Info("exchange fetch paused for the next round", "pages", sum.Pages, "items", sum.Items, "checkpoint", sum.Checkpoint)
	} else if err != nil {
		// feeds' errors hold no credential: they are scrubbed there.
		log.Warn("exchange fetch failed", "pages", sum.Pages, "items", sum.Items, "err", err)
	} else {
		log.Info("exchange fetched", "pages", sum.Pages, "items", sum.Items, "retracted", sum.Retracted, "opinions", sum.Opinions, "checkpoint", sum.Checkpoint, "full", sum.Full)
	}
	if perr := putStatus(context.WithoutCancel(ctx), x.db, name, st); perr != nil {
		log.Error("exchange status not stored", "err", perr)
	}
	if st.UpToDate && x.opts.Report && f.API() != "tcap" {
		rs, err := feeds.Report(fctx, x.db, f, &feeds.ReportOptions{Source: ec.Source})
		if err != nil {
			log.Warn("exchange report failed", "sent", rs.Sent, "err", err)
		} else if rs.Sent > 0 || rs.Missing > 0 {
			log.Info("exchange reported", "sent", rs.Sent, "missing", rs.Missing)
		}
	}
	return more
}

// runningSince returns when the exchange's fetch in progress started.
func (x *exchanges) runningSince(name string) (time.Time, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.running[name]
	return r.start, ok
}
