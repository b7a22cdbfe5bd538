package main

import (
	"net/http"
)

// handleStatus serves GET /status: "I-AM-ALIVE" as plain text, or 503
// "INDEX-NOT-LOADED" when the database cannot be read. The indexes are
// built before the server listens and follow every commit, so they are
// never stale, HMA's other 503.
func (s *server) handleStatus(w http.ResponseWriter, r *http.Request) {
	if _, err := s.db.Stats(); err != nil {
		s.log.Error("status check failed", "err", err)
		writeText(w, http.StatusServiceUnavailable, "INDEX-NOT-LOADED")
		return
	}
	writeText(w, http.StatusOK, "I-AM-ALIVE")
}

// handleStatusLive serves GET /status/live: "I-AM-ALIVE", always.
func (s *server) handleStatusLive(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, "I-AM-ALIVE")
}

// handleSiteMap serves GET /site-map: the route paths, sorted.
func (s *server) handleSiteMap(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.siteMap())
}

// writeText writes a plain-text body, as Flask does for a returned str.
func writeText(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(s))
}
