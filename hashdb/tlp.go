package hashdb

import (
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 sharing level: who may see an item.
// Levels are ordered from least to most restrictive, so a <= b means a
// shares at least as widely as b.
//
// The zero TLP is unset and invalid: an item must say how far it may travel.
type TLP uint8

// The TLP 2.0 levels.
const (
	// TLPClear may be shared without limit.
	TLPClear TLP = iota + 1
	// TLPGreen may be shared within the community, not published.
	TLPGreen
	// TLPAmber may be shared within the recipient organisation and its
	// clients, on a need-to-know basis.
	TLPAmber
	// TLPAmberStrict may be shared within the recipient organisation only.
	TLPAmberStrict
	// TLPRed is for the named recipients only.
	TLPRed
)

var tlpNames = [...]string{
	TLPClear:       "CLEAR",
	TLPGreen:       "GREEN",
	TLPAmber:       "AMBER",
	TLPAmberStrict: "AMBER+STRICT",
	TLPRed:         "RED",
}

// Valid reports whether t is one of the five levels.
func (t TLP) Valid() bool { return t >= TLPClear && t <= TLPRed }

// String returns TLP 2.0's name for the level: "CLEAR", "GREEN", "AMBER",
// "AMBER+STRICT" or "RED".
func (t TLP) String() string {
	if !t.Valid() {
		return fmt.Sprintf("TLP(%d)", uint8(t))
	}
	return tlpNames[t]
}

// ParseTLP returns the level with the given name. Case, surrounding white
// space and a "TLP:" prefix are ignored, and "WHITE", TLP 1.0's name for
// CLEAR, is accepted.
func ParseTLP(s string) (TLP, error) {
	t, err := parseTLP(s)
	return t, opError("", err)
}

// parseTLP is ParseTLP without the package's prefix.
func parseTLP(s string) (TLP, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	n = strings.TrimSpace(strings.TrimPrefix(n, "TLP:"))
	if n == "WHITE" {
		return TLPClear, nil
	}
	for t := TLPClear; t <= TLPRed; t++ {
		if tlpNames[t] == n {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", ErrInvalidTLP, truncate(s))
}

// MarshalText encodes t as its name.
func (t TLP) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, opError("", fmt.Errorf("%w: %d", ErrInvalidTLP, uint8(t)))
	}
	return []byte(t.String()), nil
}

// UnmarshalText decodes a name, as [ParseTLP] does.
func (t *TLP) UnmarshalText(text []byte) error {
	v, err := ParseTLP(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
