package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/feeds"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "token" {
		err = runToken(os.Args[2:], os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "matchserver:", err)
		os.Exit(1)
	}
}

// timeouts bound how long one connection may take.
type timeouts struct {
	ReadHeader, Read, Write, Idle, Shutdown time.Duration
}

// run parses flags, opens the database and serves until ctx ends.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("matchserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5100", "listen `address` (5100 is HMA's port)")
	dbPath := fs.String("db", "hashshare.db", "database `file`")
	keyPath := fs.String("key", "", "signing key `file` (hashdb keygen) for GET /v1/bundles; without it exporting is off")
	org := fs.String("org", "", "this database's `organisation` (default: the key file's)")
	maxBody := fs.Int64("max-body", 64<<20, "largest media body in `bytes`")
	maxVideoBody := fs.Int64("max-video-body", 512<<20, "largest media body in `bytes` when the media is a video")
	maxBundle := fs.Int64("max-bundle", 1<<30, "largest bundle imported, in `bytes`")
	tmp := fs.String("tmp", "", "`directory` for bundles in transit and videos being hashed (default: the system's)")
	t := timeouts{ReadHeader: 10 * time.Second, Idle: 2 * time.Minute}
	fs.DurationVar(&t.Read, "read-timeout", 5*time.Minute, "longest time to read a request, body included")
	fs.DurationVar(&t.Write, "write-timeout", 5*time.Minute, "longest time to write a response")
	fs.DurationVar(&t.Shutdown, "shutdown-timeout", 30*time.Second, "longest wait for requests in flight at shutdown")
	tokenPath := fs.String("tokens", "", "bearer token `file` (matchserver token writes its lines); without it every route is open and only a loopback address is served")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics, without a token, on this `address` instead of the API's")
	fetchHosts := fs.String("fetch-hosts", "", "comma-separated `hosts` GET url= may fetch from (\"*.example.org\" for subdomains, \"*\" for any); empty turns fetching off")
	fetchPrivate := fs.Bool("fetch-private", false, "let url= fetches reach loopback, private and link-local addresses")
	fetchMax := fs.Int64("fetch-max", 100<<20, "largest body a url= fetch reads, in `bytes`")
	fetchTimeout := fs.Duration("fetch-timeout", 30*time.Second, "longest time a url= fetch takes")
	bankTLP := fs.String("bank-tlp", "AMBER", "sharing `level` of content added to banks")
	minRate := fs.Int64("min-body-rate", 256<<10, "slowest a request body may arrive, in `bytes` per second: a body's deadline is 10 s plus its length at this rate (at most -read-timeout)")
	hashWorkers := fs.Int("hash-workers", 0, "requests that decode and hash media at once (default: one per core)")
	hashQueue := fs.Int("hash-queue", 0, "requests that may wait to hash before the server answers 503 (default: 4 per worker)")
	hashTimeout := fs.Duration("hash-timeout", time.Minute, "longest time one request's hashing takes, waiting included (a video's decoding too)")
	imports := fs.Int("imports", 1, "bundle imports run at once; two more may wait, then 503")
	fetchInterval := fs.Duration("fetch-interval", DefaultFetchInterval, "time between two rounds of the exchanges' fetches (within 10%)")
	fetchTime := fs.Duration("fetch-max-time", DefaultFetchTime, "longest one exchange's fetch goes on before the next exchange's turn (it resumes in the next round, at once)")
	exchangeCreds := fs.String("exchange-credentials", "", "`file` (mode 0600) keeping the exchange APIs' credentials (default: the database's path and .credentials)")
	exchangeBases := fs.String("exchange-base-url", "", "comma-separated `api=URL` pairs replacing exchange APIs' public bases (private mirrors, test servers)")
	exchangeCA := fs.String("exchange-ca", "", "PEM `file` of CA certificates trusted, beside the system's, for exchanges a private deployment serves")
	exchangeReport := fs.Bool("exchange-report", false, "after each fetch, report this organisation's opinions on the exchange's items back to it")
	withTMK := fs.Bool("tmk", false, "compute videos' TMK+PDQF hash whenever media is hashed (/v1 unless tmk=false; among the HMA routes' default video types): a second output of each video's decode")
	var follow followConfig
	fs.StringVar(&follow.URL, "follow", "", "follow a peer's bundles in this bucket `URL` (s3://, gs://, azblob://, file://, mem://), serving while it syncs")
	fs.StringVar(&follow.Peer, "peer", "", "the `organisation` -follow follows: a peer whose keys verify its manifest and bundles")
	fs.DurationVar(&follow.Interval, "follow-interval", 30*time.Second, "how often -follow polls the manifest (jittered)")
	fs.StringVar(&follow.NATS, "follow-nats", "", "NATS `URL` whose JetStream key wakes -follow at once (hashdb publish --nats)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := config{MaxBody: *maxBody, MaxVideoBody: *maxVideoBody, MaxBundle: *maxBundle, TempDir: *tmp, Log: log, MetricsApart: *metricsAddr != "",
		ReadTimeout: t.Read, MinBodyRate: *minRate, HashWorkers: *hashWorkers, HashQueue: *hashQueue, HashTimeout: *hashTimeout, Imports: *imports, TMK: *withTMK}
	if *tokenPath != "" {
		ts, err := readTokens(*tokenPath)
		if err != nil {
			return err
		}
		cfg.Tokens = ts
	}
	if *fetchHosts != "" {
		cfg.Fetch = &fetchConfig{Hosts: strings.Split(*fetchHosts, ","), AllowPrivate: *fetchPrivate, MaxBytes: *fetchMax, Timeout: *fetchTimeout}
	}
	cfg.Exchanges = exchangeOptions{Interval: *fetchInterval, FetchTime: *fetchTime, Credentials: *exchangeCreds, Report: *exchangeReport}
	if cfg.Exchanges.Credentials == "" {
		cfg.Exchanges.Credentials = *dbPath + ".credentials"
	}
	if *exchangeCA != "" {
		pem, err := os.ReadFile(*exchangeCA)
		if err != nil {
			return fmt.Errorf("-exchange-ca: %w", err)
		}
		if cfg.Exchanges.Transport.Client, err = feeds.NewClient(pem); err != nil {
			return fmt.Errorf("-exchange-ca: %w", err)
		}
	}
	if *exchangeBases != "" {
		cfg.Exchanges.BaseURLs = map[string]string{}
		for _, kv := range strings.Split(*exchangeBases, ",") {
			api, u, ok := strings.Cut(kv, "=")
			if _, known := exchangeAPINamed(api); !ok || !known || u == "" {
				return fmt.Errorf("-exchange-base-url: %q is not api=URL with api one of fb_threatexchange, ncmec, stop_ncii, tat", kv)
			}
			cfg.Exchanges.BaseURLs[api] = u
		}
	}
	lvl, err := tlp.Parse(*bankTLP)
	if err != nil {
		return fmt.Errorf("-bank-tlp: %w", err)
	}
	cfg.BankTLP = lvl
	if *keyPath != "" {
		k, err := readKeyFile(*keyPath)
		if err != nil {
			return err
		}
		cfg.Key = k
		if *org == "" {
			*org = k.Organization
		}
		if *org == "" {
			return errors.New("exporting needs this database's organisation: -org ORG (or hashdb keygen --org)")
		}
	}
	if *org == "" {
		log.Warn("no -org (nor -key with an organisation): banks cannot take content, which belongs to this server's organisation")
	}
	opts := hashdb.DefaultOptions()
	opts.Organization = *org
	opts.Timeout = 10 * time.Second
	db, err := hashdb.Open(*dbPath, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	// A Match of nothing builds the match indexes, so that the first
	// request does not wait for them.
	start := time.Now()
	if _, err := db.Match(ctx, nil, nil); err != nil {
		return err
	}
	log.Info("indexes ready", "took", time.Since(start).Round(time.Millisecond))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if cfg.Tokens == nil && !isLoopback(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("refusing to serve %s without -tokens: every route, writes and RED items included, would be open to anyone who reaches it; give -tokens FILE (matchserver token --name NAME --roles ROLES writes its lines), or listen on a loopback address such as 127.0.0.1:5100", ln.Addr())
	}
	if cfg.Tokens == nil {
		log.Warn("no -tokens: every route is open to local callers", "addr", ln.Addr().String())
	}
	srv := newServer(db, cfg)
	if err := srv.exchanges.broken; err != nil {
		ln.Close()
		return err
	}
	// The fetches stop with ctx, before the database closes.
	fctx, stopFetching := context.WithCancel(ctx)
	fetched := make(chan struct{})
	go func() { defer close(fetched); srv.exchanges.run(fctx) }()
	defer func() { stopFetching(); <-fetched }()
	if follow.URL != "" || follow.Peer != "" {
		if follow.URL == "" || follow.Peer == "" {
			ln.Close()
			return errors.New("-follow URL and -peer ORG go together")
		}
		follow.TempDir = *tmp
		stop, err := startFollow(ctx, db, srv.metrics.reg, follow, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	errc := make(chan error, 1)
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		log.Info("serving metrics", "addr", mln.Addr().String())
		go func() { errc <- serve(ctx, mln, srv.metrics.handler(), t, log) }()
	} else {
		errc <- nil
	}
	log.Info("serving", "addr", ln.Addr().String(), "db", *dbPath, "export", cfg.Key != nil, "tokens", len(cfg.Tokens), "fetch", cfg.Fetch != nil,
		"exchanges", len(srv.exchanges.names()), "fetch_interval", cfg.Exchanges.Interval)
	err = serve(ctx, ln, srv.Handler(), t, log)
	return errors.Join(err, <-errc)
}

// isLoopback reports whether a listener's address is a loopback one.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// serve serves h on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets the requests in flight finish (for at most t.Shutdown)
// and returns.
func serve(ctx context.Context, ln net.Listener, h http.Handler, t timeouts, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
