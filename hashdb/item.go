package hashdb

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// A Key names an item: the organisation that describes it and that
// organisation's own id for it. Two sources may use the same id; their
// items are distinct.
//
// An item's source is its authority: what the database holds from the
// source itself, or from the local organisation for its own items, has an
// empty Via. A copy of the item that another peer re-shared is kept apart
// under the same Source and ID with Via naming that peer, so that it
// never replaces, downgrades or retracts the source's own copy (see
// [DB.Import]).
type Key struct {
	// Source is the organisation id: lowercase letters, digits, '_', '.'
	// and '-', at most 64 bytes.
	Source string
	// ID is the source's own id for the item: up to 512 bytes of UTF-8
	// without control characters.
	ID string
	// Via is, for a re-shared copy, the peer that sent it; empty for the
	// source's own copy.
	Via string
}

// String returns "source/id", or "source/id via peer" for a re-shared
// copy. Sources never contain '/', so the form is unambiguous.
func (k Key) String() string {
	if k.Via != "" {
		return k.Source + "/" + k.ID + " via " + k.Via
	}
	return k.Source + "/" + k.ID
}

// Own returns the key of the source's own copy of the item k names.
func (k Key) Own() Key { return Key{Source: k.Source, ID: k.ID} }

// maxIDLen is the longest item id.
const maxIDLen = 512

func (k Key) validate() error {
	if err := validateOrg(k.Source); err != nil {
		return fmt.Errorf("source: %v", err)
	}
	if k.Via != "" {
		if err := validateOrg(k.Via); err != nil {
			return fmt.Errorf("via: %v", err)
		}
		if k.Via == k.Source {
			return fmt.Errorf("via %q is the source: its own copy has no via", k.Via)
		}
	}
	switch {
	case k.ID == "":
		return fmt.Errorf("empty id")
	case len(k.ID) > maxIDLen:
		return fmt.Errorf("id %q: %d bytes, more than %d", truncate(k.ID), len(k.ID), maxIDLen)
	case !utf8.ValidString(k.ID):
		return fmt.Errorf("id %q is not valid UTF-8", truncate(k.ID))
	case strings.ContainsFunc(k.ID, unicode.IsControl):
		return fmt.Errorf("id %q contains a control character", truncate(k.ID))
	}
	return nil
}

// An Item is one piece of content as one source organisation describes it:
// its signals, labels and sharing level.
//
// [DB.Get] returns signals and labels in canonical order (signals by
// algorithm, then value; labels lexically), whatever order they were stored
// in.
type Item struct {
	Key

	// Signals are the item's hashes, no two equal: at least one, unless
	// the item has a Video hash.
	Signals []signal.Signal
	// Unreliable is the subset of Signals the hasher flagged as carrying
	// little information (a PDQ quality below 50, a flat image): matches on
	// them deserve less weight.
	Unreliable []signal.Signal
	// Labels describe the content (see the package documentation for the
	// vocabulary); see [ValidateLabel] for their form.
	Labels []string
	// TLP is how far the item may be shared. It must be set.
	TLP tlp.Level
	// FirstSeen is when the source first saw the content. [DB.Put] keeps
	// the time of the first Put of the key; unset, it is the time of that
	// Put.
	FirstSeen time.Time
	// LastSeen is when the source last saw the content. Unset, a new item
	// takes FirstSeen and an update keeps the stored time; it never moves
	// backwards.
	LastSeen time.Time
	// ContentType is the kind of media the item is; zero if the source
	// did not say.
	ContentType ContentType
	// Note is free text for analysts.
	Note string
	// Retracted reports that the source has withdrawn the item. A retracted
	// item is kept (and exchanged) as a tombstone, but no longer matches.
	Retracted bool
	// RetractReason says why; it is empty unless Retracted.
	RetractReason string
	// Video is the vPDQ hash of a video item, nil for other items; an item
	// with one and no ContentType is a [ContentVideo]. [DB.MatchVideo]
	// matches it.
	Video *vpdq.Hash
	// TMK is the TMK+PDQF hash of a video item, nil for other items; like
	// Video, it makes an item without a ContentType a [ContentVideo], and
	// it may be an item's only hash. [DB.MatchTMK] matches it.
	TMK *tmk.Hash
}

// IsUnreliable reports whether s is one of the item's signals flagged as
// unreliable.
func (it *Item) IsUnreliable(s signal.Signal) bool { return slices.Contains(it.Unreliable, s) }

// compareSignals orders signals by algorithm, then value: the canonical
// order of an item's signals.
func compareSignals(a, b signal.Signal) int { return a.Compare(b) }

// truncate shortens s for an error message.
func truncate(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// normalize returns the canonical copy of it that the database stores, or
// the reason it cannot be stored. The source defaults to the local
// organisation.
func (o *Options) normalize(it Item) (Item, error) {
	if it.Source == "" {
		it.Source = o.Organization
	}
	if it.Source == "" {
		return it, fmt.Errorf("no source, and the database has no Organization to default to")
	}
	if err := it.Key.validate(); err != nil {
		return it, err
	}
	switch {
	case len(it.Signals) == 0 && it.Video == nil && it.TMK == nil:
		return it, fmt.Errorf("no signals")
	case len(it.Signals) > o.MaxSignals:
		return it, fmt.Errorf("%d signals, more than %d", len(it.Signals), o.MaxSignals)
	}
	it.Signals = slices.Clone(it.Signals)
	for i, s := range it.Signals {
		if !s.Algorithm().Valid() {
			return it, fmt.Errorf("signal %d is the zero Signal", i)
		}
	}
	slices.SortFunc(it.Signals, compareSignals)
	for i := 1; i < len(it.Signals); i++ {
		if it.Signals[i] == it.Signals[i-1] {
			return it, fmt.Errorf("signal %s appears twice", it.Signals[i])
		}
	}
	if len(it.Unreliable) == 0 {
		it.Unreliable = nil
	} else {
		it.Unreliable = slices.Clone(it.Unreliable)
		slices.SortFunc(it.Unreliable, compareSignals)
		for i, s := range it.Unreliable {
			if i > 0 && s == it.Unreliable[i-1] {
				return it, fmt.Errorf("unreliable signal %s appears twice", s)
			}
			if _, ok := slices.BinarySearchFunc(it.Signals, s, compareSignals); !ok {
				return it, fmt.Errorf("unreliable signal %s is not one of the item's signals", s)
			}
		}
	}
	if len(it.Labels) > o.MaxLabels {
		return it, fmt.Errorf("%d labels, more than %d", len(it.Labels), o.MaxLabels)
	}
	if len(it.Labels) == 0 {
		it.Labels = nil
	} else {
		it.Labels = slices.Clone(it.Labels)
		slices.Sort(it.Labels)
		for i, l := range it.Labels {
			if err := validateLabel(l); err != nil {
				return it, err
			}
			if len(l) > o.MaxLabelLen {
				return it, fmt.Errorf("%w: %q: %d bytes, more than %d", ErrInvalidLabel, truncate(l), len(l), o.MaxLabelLen)
			}
			if i > 0 && l == it.Labels[i-1] {
				return it, fmt.Errorf("label %q appears twice", l)
			}
		}
	}
	if !it.TLP.Valid() {
		if it.TLP == 0 {
			return it, fmt.Errorf("%w: not set (want CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", tlp.ErrInvalid)
		}
		return it, fmt.Errorf("%w: %d", tlp.ErrInvalid, uint8(it.TLP))
	}
	var err error
	if it.FirstSeen, err = canonicalTime("FirstSeen", it.FirstSeen); err != nil {
		return it, err
	}
	if it.LastSeen, err = canonicalTime("LastSeen", it.LastSeen); err != nil {
		return it, err
	}
	if !it.FirstSeen.IsZero() && !it.LastSeen.IsZero() && it.LastSeen.Before(it.FirstSeen) {
		return it, fmt.Errorf("LastSeen %v is before FirstSeen %v", it.LastSeen, it.FirstSeen)
	}
	if it.Video, err = normalizeVideo(it.Video); err != nil {
		return it, err
	}
	if it.TMK, err = normalizeTMK(it.TMK, it.Video); err != nil {
		return it, err
	}
	if (it.Video != nil || it.TMK != nil) && it.ContentType == 0 {
		it.ContentType = ContentVideo
	}
	if !it.ContentType.Valid() {
		return it, fmt.Errorf("content type %d is not one of photo, video, other", uint8(it.ContentType))
	}
	if err := o.validateText("note", it.Note); err != nil {
		return it, err
	}
	if !it.Retracted && it.RetractReason != "" {
		return it, fmt.Errorf("a retract reason on an item that is not retracted")
	}
	if err := o.validateText("retract reason", it.RetractReason); err != nil {
		return it, err
	}
	return it, nil
}

// validateText checks a note or a reason.
func (o *Options) validateText(what, s string) error {
	switch {
	case len(s) > o.MaxNoteLen:
		return fmt.Errorf("%s: %d bytes, more than %d", what, len(s), o.MaxNoteLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	return nil
}

// canonicalTime returns t as the database stores it: UTC, without a
// monotonic reading, representable as int64 Unix nanoseconds.
func canonicalTime(what string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return time.Time{}, nil
	}
	if t.Year() < 1678 || t.Year() > 2261 {
		return t, fmt.Errorf("%s %v is out of range (years 1678 to 2261)", what, t)
	}
	return time.Unix(0, t.UnixNano()).UTC(), nil
}

// sameItem reports whether storing b over a would change nothing.
func sameItem(a, b *Item) bool {
	return a.Key == b.Key &&
		slices.Equal(a.Signals, b.Signals) &&
		slices.Equal(a.Unreliable, b.Unreliable) &&
		slices.Equal(a.Labels, b.Labels) &&
		a.TLP == b.TLP &&
		a.FirstSeen.Equal(b.FirstSeen) &&
		a.LastSeen.Equal(b.LastSeen) &&
		a.ContentType == b.ContentType &&
		a.Note == b.Note &&
		a.Retracted == b.Retracted &&
		a.RetractReason == b.RetractReason &&
		sameVideo(a.Video, b.Video) &&
		sameTMK(a.TMK, b.TMK)
}
