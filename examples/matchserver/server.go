package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// config is what a server is built with; main fills it from flags.
type config struct {
	// MaxBody is the largest request body accepted for hashing and
	// matching, MaxVideoBody the largest when the media is a video (zero
	// means 64 MiB and 512 MiB); MaxBundle the largest bundle imported.
	MaxBody, MaxVideoBody, MaxBundle int64
	// MaxSignals is the most signals one JSON match request may ask.
	MaxSignals int
	// Key signs exported bundles; nil turns GET /v1/bundles off.
	Key *signing.Key
	// TempDir holds bundles being imported or exported; "" means the
	// system's.
	TempDir string
	// Log receives errors, lifecycle messages and the access log; nil
	// discards them.
	Log *slog.Logger
	// Tokens are the bearer tokens accepted; nil leaves every route open
	// (main allows that only on a loopback address).
	Tokens tokens
	// MetricsApart serves /metrics elsewhere (-metrics-addr): the API's
	// handler has no /metrics route.
	MetricsApart bool
	// Fetch configures GET url= fetching; nil turns it off.
	Fetch *fetchConfig
	// BankTLP is the sharing level of items added to banks; zero means
	// AMBER.
	BankTLP tlp.Level
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// HashWorkers is how many requests decode and hash media at once, and
	// HashQueue how many more may wait; past that the server answers 503
	// with Retry-After. Zero means one per core, and four per worker.
	HashWorkers, HashQueue int
	// HashTimeout bounds one request's hashing, waiting included; zero
	// means a minute.
	HashTimeout time.Duration
	// Imports is how many bundle imports run at once (each holds the
	// write lock while it applies), and ImportQueue how many more may
	// wait; zero means one and two.
	Imports, ImportQueue int
	// ReadTimeout bounds reading a request, body included; MinBodyRate is
	// the slowest a body may arrive, in bytes per second, so that a
	// request's deadline is BodyGrace plus its length at that rate, if
	// sooner. Zero means five minutes and 256 KiB/s.
	ReadTimeout time.Duration
	MinBodyRate int64
	// BodyGrace is what a body's deadline allows beyond its length at
	// MinBodyRate; zero means ten seconds.
	BodyGrace time.Duration
	// Exchanges configures the exchanges of /c/exchanges and their
	// schedule, which runs while exchanges.run does (main starts it).
	Exchanges exchangeOptions
	// TMK computes videos' TMK+PDQF hash whenever media is hashed: on /v1
	// unless a request says tmk=false, and on the HMA routes as one of a
	// video's default signal types. It is off by default because its
	// second output of the decode costs about a fifth more time.
	TMK bool
}

// server serves one hashshare database over HTTP and JSON in two forms:
// Meta's Hasher-Matcher-Actioner 2.0 API (/h, /m, /c and the status
// routes), and hashshare's own, richer /v1 (every signal, labels,
// sources, opinions, bundles).
type server struct {
	db         *hashdb.DB
	cfg        config
	metrics    *metrics
	log        *slog.Logger
	fetch      *fetcher
	hashGate   *gate
	importGate *gate
	exchanges  *exchanges
}

func newServer(db *hashdb.DB, cfg config) *server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxVideoBody <= 0 {
		cfg.MaxVideoBody = 512 << 20
	}
	if cfg.MaxBundle <= 0 {
		cfg.MaxBundle = 1 << 30
	}
	if cfg.MaxSignals <= 0 {
		cfg.MaxSignals = 10000
	}
	if cfg.BankTLP == 0 {
		cfg.BankTLP = tlp.Amber
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HashWorkers <= 0 {
		cfg.HashWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.HashQueue <= 0 {
		cfg.HashQueue = 4 * cfg.HashWorkers
	}
	if cfg.HashTimeout <= 0 {
		cfg.HashTimeout = time.Minute
	}
	if cfg.Imports <= 0 {
		cfg.Imports = 1
	}
	if cfg.ImportQueue <= 0 {
		cfg.ImportQueue = 2
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 5 * time.Minute
	}
	if cfg.MinBodyRate <= 0 {
		cfg.MinBodyRate = 256 << 10
	}
	if cfg.BodyGrace <= 0 {
		cfg.BodyGrace = 10 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{db: db, cfg: cfg, metrics: newMetrics(db), log: log,
		hashGate:   newGate("hashing", cfg.HashWorkers, cfg.HashQueue, time.Second),
		importGate: newGate("importing", cfg.Imports, cfg.ImportQueue, 10*time.Second),
	}
	if cfg.Fetch != nil {
		s.fetch = newFetcher(*cfg.Fetch)
	}
	s.exchanges = newExchanges(db, cfg.Exchanges, log, cfg.Now)
	return s
}

// Handler returns the server's routes (see routes.go), each logged,
// counted and timed by route, and guarded by its role.
func (s *server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern(), s.wrap(rt))
	}
	unrouted := s.accessLog("unmatched", s.metrics.instrument("unmatched", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No route: let the mux decide between 404 and 405 (and the
		// Allow header), but answer in JSON like every error.
		h, _ := mux.Handler(r)
		probe := &probe{header: http.Header{}, code: http.StatusOK}
		h.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		msg := "no such route: " + r.Method + " " + r.URL.Path
		if probe.code == http.StatusMethodNotAllowed {
			msg = "method " + r.Method + " not allowed for " + r.URL.Path
		}
		writeError(w, apiOfPath(r.URL.Path), probe.code, msg)
	})))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			unrouted.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// wrap chains a route's handler: the body deadline outermost (it needs
// the connection's own ResponseWriter), then the access log, the
// metrics and the role check.
func (s *server) wrap(rt route) http.Handler {
	largest := s.cfg.MaxBody
	switch rt.path {
	case "/v1/bundles":
		largest = s.cfg.MaxBundle
	case "/v1/hash", "/v1/match", "/h/hash", "/m/lookup", "/c/bank/{bank_name}/content":
		largest = s.maxMediaBody() // a video may come
	}
	h := s.accessLog(rt.pattern(), s.metrics.instrument(rt.pattern(), s.authorize(rt, rt.handler)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		d := bodyDeadline(now, r, largest, s.cfg.BodyGrace, s.cfg.MinBodyRate)
		if limit := now.Add(s.cfg.ReadTimeout); d.After(limit) {
			d = limit
		}
		// Not every ResponseWriter (a test's recorder) can set one.
		_ = http.NewResponseController(w).SetReadDeadline(d)
		h.ServeHTTP(w, r)
	})
}

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
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "<bank_name>" as Flask writes it, not "\u003cbank_name\u003e"
	_ = enc.Encode(v)
}

// errorJSON is the body of every /v1 error response.
type errorJSON struct {
	Error string `json:"error"`
}

// messageJSON is the body of every HMA error response, as HMA's
// api_error_handler writes it.
type messageJSON struct {
	Message string `json:"message"`
}

// writeError writes msg in the error shape of the API a route belongs to.
func writeError(w http.ResponseWriter, a api, code int, msg string) {
	if a == apiHMA {
		writeJSON(w, code, messageJSON{msg})
		return
	}
	writeJSON(w, code, errorJSON{msg})
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

// fail writes err in the error shape of the request's API ({"error": …}
// or {"message": …}) with the status its cause calls for. The causes of
// server errors are logged, not sent.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	retryAfter(w, err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	writeError(w, apiOfPath(r.URL.Path), code, msg)
}

// statusOf maps an error to an HTTP status code.
func statusOf(err error) int {
	var he *httpError
	var mbe *http.MaxBytesError
	var be *busyError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.As(err, &be):
		return http.StatusServiceUnavailable
	case errors.As(err, &mbe), errors.Is(err, media.ErrImageTooLarge), errors.Is(err, media.ErrVideoTooLarge), errors.Is(err, hashdb.ErrLimit):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, media.ErrVideoUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, media.ErrNoVideoDecoder):
		return http.StatusNotImplemented
	case errors.Is(err, media.ErrVideoTimeout):
		return http.StatusServiceUnavailable
	case errors.Is(err, hashdb.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, hashdb.ErrUnknownKey), errors.Is(err, hashdb.ErrSignature),
		errors.Is(err, hashdb.ErrUnknownPeer), errors.Is(err, hashdb.ErrKeyRevoked), errors.Is(err, hashdb.ErrAudience):
		return http.StatusForbidden
	case errors.Is(err, hashdb.ErrSequenceGap), errors.Is(err, hashdb.ErrReplay), errors.Is(err, hashdb.ErrDiverged):
		return http.StatusConflict
	case errors.Is(err, media.ErrImageDecode), errors.Is(err, media.ErrVideoDecode), errors.Is(err, vpdq.ErrInvalid), errors.Is(err, tmk.ErrInvalid), errors.Is(err, tmk.ErrIncompatible), errors.Is(err, signal.ErrInvalid), errors.Is(err, signal.ErrUnknownAlgorithm),
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

// handleHealth serves GET /healthz.
func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if _, err := s.db.Stats(); err != nil {
		s.log.Error("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorJSON{"database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
