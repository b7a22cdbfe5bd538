package main

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// A signalType is one of python-threatexchange's signal types as the HMA
// routes name and spell it (and tmk_pdqf, in their style), and how hashdb
// stores it: a fixed-width signal of one algorithm, or one of an item's
// two video hashes. Adding a fixed-width type is one entry in
// signalTypes; what differs for the video types is in the methods below
// and in hma_vpdq.go and hma_tmk.go, not in the handlers.
type signalType struct {
	// name is pytx's name, the key of HMA's JSON.
	name string
	// content is the content type whose media it is computed from.
	content string
	// kind says where hashdb keeps the type's values.
	kind valueKind
	// alg is the algorithm that stores a fixed-width type; 0 for the
	// video types.
	alg signal.Algorithm
	// parse is pytx's validate_signal_str followed by the conversion to
	// hashdb's value: the value, or why it is not one.
	parse func(string) (signalValue, error)
	// format writes a value as pytx writes the type's values.
	format func(signalValue) string
}

// A valueKind is where hashdb keeps a signal type's values.
type valueKind uint8

const (
	fixedWidth valueKind = iota // hashdb.Item.Signals, of the type's algorithm
	videoVPDQ                   // hashdb.Item.Video
	videoTMK                    // hashdb.Item.TMK
)

// A signalValue is one value of a signal type: sig for a fixed-width
// type, video for vpdq, tmk for tmk_pdqf.
type signalValue struct {
	sig   signal.Signal
	video *vpdq.Hash
	tmk   *tmk.Hash
}

// signalTypes are the signal types served: HMA's defaults, vpdq and
// tmk_pdqf.
var signalTypes = []signalType{
	hexType("pdq", "photo", signal.PDQ, false),
	hexType("video_md5", "video", signal.MD5, true),
	vpdqType,
	tmkType,
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
	return signalType{name: name, content: content, alg: alg,
		format: func(v signalValue) string { return v.sig.Hex() },
		parse: func(s string) (signalValue, error) {
			if fold {
				s = strings.ToLower(strings.TrimSpace(s))
			}
			if len(s) != n || strings.ContainsFunc(s, func(c rune) bool { return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') }) {
				return signalValue{}, fmt.Errorf("%q is not %d lower-case hex digits", truncate(s), n)
			}
			sig, err := signal.ParseHex(alg, s)
			return signalValue{sig: sig}, err
		}}
}

// isVideo reports whether t's values are video hashes (vpdq, tmk_pdqf).
func (t *signalType) isVideo() bool { return t.kind != fixedWidth }

// needsTMK reports whether computing t takes TMK+PDQF's output of the
// decode.
func (t *signalType) needsTMK() bool { return t.kind == videoTMK }

// exact reports whether t matches only equal values, whose distance HMA
// writes as "-".
func (t *signalType) exact() bool { return !t.isVideo() && !t.alg.Perceptual() }

// distance writes d as HMA's lookups do: a string, "-" for exact types.
func (t *signalType) distance(d int) string {
	if t.exact() {
		return "-"
	}
	return fmt.Sprint(d)
}

// hashAlg is the algorithm media hashing must be asked for to compute
// t: a video is decoded only when PDQ is asked for (TMK+PDQF also needs
// media.VideoOptions.TMK).
func (t *signalType) hashAlg() signal.Algorithm {
	if t.isVideo() {
		return signal.PDQ
	}
	return t.alg
}

// of returns t's value among the hashes of a piece of media, or why
// there is none.
func (t *signalType) of(h *media.Hashes) (signalValue, error) {
	if t.isVideo() && h.Video == nil {
		why := h.VideoSkipped
		if why == "" {
			why = "the bytes are not a video"
		}
		return signalValue{}, errors.New(why)
	}
	switch t.kind {
	case videoVPDQ:
		return signalValue{video: h.Video}, nil
	case videoTMK:
		if h.TMK == nil {
			return signalValue{}, errors.New("its TMK+PDQF was not computed")
		}
		return signalValue{tmk: h.TMK}, nil
	}
	sig, ok := h.Signal(t.alg)
	if !ok {
		return signalValue{}, errors.New(h.Skipped[t.alg])
	}
	return signalValue{sig: sig}, nil
}

// storeIn files v in the item it.
func (t *signalType) storeIn(it *hashdb.Item, v signalValue) {
	switch t.kind {
	case videoVPDQ:
		it.Video = v.video
	case videoTMK:
		it.TMK = v.tmk
	default:
		it.Signals = append(it.Signals, v.sig)
	}
}

// storedIn returns t's value in the item it, if it has one.
func (t *signalType) storedIn(it *hashdb.Item) (signalValue, bool) {
	switch t.kind {
	case videoVPDQ:
		return signalValue{video: it.Video}, it.Video != nil
	case videoTMK:
		return signalValue{tmk: it.TMK}, it.TMK != nil
	}
	for _, sig := range it.Signals {
		if sig.Algorithm() == t.alg {
			return signalValue{sig: sig}, true
		}
	}
	return signalValue{}, false
}

// compare is /m/compare's answer for a pair of t's values: pytx's
// compare_hash, a match flag and the similarity. An exact type's
// similarity is {}: it has no distance.
func (t *signalType) compare(a, b signalValue) ([2]any, error) {
	switch t.kind {
	case videoVPDQ:
		return compareVideos(a.video, b.video), nil
	case videoTMK:
		return compareTMK(a.tmk, b.tmk)
	}
	d, err := a.sig.Distance(b.sig)
	if err != nil {
		return [2]any{}, err
	}
	if t.exact() {
		return [2]any{d == 0, struct{}{}}, nil
	}
	return [2]any{d <= t.alg.DefaultThreshold(), map[string]int{"distance": d}}, nil
}

// signalTypeNamed returns the signal type called name.
func signalTypeNamed(name string) (*signalType, bool) {
	i := slices.IndexFunc(signalTypes, func(t signalType) bool { return t.name == name })
	if i < 0 {
		return nil, false
	}
	return &signalTypes[i], true
}

// typesOf returns the signal types of a content type, those named in
// types (HMA's comma list) if it is not empty. Without types, tmk_pdqf,
// which adds an output to the video's decode, is among them only if
// withTMK (the server's -tmk).
func typesOf(content, types string, withTMK bool) ([]*signalType, error) {
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
		if t.content == content && (want == nil && (withTMK || !t.needsTMK()) || slices.Contains(want, t.name)) {
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
