// Package tlp is the Traffic Light Protocol 2.0's sharing levels, which
// every hashshare item carries and every exchange honours: [Clear],
// [Green], [Amber], [AmberStrict] and [Red], ordered from least to most
// restrictive, in TLP 2.0's names ("AMBER+STRICT"), with TLP 1.0's
// "WHITE" read as CLEAR. It depends on the standard library only, so hash
// list readers and writers can use it without the database.
package tlp

import (
	"errors"
	"fmt"
	"strings"
)

// A Level is a Traffic Light Protocol 2.0 sharing level: who may see an
// item. Levels are ordered from least to most restrictive, so a <= b means
// a shares at least as widely as b.
//
// The zero Level is unset and invalid: an item must say how far it may
// travel.
type Level uint8

// ErrInvalid reports a name or number that is not one of the five levels.
// Like strconv's errors it carries no package prefix.
var ErrInvalid = errors.New("invalid TLP")

// The TLP 2.0 levels.
const (
	// Clear may be shared without limit.
	Clear Level = iota + 1
	// Green may be shared within the community, not published.
	Green
	// Amber may be shared within the recipient organisation and its
	// clients, on a need-to-know basis.
	Amber
	// AmberStrict may be shared within the recipient organisation only.
	AmberStrict
	// Red is for the named recipients only.
	Red
)

var names = [...]string{
	Clear:       "CLEAR",
	Green:       "GREEN",
	Amber:       "AMBER",
	AmberStrict: "AMBER+STRICT",
	Red:         "RED",
}

// Valid reports whether t is one of the five levels.
func (t Level) Valid() bool { return t >= Clear && t <= Red }

// String returns TLP 2.0's name for the level: "CLEAR", "GREEN", "AMBER",
// "AMBER+STRICT" or "RED".
func (t Level) String() string {
	if !t.Valid() {
		return fmt.Sprintf("TLP(%d)", uint8(t))
	}
	return names[t]
}

// Parse returns the level with the given name. Case, surrounding white
// space and a "TLP:" prefix are ignored, and "WHITE", TLP 1.0's name for
// CLEAR, is accepted. Errors wrap [ErrInvalid].
func Parse(s string) (Level, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	n = strings.TrimSpace(strings.TrimPrefix(n, "TLP:"))
	if n == "WHITE" {
		return Clear, nil
	}
	for t := Clear; t <= Red; t++ {
		if names[t] == n {
			return t, nil
		}
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return 0, fmt.Errorf("%w: %q (want CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", ErrInvalid, s)
}

// MarshalText encodes t as its name.
func (t Level) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrInvalid, uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText decodes a name, as [Parse] does.
func (t *Level) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
