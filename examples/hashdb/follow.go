package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob"

	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/replica/natswake"
)

// followJSON is one line of follow --json: after each sync, the sequence
// reached and the set digest.
type followJSON struct {
	Seq         uint64 `json:"seq"`
	SetDigest   string `json:"set_digest"`
	ManifestSeq uint64 `json:"manifest_seq"`
	Behind      uint64 `json:"behind"`
	Current     bool   `json:"current"`
	Deltas      int    `json:"deltas"`
	Fulls       int    `json:"fulls"`
	Fallback    string `json:"fallback,omitempty"`
	AgeSeconds  int64  `json:"age_seconds"`
	Error       string `json:"error,omitempty"`
}

func runFollow(e *env, args []string) int {
	fs := e.flags(usageOf("follow"))
	dbPath := dbFlag(fs)
	from := fs.String("from", "", "the bucket `URL` the peer publishes to: s3://, gs://, azblob://, file:// or mem://")
	peer := fs.String("peer", "", "the publishing `organisation`, a peer whose keys verify the manifest and bundles")
	once := fs.Bool("once", false, "sync once and exit")
	interval := fs.Duration("interval", 30*time.Second, "poll the manifest every `D` (jittered)")
	natsURL := fs.String("nats", "", "NATS `URL` whose JetStream key wakes this follower at once (optional)")
	asJSON := fs.Bool("json", false, "print one JSON line per sync")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	intervalSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "interval" {
			intervalSet = true
		}
	})
	switch {
	case *from == "" || *peer == "" || len(rest) > 0:
		return e.usageError(fs, "want --from URL and --peer ORG")
	case *once && intervalSet:
		return e.usageError(fs, "--once and --interval are exclusive")
	case *interval <= 0:
		return e.usageError(fs, "--interval must be positive")
	}
	b, err := blob.OpenBucket(e.ctx, *from)
	if err != nil {
		return e.fail(err)
	}
	defer b.Close()
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	report := func(st replica.Status, err error) {
		if *asJSON {
			j := followJSON{Seq: st.Seq, SetDigest: st.SetDigest.String(), ManifestSeq: st.ManifestSeq, Behind: st.Behind(),
				Current: st.Current, Deltas: st.Deltas, Fulls: st.Fulls, Fallback: st.Fallback, AgeSeconds: int64(st.Age(time.Now()).Seconds())}
			if err != nil {
				j.Error = err.Error()
			}
			encodeJSON(e, j)
			return
		}
		if err != nil {
			e.warnf("%v (holding change %d)", err, st.Seq)
			return
		}
		if st.Fallback != "" {
			e.warnf("loaded the FULL bundle: %s", st.Fallback)
		}
		fmt.Fprintf(e.stdout, "at change %d of %s, set digest %v (%d deltas, %d full)\n", st.Seq, *peer, st.SetDigest, st.Deltas, st.Fulls)
	}
	opts := replica.FollowerOptions{Peer: *peer, Interval: *interval, OnSync: report}
	if *natsURL != "" && !*once {
		wake, stop, err := watch(e.ctx, *natsURL, *peer)
		if err != nil {
			return closeDB(e, db, e.fail(fmt.Errorf("--nats: %w", err)))
		}
		defer stop()
		opts.Wake = wake
	}
	f, err := replica.NewFollower(db, b, opts)
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	if *once {
		st, err := f.Sync(e.ctx)
		report(st, err)
		if err != nil {
			return closeDB(e, db, exitError)
		}
		return closeDB(e, db, exitOK)
	}
	if err := f.Run(e.ctx); err != nil && !errors.Is(err, context.Canceled) {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

// watch watches org's wake-up key at the NATS server at url.
func watch(ctx context.Context, url, org string) (<-chan struct{}, func(), error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err == nil {
		var w *natswake.Wake
		if w, err = natswake.Open(ctx, js, natsBucket, org); err == nil {
			var c <-chan struct{}
			if c, err = w.Watch(ctx); err == nil {
				return c, nc.Close, nil
			}
		}
	}
	nc.Close()
	return nil, nil, err
}
