package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
)

// config is what a server is built with; main fills it from flags.
type config struct {
	// MaxBody is the largest request body accepted for hashing and
	// matching; MaxBundle the largest bundle imported.
	MaxBody, MaxBundle int64
	// MaxSignals is the most signals one JSON match request may ask.
	MaxSignals int
	// Key signs exported bundles; nil turns GET /v1/bundles off.
	Key *signing.Key
	// TempDir holds bundles being imported or exported; "" means the
	// system's.
	TempDir string
	// Log receives errors and lifecycle messages; nil discards them.
	Log *slog.Logger
}

// server serves one hashshare database over HTTP and JSON, in the shape of
// Meta's Hasher-Matcher-Actioner: hash media, match media or signals, read
// items, and exchange signed bundles with partners.
type server struct {
	db      *hashdb.DB
	cfg     config
	metrics *metrics
	log     *slog.Logger
}

func newServer(db *hashdb.DB, cfg config) *server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxBundle <= 0 {
		cfg.MaxBundle = 1 << 30
	}
	if cfg.MaxSignals <= 0 {
		cfg.MaxSignals = 10000
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &server{db: db, cfg: cfg, metrics: newMetrics(db), log: log}
}

// Handler returns the server's routes, each counted by pattern and status
// code in the metrics.
func (s *server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/hash", s.handleHash)
	mux.HandleFunc("POST /v1/match", s.handleMatch)
	mux.HandleFunc("GET /v1/items/{source}/{id...}", s.handleItem)
	mux.HandleFunc("POST /v1/bundles", s.handleImport)
	mux.HandleFunc("GET /v1/bundles", s.handleExport)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		if h, pattern := mux.Handler(r); pattern == "" {
			// No route: let the mux decide between 404 and 405 (and
			// the Allow header), but answer in JSON like every error.
			probe := &probe{header: http.Header{}, code: http.StatusOK}
			h.ServeHTTP(probe, r)
			if allow := probe.header.Get("Allow"); allow != "" {
				rec.Header().Set("Allow", allow)
			}
			msg := "no such route: " + r.Method + " " + r.URL.Path
			if probe.code == http.StatusMethodNotAllowed {
				msg = "method " + r.Method + " not allowed for " + r.URL.Path
			}
			writeJSON(rec, probe.code, errorJSON{msg})
		} else {
			mux.ServeHTTP(rec, r)
		}
		// ServeMux records the pattern it routed to on r; an unrouted
		// request (404, 405) has none.
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.requests.WithLabelValues(route, fmt.Sprint(rec.code)).Inc()
	})
}

// recorder notes the status code a handler writes.
type recorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.written {
		r.code, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// probe is a ResponseWriter that only notes a status code and headers.
type probe struct {
	header http.Header
	code   int
}

func (p *probe) Header() http.Header         { return p.header }
func (p *probe) Write(b []byte) (int, error) { return len(b), nil }
func (p *probe) WriteHeader(code int)        { p.code = code }

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// errorJSON is the body of every error response.
type errorJSON struct {
	Error string `json:"error"`
}

// httpError is an error that carries its status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, a ...any) error {
	return &httpError{code, fmt.Sprintf(format, a...)}
}

// fail writes err as {"error": ...} with the status its cause calls for.
// The causes of server errors are logged, not sent.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	writeJSON(w, code, errorJSON{msg})
}

// statusOf maps an error to an HTTP status code.
func statusOf(err error) int {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.As(err, &mbe), errors.Is(err, media.ErrImageTooLarge), errors.Is(err, hashdb.ErrLimit):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, hashdb.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, hashdb.ErrUnknownKey), errors.Is(err, hashdb.ErrSignature),
		errors.Is(err, hashdb.ErrUnknownPeer), errors.Is(err, hashdb.ErrKeyRevoked), errors.Is(err, hashdb.ErrAudience):
		return http.StatusForbidden
	case errors.Is(err, hashdb.ErrSequenceGap), errors.Is(err, hashdb.ErrReplay), errors.Is(err, hashdb.ErrDiverged):
		return http.StatusConflict
	case errors.Is(err, media.ErrImageDecode), errors.Is(err, signal.ErrInvalid), errors.Is(err, signal.ErrUnknownAlgorithm),
		errors.Is(err, hashdb.ErrTruncated), errors.Is(err, hashdb.ErrMalformed), errors.Is(err, hashdb.ErrBundleVersion),
		errors.Is(err, hashdb.ErrInvalidItem), errors.Is(err, hashdb.ErrInvalidOpinion), errors.Is(err, hashdb.ErrInvalidOptions):
		return http.StatusBadRequest
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// mediaType returns the request's media type, lower case, without
// parameters; "" when none is given.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return strings.ToLower(mt)
}

// notMedia reports content types that are certainly not media bytes: a
// form or text sent where an image (or a bundle) is expected.
func notMedia(mt string) bool {
	return mt == "application/x-www-form-urlencoded" || mt == "invalid" || strings.HasPrefix(mt, "text/")
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if _, err := s.db.Stats(); err != nil {
		s.log.Error("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorJSON{"database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
