// Command matchserver serves a hashshare database over HTTP and JSON, in
// the shape of Meta's Hasher-Matcher-Actioner:
//
//	POST /v1/hash                  hash media (raw body, or multipart "file")
//	POST /v1/match                 match media, or JSON {"signals": [...], "thresholds": {...}}
//	GET  /v1/items/{source}/{id}   one item
//	POST /v1/bundles               import a partner's signed bundle
//	GET  /v1/bundles?since=N       export a signed bundle (needs -key)
//	GET  /healthz                  liveness
//	GET  /metrics                  Prometheus metrics
//
// Errors are JSON, {"error": "..."}, with a status code that says whose
// fault it is. The server shuts down gracefully on SIGINT or SIGTERM.
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
	"syscall"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
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
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`")
	dbPath := fs.String("db", "hashshare.db", "database `file`")
	keyPath := fs.String("key", "", "signing key `file` (hashdb keygen) for GET /v1/bundles; without it exporting is off")
	org := fs.String("org", "", "this database's `organisation` (default: the key file's)")
	maxBody := fs.Int64("max-body", 64<<20, "largest media body in `bytes`")
	maxBundle := fs.Int64("max-bundle", 1<<30, "largest bundle imported, in `bytes`")
	tmp := fs.String("tmp", "", "`directory` for bundles in transit (default: the system's)")
	t := timeouts{ReadHeader: 10 * time.Second, Idle: 2 * time.Minute}
	fs.DurationVar(&t.Read, "read-timeout", 5*time.Minute, "longest time to read a request, body included")
	fs.DurationVar(&t.Write, "write-timeout", 5*time.Minute, "longest time to write a response")
	fs.DurationVar(&t.Shutdown, "shutdown-timeout", 30*time.Second, "longest wait for requests in flight at shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := config{MaxBody: *maxBody, MaxBundle: *maxBundle, TempDir: *tmp, Log: log}
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
	log.Info("serving", "addr", ln.Addr().String(), "db", *dbPath, "export", cfg.Key != nil)
	return serve(ctx, ln, newServer(db, cfg).Handler(), t, log)
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
