package main

import (
	"net/http"
)

// handleHMAHashURL serves GET /h/hash?url=…[&content_type=…][&types=…].
func (s *server) handleHMAHashURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("url") == "" {
		writeValidationError(w, "query", "url", "Field required")
		return
	}
	up, err := s.fetchUpload(r.Context(), q.Get("url"), q.Get("content_type"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerHashes(w, r, up, q.Get("types"))
}

// handleHMAHashPost serves POST /h/hash, multipart with one file whose
// field is its content type.
func (s *server) handleHMAHashPost(w http.ResponseWriter, r *http.Request) {
	up, err := s.readUpload(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer up.close()
	s.answerHashes(w, r, up, r.URL.Query().Get("types"))
}

func (s *server) answerHashes(w http.ResponseWriter, r *http.Request, up *upload, types string) {
	hs, err := s.hashUpload(r.Context(), up, types)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, hashesJSON(hs))
}

// validationError is one entry of the 422 answer flask-openapi3 gives for
// a query parameter that fails pydantic's validation.
type validationError struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

// writeValidationError answers 422 with a list of one pydantic error,
// as HMA's routes whose parameters are bound through pydantic models do.
func writeValidationError(w http.ResponseWriter, where, field, msg string) {
	typ := "missing"
	if msg != "Field required" {
		typ = "value_error"
	}
	writeJSON(w, http.StatusUnprocessableEntity, []validationError{{Type: typ, Loc: []string{where, field}, Msg: msg}})
}
