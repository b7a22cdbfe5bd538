package main

import (
	"encoding/json"
	"io"
	"net/http"
)

// maxCompareBody is the largest body of /m/compare: room for a pair of
// tmk_pdqf values (351,125 characters each) beside other types' pairs.
const maxCompareBody = 2 << 20

// handleCompare serves POST /m/compare: {"<type>": ["<a>", "<b>"], …} to
// {"<type>": [<match>, <similarity>], …}, the similarity as
// signalType.compare writes it: {"distance": <int>} for pdq.
func (s *server) handleCompare(w http.ResponseWriter, r *http.Request) {
	var req map[string]json.RawMessage
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCompareBody))
	if err != nil {
		s.fail(w, r, badRequest(err))
		return
	}
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "Request input was not a dict"))
		return
	}
	out := map[string][2]any{}
	for name, raw := range req {
		t, ok := signalTypeNamed(name)
		if !ok {
			s.fail(w, r, errorf(http.StatusBadRequest, "No such SignalType '%s'", name))
			return
		}
		var pair []string
		if err := json.Unmarshal(raw, &pair); err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "Comparison hashes for %s was not a list", name))
			return
		}
		if len(pair) != 2 {
			s.fail(w, r, errorf(http.StatusBadRequest, "Comparison hash list length must be exactly 2"))
			return
		}
		var vals [2]signalValue
		for i, v := range pair {
			if vals[i], err = t.parse(v); err != nil {
				s.fail(w, r, errorf(http.StatusBadRequest, "Invalid %s hash: %v", name, err))
				return
			}
		}
		if out[name], err = t.compare(vals[0], vals[1]); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// indexStatusJSON is one signal type's entry of /m/index/status.
type indexStatusJSON struct {
	BuiltTo int64 `json:"built_to"`
	Present bool  `json:"present"`
	Size    int64 `json:"size"`
}

// handleIndexStatus serves GET /m/index/status. The indexes follow every
// commit, so each is built to the last change; its size is the signals of
// live items it holds. The video types (vpdq, tmk_pdqf) have no entry:
// hashdb's Stats keep no count of videos or of TMK+PDQF hashes, and
// counting them would cost a scan of every item.
func (s *server) handleIndexStatus(w http.ResponseWriter, r *http.Request) {
	types := signalTypes
	if name := r.URL.Query().Get("signal_type"); name != "" {
		t, ok := signalTypeNamed(name)
		if !ok {
			s.fail(w, r, errorf(http.StatusBadRequest, "No such signal type '%s'", name))
			return
		}
		types = []signalType{*t}
	}
	st, err := s.db.Stats()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	last, ok, err := lastChange(s.db, st.LastSeq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]indexStatusJSON{}
	for _, t := range types {
		if t.isVideo() {
			continue
		}
		e := indexStatusJSON{BuiltTo: -1}
		if ok {
			e = indexStatusJSON{Present: true, BuiltTo: last.Unix(), Size: int64(st.Signals[t.alg])}
		}
		out[t.name] = e
	}
	writeJSON(w, http.StatusOK, out)
}
