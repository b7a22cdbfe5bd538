package hashdb

import "fmt"

// MaxLabelLen is the longest label [ValidateLabel] accepts. [Options] may
// lower the limit for a database, not raise it.
const MaxLabelLen = 128

// ValidateLabel reports whether s is a well-formed label: 1 to
// [MaxLabelLen] bytes of lowercase ASCII letters, digits and the
// punctuation '_', ':', '.', '-', not starting or ending with ':'. The error
// wraps [ErrInvalidLabel] and names the offending character.
//
// The alphabet keeps labels safe to print, compare and exchange; the
// vocabulary is free (see the package documentation for the conventional
// "type:", "entity:", "behaviour:" and "incident:" prefixes).
func ValidateLabel(s string) error { return opError("", validateLabel(s)) }

// validateLabel is ValidateLabel without the package's prefix, for the
// messages of the functions that check labels on the way.
func validateLabel(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrInvalidLabel)
	case len(s) > MaxLabelLen:
		return fmt.Errorf("%w: %q: %d bytes, more than %d", ErrInvalidLabel, truncate(s), len(s), MaxLabelLen)
	case s[0] == ':' || s[len(s)-1] == ':':
		return fmt.Errorf("%w: %q starts or ends with ':'", ErrInvalidLabel, s)
	}
	for i := 0; i < len(s); i++ {
		if !labelByte(s[i]) {
			return fmt.Errorf("%w: %q: character %q at offset %d (want a-z, 0-9, '_', ':', '.', '-')", ErrInvalidLabel, s, s[i], i)
		}
	}
	return nil
}

func labelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-'
}

// validateOrg checks an organisation id: the source of items, the org of
// opinions, the id of peers. The alphabet is the labels' without ':', so
// an id is safe in file names and messages.
func validateOrg(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty organisation id")
	case len(s) > maxOrgLen:
		return fmt.Errorf("organisation id %q: %d bytes, more than %d", truncate(s), len(s), maxOrgLen)
	}
	for i := 0; i < len(s); i++ {
		if !labelByte(s[i]) || s[i] == ':' {
			return fmt.Errorf("organisation id %q: character %q at offset %d (want a-z, 0-9, '_', '.', '-')", s, s[i], i)
		}
	}
	return nil
}

// maxOrgLen is the longest organisation id.
const maxOrgLen = 64
