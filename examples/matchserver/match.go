package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// matchRequest is the JSON form of POST /v1/match.
type matchRequest struct {
	Signals []string `json:"signals"`
	// VPDQ are videos' vPDQ hashes in pytx's form, and TMKPDQF their
	// TMK+PDQF hashes in ThreatExchange's, as /v1/hash gives them,
	// matched after the signals in that order.
	VPDQ    []string `json:"vpdq"`
	TMKPDQF []string `json:"tmk_pdqf"`
	// Thresholds are fixed-width signals' largest distances by
	// algorithm; TMKThresholds the TMK+PDQF scores (0: the reference's
	// 0.7).
	Thresholds        map[string]int     `json:"thresholds"`
	TMKThresholds     *tmkThresholdsJSON `json:"tmk_thresholds"`
	IncludeUnreliable bool               `json:"include_unreliable"`
}

// tmkThresholdsJSON is {"level1": 0.8, "level2": 0.75}.
type tmkThresholdsJSON struct {
	Level1 float32 `json:"level1"`
	Level2 float32 `json:"level2"`
}

// matchResponse is what POST /v1/match returns: one result per query
// signal and, for media, the media's hashes, in the library's JSON forms
// (hashdb.MatchResult's and media.Hashes').
type matchResponse struct {
	Hashes  *media.Hashes        `json:"hashes,omitempty"`
	Results []hashdb.MatchResult `json:"results"`
}

// results is rs as a JSON list: [] rather than null when empty.
func results(rs []hashdb.MatchResult) []hashdb.MatchResult {
	if rs == nil {
		return []hashdb.MatchResult{}
	}
	return rs
}

// parseThresholds reads {"pdq": 31, ...}.
func parseThresholds(m map[string]int) (map[signal.Algorithm]int, error) {
	out := map[signal.Algorithm]int{}
	for name, n := range m {
		a, err := signal.ParseAlgorithm(name)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "thresholds: %v", err)
		}
		if n < 0 || n > a.Bits() {
			return nil, errorf(http.StatusBadRequest, "thresholds: %s must be from 0 to %d, not %d", a, a.Bits(), n)
		}
		out[a] = n
	}
	return out, nil
}

// handleMatch serves POST /v1/match: a JSON body asks for signals and
// TMK+PDQF hashes, any other body is media, hashed and matched with every
// PDQ rotation and reflection, and a video's TMK+PDQF too when tmkParam
// says so. For media, thresholds come as query parameters,
// threshold=pdq=31 (repeatable), and include_unreliable=true.
func (s *server) handleMatch(w http.ResponseWriter, r *http.Request) {
	if mediaType(r) == "application/json" {
		s.matchSignals(w, r)
		return
	}
	th := map[string]int{}
	for _, v := range r.URL.Query()["threshold"] {
		name, num, ok := strings.Cut(v, "=")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "threshold=%q: want ALG=N, such as pdq=31", v))
			return
		}
		th[name] = n
	}
	thresholds, err := parseThresholds(th)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	withTMK, err := s.tmkParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := s.media(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := &hashdb.MatchOptions{Thresholds: thresholds, IncludeUnreliable: boolParam(r, "include_unreliable"), Hashing: &media.Options{Video: s.videoOptions()}}
	opts.Hashing.Video.TMK = withTMK
	ctx, leave, err := s.hashing(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer leave()
	start := time.Now()
	h, res, err := s.db.MatchMedia(ctx, body, opts)
	s.metrics.match.WithLabelValues("media").Observe(time.Since(start).Seconds())
	if err != nil {
		s.fail(w, r, readError(err))
		return
	}
	writeJSON(w, http.StatusOK, matchResponse{Hashes: h, Results: results(res)})
}

func (s *server) matchSignals(w http.ResponseWriter, r *http.Request) {
	var req matchRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, err)
		} else {
			s.fail(w, r, errorf(http.StatusBadRequest, "JSON body: %v", err))
		}
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		s.fail(w, r, errorf(http.StatusBadRequest, "JSON body: data after the object"))
		return
	}
	switch n := len(req.Signals) + len(req.VPDQ) + len(req.TMKPDQF); {
	case n == 0:
		s.fail(w, r, errorf(http.StatusBadRequest, `no "signals" (or "vpdq", or "tmk_pdqf") to match`))
		return
	case n > s.cfg.MaxSignals:
		s.fail(w, r, errorf(http.StatusRequestEntityTooLarge, "%d signals, more than the %d one request may ask", n, s.cfg.MaxSignals))
		return
	}
	qs := make([]signal.Signal, len(req.Signals))
	for i, str := range req.Signals {
		sig, err := signal.Parse(str)
		if err != nil {
			s.fail(w, r, fmt.Errorf("signals[%d]: %w", i, err))
			return
		}
		qs[i] = sig
	}
	vqs := make([]*vpdq.Hash, len(req.VPDQ))
	for i, str := range req.VPDQ {
		h, err := vpdq.ParsePyTX(str)
		if err == nil && len(h.Features) == 0 {
			err = fmt.Errorf("%w: no frames", vpdq.ErrInvalid)
		}
		if err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "vpdq[%d]: %v", i, err))
			return
		}
		vqs[i] = h
	}
	tqs := make([]*tmk.Hash, len(req.TMKPDQF))
	for i, str := range req.TMKPDQF {
		h, err := parseTMK(str)
		if err != nil {
			s.fail(w, r, fmt.Errorf("tmk_pdqf[%d]: %w", i, err))
			return
		}
		tqs[i] = h
	}
	thresholds, err := parseThresholds(req.Thresholds)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := &hashdb.MatchOptions{Thresholds: thresholds, IncludeUnreliable: req.IncludeUnreliable}
	if t := req.TMKThresholds; t != nil {
		if !(t.Level1 >= -1 && t.Level1 <= 1 && t.Level2 >= -1 && t.Level2 <= 1) {
			s.fail(w, r, errorf(http.StatusBadRequest, "tmk_thresholds: level1 and level2 must be from -1 to 1"))
			return
		}
		opts.TMK = &hashdb.TMKMatchOptions{Thresholds: tmk.Thresholds{Level1: t.Level1, Level2: t.Level2}}
	}
	start := time.Now()
	res, err := s.matchQueries(r.Context(), qs, vqs, tqs, opts)
	s.metrics.match.WithLabelValues("signals").Observe(time.Since(start).Seconds())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, matchResponse{Results: results(res)})
}

// matchQueries answers a JSON match request: one result per signal, then
// one per vPDQ hash (hashdb.DB.MatchVideo), then one per TMK+PDQF hash
// (hashdb.DB.MatchTMK), in order.
func (s *server) matchQueries(ctx context.Context, qs []signal.Signal, vqs []*vpdq.Hash, tqs []*tmk.Hash, opts *hashdb.MatchOptions) ([]hashdb.MatchResult, error) {
	var res []hashdb.MatchResult
	if len(qs) > 0 {
		var err error
		if res, err = s.db.Match(ctx, qs, opts); err != nil {
			return nil, err
		}
	}
	for i, q := range vqs {
		vr, err := s.db.MatchVideo(ctx, q, opts.Video)
		if err != nil {
			return nil, fmt.Errorf("vpdq[%d]: %w", i, err)
		}
		res = append(res, hashdb.MatchResult{Video: vr})
	}
	for i, q := range tqs {
		tr, err := s.db.MatchTMK(ctx, q, opts.TMK)
		if err != nil {
			return nil, fmt.Errorf("tmk_pdqf[%d]: %w", i, err)
		}
		res = append(res, hashdb.MatchResult{TMK: tr})
	}
	return res, nil
}
