package lists

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
)

// slugTag returns s in the label alphabet: ASCII letters lower-cased; digits,
// '_', '.', '-' kept, and ':' too if colon; every run of other ASCII
// characters (spaces, punctuation, controls) one '_'; every other
// character u<hex code point>, so that tags in other scripts stay
// distinct rather than vanish. Leading and trailing '_' and ':' are
// trimmed; the result is "" if nothing is left.
func slugTag(s string, colon bool) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '.', r == '-', r == '_', r == ':' && colon:
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r < 0x80:
			gap = true
			continue
		default:
			if gap {
				b.WriteByte('_')
				gap = false
			}
			fmt.Fprintf(&b, "u%04x", r)
			continue
		}
		if gap {
			b.WriteByte('_')
			gap = false
		}
		b.WriteRune(r)
	}
	return strings.Trim(b.String(), "_:")
}

// tagLabel returns the label for a source's tag: namespace ":" the tag
// slugged, or why there is none.
func tagLabel(namespace, tag string) (string, error) {
	s := slugTag(tag, true)
	if s == "" {
		return "", fmt.Errorf("tag %q has no letter or digit", clipText(tag))
	}
	l := namespace + ":" + s
	if err := hashdb.ValidateLabel(l); err != nil {
		return "", fmt.Errorf("tag %q: %w", clipText(tag), err)
	}
	return l, nil
}

// A labelSet gathers an entry's labels, and a Skip for each tag that has
// no label.
type labelSet struct {
	labels []string
	skips  []Record
}

func (ls *labelSet) add(namespace, tag string, line int) {
	if strings.TrimSpace(tag) == "" {
		return
	}
	l, err := tagLabel(namespace, tag)
	if err != nil {
		ls.skips = append(ls.skips, skipRecord(line, "malformed tag", err))
		return
	}
	ls.addLabel(l)
}

func (ls *labelSet) addLabel(l string) {
	if !slices.Contains(ls.labels, l) {
		ls.labels = append(ls.labels, l)
	}
}

// sorted returns the labels in the order the database keeps them, nil if
// none.
func (ls *labelSet) sorted() []string {
	if len(ls.labels) == 0 {
		return nil
	}
	slices.Sort(ls.labels)
	return ls.labels
}
