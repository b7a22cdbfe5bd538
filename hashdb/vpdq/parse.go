package vpdq

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parse reads a vPDQ hash in any of the forms in use, telling them apart
// by their first character:
//
//   - python-threatexchange's signal string, with or without the "vpdq:"
//     prefix: a JSON list of "<hex>,<quality>,<timestamp>" strings,
//     timestamps in any float form Python reads. "" and "[]" are the
//     empty hash, as pytx's json_to_vpdq has it.
//   - pytx's older dict form, {"<frame>": {"quality": …, "hash": …,
//     "timestamp": …}, …}, timestamps rounded to 3 decimals as pytx
//     rounds them.
//   - Meta's C++ per-frame file ("frame,quality,hex,seconds" lines), which
//     alone keeps frame numbers.
//
// The result passes [Hash.Validate]. Errors wrap [ErrInvalid].
func Parse(s string) (*Hash, error) {
	s = strings.TrimPrefix(s, Prefix)
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return &Hash{}, nil
	case t[0] == '[':
		return ParsePyTX(t)
	case t[0] == '{':
		return parseOldPyTX(t)
	}
	return ParseCPP([]byte(s))
}

// ParsePyTX reads python-threatexchange's signal string form, with or
// without the "vpdq:" prefix (see [Parse]).
func ParsePyTX(s string) (*Hash, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, Prefix))
	if s == "" {
		return &Hash{}, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("%w: not a JSON list of strings: %v", ErrInvalid, err)
	}
	if len(list) > MaxFeatures {
		return nil, fmt.Errorf("%w: %d features, more than %d", ErrInvalid, len(list), MaxFeatures)
	}
	h := &Hash{Features: make([]Feature, 0, len(list))}
	for i, e := range list {
		parts := strings.Split(e, ",")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: feature %d: %q: %d comma-separated fields, want 3 (hex,quality,timestamp)", ErrInvalid, i, clip(e), len(parts))
		}
		f, err := parseFields(parts[0], parts[1], parts[2])
		if err != nil {
			return nil, fmt.Errorf("%w: feature %d: %v", ErrInvalid, i, err)
		}
		h.Features = append(h.Features, f)
	}
	return h, nil
}

// ParseCPP reads the per-frame file form of Meta's C++ reference: one
// "frame,quality,hex,seconds" line per feature, each ending in "\n" (a
// missing final newline and "\r\n" are accepted), frame numbers
// increasing. Errors wrap [ErrInvalid] and name the line.
func ParseCPP(b []byte) (*Hash, error) {
	h := &Hash{}
	for n := 1; len(b) > 0; n++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(h.Features) == MaxFeatures {
			return nil, fmt.Errorf("%w: more than %d features", ErrInvalid, MaxFeatures)
		}
		parts := strings.Split(string(line), ",")
		if len(parts) != 4 {
			return nil, fmt.Errorf("%w: line %d: %q: %d comma-separated fields, want 4 (frame,quality,hex,seconds)", ErrInvalid, n, clip(string(line)), len(parts))
		}
		frame, err := strconv.ParseUint(parts[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: frame number %q is not a decimal number below 2^32", ErrInvalid, n, clip(parts[0]))
		}
		f, err := parseFields(parts[2], parts[1], parts[3])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
		f.Frame = uint32(frame)
		if k := len(h.Features); k > 0 && f.Frame <= h.Features[k-1].Frame {
			return nil, fmt.Errorf("%w: line %d: frame %d does not follow frame %d", ErrInvalid, n, f.Frame, h.Features[k-1].Frame)
		}
		h.Features = append(h.Features, f)
	}
	return h, nil
}

// parseFields reads one feature's hash, quality and timestamp.
func parseFields(hx, quality, seconds string) (Feature, error) {
	var f Feature
	if len(hx) != 64 {
		return f, fmt.Errorf("hash %q: %d characters, want 64 hex digits", clip(hx), len(hx))
	}
	if _, err := hex.Decode(f.PDQ[:], []byte(hx)); err != nil {
		return f, fmt.Errorf("hash %q is not 64 hex digits", hx)
	}
	q, err := strconv.Atoi(quality)
	if err != nil || q < 0 || q > 100 {
		return f, fmt.Errorf("quality %q is not a whole number from 0 to 100", clip(quality))
	}
	f.Quality = uint8(q)
	if f.Seconds, err = parseSeconds(seconds); err != nil {
		return f, err
	}
	return f, nil
}

func parseSeconds(s string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !isRange(err) {
		return 0, fmt.Errorf("timestamp %q is not a number", clip(s))
	}
	return x, checkSeconds(x)
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func checkSeconds(x float64) error {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Errorf("timestamp %v is not finite", x)
	case x < 0:
		return fmt.Errorf("timestamp %v is negative", x)
	}
	return nil
}

// oldFeature is one frame of pytx's older dict form.
type oldFeature struct {
	Quality   *int         `json:"quality"`
	Hash      *string      `json:"hash"`
	Timestamp *json.Number `json:"timestamp"`
}

// parseOldPyTX reads pytx's older dict form, keeping its key order as
// Python's json.loads does.
func parseOldPyTX(s string) (*Hash, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: old pytx form: %v", ErrInvalid, err)
	}
	h := &Hash{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: old pytx form: %v", ErrInvalid, err)
		}
		key, _ := tok.(string)
		frame, err := strconv.ParseUint(key, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: old pytx form: key %q is not a frame number", ErrInvalid, clip(key))
		}
		var of oldFeature
		if err := dec.Decode(&of); err != nil {
			return nil, fmt.Errorf("%w: old pytx form: frame %d: %v", ErrInvalid, frame, err)
		}
		if of.Quality == nil || of.Hash == nil || of.Timestamp == nil {
			return nil, fmt.Errorf("%w: old pytx form: frame %d lacks quality, hash or timestamp", ErrInvalid, frame)
		}
		if len(h.Features) == MaxFeatures {
			return nil, fmt.Errorf("%w: more than %d features", ErrInvalid, MaxFeatures)
		}
		f, err := parseFields(*of.Hash, strconv.Itoa(*of.Quality), of.Timestamp.String())
		if err != nil {
			return nil, fmt.Errorf("%w: old pytx form: frame %d: %v", ErrInvalid, frame, err)
		}
		// pytx rounds every float to 3 decimals as it reads them.
		if strings.ContainsAny(of.Timestamp.String(), ".eE") {
			f.Seconds, _ = strconv.ParseFloat(strconv.FormatFloat(f.Seconds, 'f', 3, 64), 64)
		}
		f.Frame = uint32(frame)
		h.Features = append(h.Features, f)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: old pytx form: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: old pytx form: text after the object", ErrInvalid)
	}
	return h, nil
}

// Validate checks what every form requires: at most [MaxFeatures]
// features, qualities 0–100, timestamps finite and not negative. Errors
// wrap [ErrInvalid].
func (h *Hash) Validate() error {
	if h == nil {
		return nil
	}
	if len(h.Features) > MaxFeatures {
		return fmt.Errorf("%w: %d features, more than %d", ErrInvalid, len(h.Features), MaxFeatures)
	}
	for i, f := range h.Features {
		if f.Quality > 100 {
			return fmt.Errorf("%w: feature %d: quality %d is over 100", ErrInvalid, i, f.Quality)
		}
		if err := checkSeconds(f.Seconds); err != nil {
			return fmt.Errorf("%w: feature %d: %v", ErrInvalid, i, err)
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
