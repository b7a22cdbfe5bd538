package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// bankMatchJSON is one match of a lookup.
type bankMatchJSON struct {
	ID       uint64 `json:"bank_content_id"`
	Distance string `json:"distance"`
}

// lookupOptions say which of a signal's matches a lookup keeps.
type lookupOptions struct {
	banks    []string // only these banks; nil for all
	coinflip bool     // drop banks whose ratio loses the coinflip
	seed     *string  // the coinflip's seed; nil for a random draw
	disabled bool     // keep disabled content (raw_lookup)
}

// A bankHit is bank content a signal matched, with the distance as HMA
// writes it.
type bankHit struct {
	bank     string
	num      uint64
	distance string
}

// A matchedItem is an item a value matched, with the distance as HMA
// writes it.
type matchedItem struct {
	item     *hashdb.Item
	distance string
}

// matchValue returns the live items v matches, nearest first: a
// fixed-width signal's by hashdb's index and threshold, a vPDQ's by
// hashdb.DB.MatchVideo with pytx's rule and thresholds, a TMK+PDQF's by
// hashdb.DB.MatchTMK with the reference's.
func (s *server) matchValue(ctx context.Context, t *signalType, v signalValue) ([]matchedItem, error) {
	start := time.Now()
	defer func() { s.metrics.match.WithLabelValues("lookup").Observe(time.Since(start).Seconds()) }()
	var out []matchedItem
	switch t.kind {
	case videoTMK:
		res, err := s.db.MatchTMK(ctx, v.tmk, nil)
		if err != nil {
			return nil, err
		}
		for i := range res.Matches {
			m := &res.Matches[i]
			out = append(out, matchedItem{item: &m.Item, distance: tmkDistance(m.Score)})
		}
		return out, nil
	case videoVPDQ:
		res, err := s.db.MatchVideo(ctx, v.video, &hashdb.VideoMatchOptions{MaxPairs: -1})
		if err != nil {
			return nil, err
		}
		for i := range res.Matches {
			m := &res.Matches[i]
			out = append(out, matchedItem{item: &m.Item, distance: m.Result.HMAString()})
		}
		return out, nil
	}
	res, err := s.db.Match(ctx, []signal.Signal{v.sig}, nil)
	if err != nil {
		return nil, err
	}
	for _, m := range res[0].Matches {
		for i := range m.Items {
			out = append(out, matchedItem{item: &m.Items[i], distance: t.distance(m.Distance)})
		}
	}
	return out, nil
}

// bankHits returns the bank content v matches, nearest first, each
// (bank, content) once. The local organisation's live items in existing
// banks are bank content, and so are the items an exchange fetched, in
// its bank only: filed under the exchange's source and labelled with its
// bank. Others' items, whatever their labels, are not.
func (s *server) bankHits(ctx context.Context, t *signalType, v signalValue, o lookupOptions) ([]bankHit, error) {
	found, err := s.matchValue(ctx, t, v)
	if err != nil {
		return nil, err
	}
	banks, err := s.bankRatios()
	if err != nil {
		return nil, err
	}
	draw := coinflip(o.seed)
	var keys []hashdb.Key
	type cand struct {
		bank     string
		key      int // index in keys
		distance string
	}
	var cands []cand
	for _, f := range found {
		it := f.item
		local := it.Source == s.db.Organization()
		fetchedInto, fetched := "", false
		if !local {
			if fetchedInto, fetched = s.exchanges.bankOfSource(it.Source); !fetched {
				continue
			}
		}
		for _, l := range it.Labels {
			b, ok := hashdb.BankOfLabel(l)
			if !ok || fetched && b != fetchedInto {
				continue
			}
			ratio, exists := banks[b]
			if !exists || o.banks != nil && !slices.Contains(o.banks, b) || o.coinflip && !(ratio >= draw) {
				continue
			}
			cands = append(cands, cand{bank: b, key: len(keys), distance: f.distance})
			keys = append(keys, it.Key)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	nums, err := s.db.Numbers(keys...)
	if err != nil {
		return nil, err
	}
	var states []hashdb.LocalState
	if !o.disabled {
		if states, err = s.db.LocalStates(nums...); err != nil {
			return nil, err
		}
	}
	now := s.cfg.Now()
	type seenKey struct {
		bank string
		num  uint64
	}
	seen := map[seenKey]bool{}
	var out []bankHit
	for _, c := range cands {
		n := nums[c.key]
		if n == 0 || seen[seenKey{c.bank, n}] || states != nil && states[c.key].DisabledAt(now) {
			continue // gone since the match, already listed, or disabled
		}
		seen[seenKey{c.bank, n}] = true
		out = append(out, bankHit{bank: c.bank, num: n, distance: c.distance})
	}
	return out, nil
}

// bankRatios returns each bank's match ratio, by name.
func (s *server) bankRatios() (map[string]float64, error) {
	bs, err := s.db.Banks()
	if err != nil {
		return nil, err
	}
	m := make(map[string]float64, len(bs))
	for _, b := range bs {
		m[b.Name] = b.MatchRatio
	}
	return m, nil
}

// coinflip draws the number in [0, 1) a lookup's banks' ratios are held
// against, as HMA's random.Random(seed).random(): one draw per lookup,
// Python's own number for a seed (pyRandom), so that a seeded lookup
// keeps and drops the banks HMA would.
func coinflip(seed *string) float64 {
	if seed == nil {
		return rand.Float64()
	}
	return pyRandom(*seed)
}

// seedParam is the seed= parameter; nil if absent. An empty seed is a
// seed, as in HMA, where random.Random("") draws 0.96… every time.
func seedParam(r *http.Request) *string {
	q := r.URL.Query()
	if !q.Has("seed") {
		return nil
	}
	s := q.Get("seed")
	return &s
}

// lookupJSON groups hits by bank, as /m/lookup answers: {} for none.
func lookupJSON(hits []bankHit) map[string][]bankMatchJSON {
	out := map[string][]bankMatchJSON{}
	for _, h := range hits {
		out[h.bank] = append(out[h.bank], bankMatchJSON{ID: h.num, Distance: h.distance})
	}
	return out
}

// banksParam reads the banks= comma list; nil if absent.
func banksParam(r *http.Request) []string {
	v := r.URL.Query().Get("banks")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// lookupSignal parses a signal_type and signal pair as the lookups do.
func lookupSignal(typeName, value string) (*signalType, signalValue, error) {
	t, ok := signalTypeNamed(typeName)
	if !ok {
		return nil, signalValue{}, errorf(http.StatusBadRequest, "No such SignalType '%s'", typeName)
	}
	v, err := t.parse(value)
	if err != nil {
		return nil, signalValue{}, errorf(http.StatusBadRequest, "invalid signal: %v", err)
	}
	return t, v, nil
}

// handleLookupGet serves GET /m/lookup: by signal_type and signal, keyed
// by bank; or by url, keyed by signal type, then bank. GET lookups are
// always coinflipped: HMA declares bypass_coinflip here but does not pass
// it on.
func (s *server) handleLookupGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := lookupOptions{banks: banksParam(r), coinflip: true, seed: seedParam(r)}
	if q.Get("url") != "" {
		up, err := s.fetchUpload(r.Context(), q.Get("url"), q.Get("content_type"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.lookupUpload(w, r, up, q.Get("types"), o)
		return
	}
	if q.Get("signal") == "" || q.Get("signal_type") == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "Either url or both signal and signal_type are required"))
		return
	}
	t, v, err := lookupSignal(q.Get("signal_type"), q.Get("signal"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hits, err := s.bankHits(r.Context(), t, v, o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, lookupJSON(hits))
}

// handleLookupPost serves POST /m/lookup: media as POST /h/hash takes it,
// keyed by signal type, then bank; bypass_coinflip=true (that literal
// only, as HMA) skips the coinflip.
func (s *server) handleLookupPost(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	up, err := s.readUpload(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer up.close()
	s.lookupUpload(w, r, up, q.Get("types"), lookupOptions{banks: banksParam(r), coinflip: q.Get("bypass_coinflip") != "true", seed: seedParam(r)})
}

func (s *server) lookupUpload(w http.ResponseWriter, r *http.Request, up *upload, types string, o lookupOptions) {
	hs, err := s.hashUpload(r.Context(), up, types)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]map[string][]bankMatchJSON{}
	for _, h := range hs {
		var hits []bankHit
		if !h.unreliable { // pytx has no value for it: nothing to look up
			if hits, err = s.bankHits(r.Context(), h.t, h.v, o); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		out[h.t.name] = lookupJSON(hits)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleRawLookup serves GET /m/raw_lookup: the content ids a signal
// matches, disabled content and banks that would lose the coinflip
// included.
func (s *server) handleRawLookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, p := range []string{"signal", "signal_type"} {
		if !q.Has(p) {
			writeValidationError(w, "query", p, "Field required")
			return
		}
	}
	withDistance := false
	if v := q.Get("include_distance"); v != "" {
		b, ok := pydanticBool(v)
		if !ok {
			writeValidationError(w, "query", "include_distance", "Input should be a valid boolean, unable to interpret input")
			return
		}
		withDistance = b
	}
	t, v, err := lookupSignal(q.Get("signal_type"), q.Get("signal"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hits, err := s.bankHits(r.Context(), t, v, lookupOptions{banks: banksParam(r), disabled: true})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A content id is listed once, whatever banks it is in.
	seen := map[uint64]bool{}
	ids, withD := []uint64{}, []bankMatchJSON{}
	for _, h := range hits {
		if seen[h.num] {
			continue
		}
		seen[h.num] = true
		ids = append(ids, h.num)
		withD = append(withD, bankMatchJSON{ID: h.num, Distance: h.distance})
	}
	if withDistance {
		writeJSON(w, http.StatusOK, map[string]any{"matches": withD})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"matches": ids})
}

// pydanticBool reads a bool as pydantic does from a query string.
func pydanticBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true
	}
	return false, false
}
