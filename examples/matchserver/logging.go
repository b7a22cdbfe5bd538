package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// A logEntry collects what the access log line of one request says; the
// role check fills in the actor.
type logEntry struct{ actor string }

type logKey struct{}

// noteActor records the request's actor for its access log line: the
// token's name, never the token.
func noteActor(r *http.Request, name string) {
	if e, ok := r.Context().Value(logKey{}).(*logEntry); ok {
		e.actor = name
	}
}

// statusWriter notes the status code and size of a response for the
// access log.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one structured line per request: route, method, path,
// status, size, time taken and actor. The query string is left out: a
// URL to fetch or a signal is the caller's business, not the log's.
func (s *server) accessLog(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e := &logEntry{actor: "-"}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), logKey{}, e)))
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("route", route), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.code), slog.Int64("bytes", sw.bytes),
			slog.Duration("took", time.Since(start)), slog.String("actor", e.actor),
			slog.String("remote", r.RemoteAddr))
	})
}
