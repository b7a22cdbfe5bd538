package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// A signalType is one of python-threatexchange's signal types as the HMA
// routes name and spell it, and the hashdb algorithm that stores it.
// Adding a type (vpdq, once hashdb has it) is one entry in signalTypes.
type signalType struct {
	// name is pytx's name, the key of HMA's JSON.
	name string
	// content is the content type whose media it is computed from.
	content string
	// alg is the algorithm that stores it; media hashing computes it.
	alg signal.Algorithm
	// parse is pytx's validate_signal_str followed by the conversion to
	// hashdb's signal: the value, or why it is not one.
	parse func(string) (signal.Signal, error)
	// format writes a signal as pytx writes the type's values.
	format func(signal.Signal) string
}

// signalTypes are the signal types served, HMA's defaults.
var signalTypes = []signalType{
	hexType("pdq", "photo", signal.PDQ, false),
	hexType("video_md5", "video", signal.MD5, true),
}

// contentTypes are the content types served, in HMA's order.
var contentTypes = []struct {
	name string
	ct   hashdb.ContentType
}{{"photo", hashdb.ContentPhoto}, {"video", hashdb.ContentVideo}}

// hexType is a signal type whose values are the algorithm's lower-case
// hex: pdq's validate_signal_str rejects upper case; md5's strips and
// lower-cases first (fold).
func hexType(name, content string, alg signal.Algorithm, fold bool) signalType {
	n := alg.HexLen()
	return signalType{name: name, content: content, alg: alg, format: signal.Signal.Hex,
		parse: func(s string) (signal.Signal, error) {
			if fold {
				s = strings.ToLower(strings.TrimSpace(s))
			}
			if len(s) != n || strings.ContainsFunc(s, func(c rune) bool { return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') }) {
				return signal.Signal{}, fmt.Errorf("%q is not %d lower-case hex digits", truncate(s), n)
			}
			return signal.ParseHex(alg, s)
		}}
}

// exact reports whether t matches only equal values, whose distance HMA
// writes as "-".
func (t *signalType) exact() bool { return !t.alg.Perceptual() }

// distance writes d as HMA's lookups do: a string, "-" for exact types.
func (t *signalType) distance(d int) string {
	if t.exact() {
		return "-"
	}
	return fmt.Sprint(d)
}

// signalTypeNamed returns the signal type called name.
func signalTypeNamed(name string) (*signalType, bool) {
	i := slices.IndexFunc(signalTypes, func(t signalType) bool { return t.name == name })
	if i < 0 {
		return nil, false
	}
	return &signalTypes[i], true
}

// signalTypeOf returns the signal type a stored signal of algorithm a is
// served as.
func signalTypeOf(a signal.Algorithm) (*signalType, bool) {
	i := slices.IndexFunc(signalTypes, func(t signalType) bool { return t.alg == a })
	if i < 0 {
		return nil, false
	}
	return &signalTypes[i], true
}

// typesOf returns the signal types of a content type, those named in
// types (HMA's comma list) if it is not empty.
func typesOf(content, types string) ([]*signalType, error) {
	var want []string
	if types != "" {
		want = strings.Split(types, ",")
		for _, n := range want {
			if _, ok := signalTypeNamed(n); !ok {
				return nil, errorf(400, "signal type '%s' doesn't exist or is disabled", n)
			}
		}
	}
	var out []*signalType
	for i := range signalTypes {
		t := &signalTypes[i]
		if t.content == content && (want == nil || slices.Contains(want, t.name)) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errorf(400, "empty signal type selection")
	}
	return out, nil
}

// contentTypeNamed returns the hashdb content type of an HMA content type.
func contentTypeNamed(name string) (hashdb.ContentType, bool) {
	for _, c := range contentTypes {
		if c.name == name {
			return c.ct, true
		}
	}
	return 0, false
}

type signalTypeJSON struct {
	EnabledRatio pyFloat `json:"enabled_ratio"`
	Name         string  `json:"name"`
}

type contentTypeJSON struct {
	Enabled bool   `json:"enabled"`
	Name    string `json:"name"`
}

// handleSignalTypes serves GET /c/signal_type.
func (s *server) handleSignalTypes(w http.ResponseWriter, r *http.Request) {
	out := []signalTypeJSON{}
	for _, t := range signalTypes {
		out = append(out, signalTypeJSON{Name: t.name, EnabledRatio: 1})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleContentTypes serves GET /c/content_type.
func (s *server) handleContentTypes(w http.ResponseWriter, r *http.Request) {
	out := []contentTypeJSON{}
	for _, c := range contentTypes {
		out = append(out, contentTypeJSON{Name: c.name, Enabled: true})
	}
	writeJSON(w, http.StatusOK, out)
}
