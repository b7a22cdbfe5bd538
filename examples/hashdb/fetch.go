package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb/feeds"
)

// fetchJSON is "fetch --json": the ingest summary, with the checkpoint
// stored and the pages fetched.
type fetchJSON struct {
	ingestJSON
	Checkpoint string `json:"checkpoint"`
	Pages      int    `json:"pages"`
	Full       bool   `json:"full"`
	Unseen     int    `json:"unseen"`
}

// feedStatusJSON is one line of "fetch --status --json".
type feedStatusJSON struct {
	API        string `json:"api"`
	Collab     string `json:"collab"`
	Source     string `json:"source"`
	Checkpoint string `json:"checkpoint"`
	Advanced   string `json:"advanced"`
	InProgress bool   `json:"in_progress"`
	Full       bool   `json:"full"`
	Pages      int64  `json:"pages"`
	Items      int64  `json:"items"`
	Retracted  int64  `json:"retracted"`
	Opinions   int64  `json:"opinions"`
}

// feedFlags are the flags fetch and report share.
type feedFlags struct {
	api, credentials, collab, baseURL, ca *string
}

func addFeedFlags(fs *flag.FlagSet) feedFlags {
	return feedFlags{
		api:         fs.String("api", "", "the `exchange`: threatexchange, tcap, ncmec or stopncii"),
		credentials: fs.String("credentials", "", "a JSON `file` of the API's credentials"),
		collab:      fs.String("collab", "", "the privacy group (threatexchange) or environment (ncmec) `id`"),
		baseURL:     fs.String("base-url", "", "the `URL` that replaces the API's public base (a test server, a private mirror)"),
		ca:          fs.String("ca", "", "a PEM `file` of CA certificates to trust besides the system's, for a private deployment"),
	}
}

// credentials is every field of the credentials files; each API reads
// its own.
type credentials struct {
	AccessToken      string `json:"access_token"`
	Username         string `json:"username"`
	Password         string `json:"password"`
	Environment      string `json:"environment"`
	SubscriptionKey  string `json:"subscription_key"`
	FetchFunctionKey string `json:"fetch_function_key"`
}

// newFeed builds the client the flags name. Errors never quote the
// credentials file's content.
func (ff feedFlags) newFeed(fetching bool) (feeds.Feed, error) {
	if *ff.credentials == "" {
		return nil, fmt.Errorf("--credentials FILE is required")
	}
	raw, err := os.ReadFile(*ff.credentials)
	if err != nil {
		return nil, err
	}
	var c credentials
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: not a credentials object: %v", *ff.credentials, jsonProblem(err))
	}
	var client *http.Client
	if *ff.ca != "" {
		pem, err := os.ReadFile(*ff.ca)
		if err != nil {
			return nil, err
		}
		if client, err = feeds.NewClient(pem); err != nil {
			return nil, fmt.Errorf("%s: %w", *ff.ca, err)
		}
	}
	tr := feeds.Transport{Client: client}
	collab := *ff.collab
	switch *ff.api {
	case "threatexchange":
		if collab == "" && fetching {
			return nil, fmt.Errorf("--collab PRIVACY_GROUP is required to fetch from threatexchange")
		}
		return &feeds.ThreatExchange{AccessToken: c.AccessToken, PrivacyGroup: collab, BaseURL: *ff.baseURL, Transport: tr}, nil
	case "tcap":
		if collab != "" {
			return nil, fmt.Errorf("tcap has no collaborations: drop --collab")
		}
		return &feeds.TCAP{Username: c.Username, Password: c.Password, BaseURL: *ff.baseURL, Transport: tr}, nil
	case "ncmec":
		env := c.Environment
		if collab != "" {
			env = collab
		}
		if env == "" {
			return nil, fmt.Errorf("ncmec needs an environment: \"environment\" in the credentials, or --collab")
		}
		return &feeds.NCMEC{Username: c.Username, Password: c.Password, Environment: env, BaseURL: *ff.baseURL, Transport: tr}, nil
	case "stopncii":
		if collab != "" {
			return nil, fmt.Errorf("stopncii has no collaborations: drop --collab")
		}
		return &feeds.StopNCII{SubscriptionKey: c.SubscriptionKey, FunctionKey: c.FetchFunctionKey, BaseURL: *ff.baseURL, Transport: tr}, nil
	case "":
		return nil, fmt.Errorf("--api is required")
	}
	return nil, fmt.Errorf("unknown --api %q (want threatexchange, tcap, ncmec or stopncii)", *ff.api)
}

// jsonProblem describes a JSON decoding error by its kind and place,
// without the values.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("JSON syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q is not a %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "not JSON"
}

// parseSince reads --since: RFC 3339, a date, or unix seconds.
func parseSince(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or unix seconds", s)
}

func runFetch(e *env, args []string) int {
	fs := e.flags(usageOf("fetch"))
	dbPath := dbFlag(fs)
	ff := addFeedFlags(fs)
	source := fs.String("source", "", "the `org`anisation to file items under (default: the API's name)")
	since := fs.String("since", "", "fetch from `TIME` on (RFC 3339, a date or unix seconds) instead of the stored checkpoint")
	status := fs.Bool("status", false, "print every stored checkpoint instead of fetching")
	asJSON := fs.Bool("json", false, "print the summary (with --status: each feed) as JSON")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if len(rest) > 0 {
		return e.usageError(fs, "unexpected arguments %q", rest)
	}
	if *status {
		return fetchStatus(e, *dbPath, *asJSON)
	}
	f, err := ff.newFeed(true)
	if err != nil {
		return e.usageError(fs, "%v", err)
	}
	opts := &feeds.FetchOptions{Source: *source}
	if *since != "" {
		if opts.Since, err = parseSince(*since); err != nil {
			return e.usageError(fs, "%v", err)
		}
	}
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	b := newBar(e, -1, false, "fetching "+f.API())
	opts.Progress = func(s feeds.Summary) { b.set(int64(s.Items+s.Retracted), -1) }
	sum, err := feeds.Fetch(e.ctx, db, f, opts)
	b.done()
	name := f.API()
	if f.Collab() != "" {
		name += " " + f.Collab()
	}
	if err != nil {
		if sum.Pages > 0 {
			e.warnf("before the error: %s; %d pages, checkpoint %q (the next fetch goes on from there)", summaryText(name, &sum.Summary), sum.Pages, sum.Checkpoint)
		}
		return closeDB(e, db, e.fail(err))
	}
	if *asJSON {
		s := &sum.Summary
		return closeDB(e, db, encodeJSON(e, fetchJSON{
			ingestJSON: ingestJSON{Format: string(s.Format), Items: s.Items, Signals: s.Signals, Retracted: s.Retracted, Opinions: s.Opinions, Skipped: s.Skipped},
			Checkpoint: sum.Checkpoint, Pages: sum.Pages, Full: sum.Full, Unseen: sum.Unseen}))
	}
	full := ""
	if sum.Full {
		full = fmt.Sprintf(" (a full fetch: %d items it no longer lists retracted)", sum.Unseen)
	}
	fmt.Fprintf(e.stderr, "%s: %s\n  %d pages, checkpoint %q%s\n", e.name, summaryText(name, &sum.Summary), sum.Pages, sum.Checkpoint, full)
	return closeDB(e, db, exitOK)
}

func fetchStatus(e *env, path string, asJSON bool) int {
	db, err := openDB(path, "", true)
	if err != nil {
		return e.fail(err)
	}
	states, err := db.FeedStates()
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	for _, st := range states {
		j := feedStatusJSON{API: st.API, Collab: st.Collab, Source: st.Source, Checkpoint: st.Checkpoint,
			Advanced: st.Advanced.UTC().Format(time.RFC3339), InProgress: st.Cursor != "", Full: st.Full,
			Pages: st.Pages, Items: st.Items, Retracted: st.Retracted, Opinions: st.Opinions}
		if asJSON {
			if code := encodeJSON(e, j); code != exitOK {
				return closeDB(e, db, code)
			}
			continue
		}
		collab := st.Collab
		if collab == "" {
			collab = "-"
		}
		note := ""
		switch {
		case st.Full:
			note = "\tfull fetch in progress"
		case st.Cursor != "":
			note = "\tquery in progress"
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\tcheckpoint %q\tadvanced %s\t%d pages, %d items, %d retracted, %d opinions%s\n",
			st.API, collab, st.Source, st.Checkpoint, j.Advanced, st.Pages, st.Items, st.Retracted, st.Opinions, note)
	}
	return closeDB(e, db, exitOK)
}
