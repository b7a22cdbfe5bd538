package hashdb

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// MatchOptions adjust [DB.Match], [DB.MatchHashes] and [DB.MatchMedia]. The
// zero value, or a nil pointer, matches at each algorithm's
// [signal.Algorithm.DefaultThreshold], ignores low-information signals and
// hashes media with the default [media.Options].
type MatchOptions struct {
	// Thresholds overrides, per algorithm, the largest Hamming distance
	// that counts as a match. Cryptographic digests only match exactly,
	// whatever is set here.
	Thresholds map[signal.Algorithm]int
	// IncludeUnreliable also matches signals flagged as carrying little
	// information (see [Item.Unreliable] and [media.Hashes.Unreliable]):
	// a stored signal some item flags, and in MatchHashes a query signal
	// the hasher flagged. Off by default, since a flat image's hash matches
	// every other flat image.
	IncludeUnreliable bool
	// Hashing is how MatchMedia hashes: the algorithms, and the limits a
	// service sets for its uploads. nil means the defaults. MatchMedia
	// computes the dihedral PDQ hashes whatever Hashing.Dihedral says.
	Hashing *media.Options
	// Video is how MatchHashes and MatchMedia match a video hash (see
	// [DB.MatchVideo]); nil means pytx's rule and thresholds.
	Video *VideoMatchOptions
	// TMK is how MatchHashes and MatchMedia match a TMK+PDQF hash (see
	// [DB.MatchTMK]); nil means the reference's thresholds. MatchMedia
	// computes one when Hashing asks for it (media.VideoOptions.TMK).
	TMK *TMKMatchOptions
}

// threshold returns the radius to search a of.
func (o *MatchOptions) threshold(a signal.Algorithm) (int, error) {
	if !a.Perceptual() {
		return 0, nil
	}
	t, ok := 0, false
	if o != nil {
		t, ok = o.Thresholds[a]
	}
	if !ok {
		return a.DefaultThreshold(), nil
	}
	if t < 0 || t > a.Bits() {
		return 0, fmt.Errorf("%w: %s threshold %d, want 0 to %d", ErrInvalidOptions, a, t, a.Bits())
	}
	return t, nil
}

// A Match is one stored signal close enough to a query, and the live items
// that carry it.
type Match struct {
	// Signal is the stored signal.
	Signal signal.Signal
	// Distance is its Hamming distance from the query (0 for digests).
	Distance int
	// Transform is the rotation or reflection of the query image that came
	// closest, for PDQ queries made by [DB.MatchHashes] from hashes with
	// their Dihedral set; media.Original otherwise.
	Transform media.Transform
	// Items are the live items that carry Signal, ordered by key.
	Items []Item
}

// A MatchResult answers one query signal.
type MatchResult struct {
	// Query is the signal asked about.
	Query signal.Signal
	// Matches are the stored signals within the threshold whose items no
	// false-positive opinion of the local organisation suppresses, nearest
	// first (ties by signal).
	Matches []Match
	// Suppressed are matches on items, or on signals, that the local
	// organisation ([Options.Organization]) marked [FalsePositive]: an
	// allow list, reported apart so an analyst can see what it hid.
	Suppressed []Match
	// Video, in the result [DB.MatchHashes] gives for a video hash (whose
	// Query is the zero Signal), is [DB.MatchVideo]'s answer; nil in the
	// results of signals.
	Video *VideoResult
	// TMK, in the result MatchHashes gives for a TMK+PDQF hash (whose
	// Query is the zero Signal), is [DB.MatchTMK]'s answer; nil
	// elsewhere.
	TMK *TMKResult
}

// Matched reports whether r holds at least one match (suppressed ones do
// not count).
func (r *MatchResult) Matched() bool {
	return len(r.Matches) > 0 || (r.Video != nil && len(r.Video.Matches) > 0) || (r.TMK != nil && len(r.TMK.Matches) > 0)
}

// query is one code to search for and the transform that produced it.
type query struct {
	sig       signal.Signal
	transform media.Transform
}

// Match looks every query signal up: perceptual signals in the match index
// of their algorithm, within the threshold; digests exactly. A committed
// [DB.Put] is matched by the very next call, and a retracted item stops
// matching at once. The result holds one MatchResult per query, in order.
func (db *DB) Match(ctx context.Context, queries []signal.Signal, opts *MatchOptions) (_ []MatchResult, err error) {
	defer wrapErr(&err, "match")
	if err := db.useIndexes(ctx); err != nil {
		return nil, err
	}
	out := make([]MatchResult, len(queries))
	for i, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if q.IsZero() {
			return nil, fmt.Errorf("%w: query %d is the zero Signal", signal.ErrInvalid, i)
		}
		r, err := db.match(q, []query{{sig: q}}, opts)
		if err != nil {
			return nil, fmt.Errorf("query %d (%s): %w", i, q, err)
		}
		out[i] = r
	}
	return out, nil
}

// MatchHashes matches every signal of h, as hashing a piece of media found
// them: PDQ with all eight rotations and reflections when h.Dihedral holds
// them, so that a rotated or mirrored copy matches too, each match saying
// through which [media.Transform]. Signals the hasher flagged as
// unreliable are not queried unless opts.IncludeUnreliable. The result
// holds one MatchResult per signal queried, in the order of h.Signals,
// and when h has a video hash one more, last: its Query is the zero
// Signal and its Video holds what [DB.MatchVideo] found with opts.Video;
// when h has a TMK+PDQF hash, one more after that, whose TMK holds what
// [DB.MatchTMK] found with opts.TMK.
func (db *DB) MatchHashes(ctx context.Context, h *media.Hashes, opts *MatchOptions) (_ []MatchResult, err error) {
	defer wrapErr(&err, "match")
	if h == nil {
		return nil, nil
	}
	if err := db.useIndexes(ctx); err != nil {
		return nil, err
	}
	var out []MatchResult
	for _, s := range h.Signals {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !opts.includeUnreliable() && slices.Contains(h.Unreliable, s) {
			continue
		}
		qs := []query{{sig: s}}
		if s.Algorithm() == signal.PDQ && len(h.Dihedral) == int(media.FlipMinus1)+1 {
			qs = qs[:0]
			for i, d := range h.Dihedral {
				qs = append(qs, query{sig: d, transform: media.Transform(i)})
			}
			qs[0].sig = s // the single hash is the reference's, even at 64×64
		}
		res, err := db.match(s, qs, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		out = append(out, res)
	}
	if h.Video != nil {
		var vo *VideoMatchOptions
		if opts != nil {
			vo = opts.Video
		}
		vr, err := db.matchVideo(ctx, h.Video, vo)
		if err != nil {
			return nil, fmt.Errorf("vpdq: %w", err)
		}
		out = append(out, MatchResult{Video: vr})
	}
	if h.TMK != nil {
		var to *TMKMatchOptions
		if opts != nil {
			to = opts.TMK
		}
		tr, err := db.MatchTMK(ctx, h.TMK, to)
		if err != nil {
			return nil, err
		}
		out = append(out, MatchResult{TMK: tr})
	}
	return out, nil
}

// MatchMedia hashes the bytes r holds, as [media.HashReader] does with
// opts.Hashing and the dihedral PDQ hashes, and matches them as
// [DB.MatchHashes] does. It returns the hashes with the results; an image
// that does not decode or is over the limits comes with its hashes (the
// digests) and the hashing error.
func (db *DB) MatchMedia(ctx context.Context, r io.Reader, opts *MatchOptions) (*media.Hashes, []MatchResult, error) {
	var ho media.Options
	if opts != nil && opts.Hashing != nil {
		ho = *opts.Hashing
	}
	ho.Dihedral = true
	h, err := media.HashReader(ctx, r, &ho)
	if err != nil {
		return h, nil, err
	}
	res, err := db.MatchHashes(ctx, h, opts)
	if err != nil {
		return h, nil, err
	}
	return h, res, nil
}

func (o *MatchOptions) includeUnreliable() bool { return o != nil && o.IncludeUnreliable }

// match answers the query signal q, searching with every code of qs.
func (db *DB) match(q signal.Signal, qs []query, opts *MatchOptions) (MatchResult, error) {
	res := MatchResult{Query: q}
	radius, err := opts.threshold(q.Algorithm())
	if err != nil {
		return res, err
	}
	// nearest returns the distance of stored signal s from the nearest
	// query and the query's transform; digests match only themselves.
	nearest := func(s signal.Signal) (int, media.Transform) {
		if !q.Algorithm().Perceptual() {
			if s == q {
				return 0, media.Original
			}
			return -1, media.Original
		}
		best, transform := -1, media.Original
		for _, v := range qs {
			if d, _ := v.sig.Distance(s); d <= radius && (best < 0 || d < best) {
				best, transform = d, v.transform
			}
		}
		return best, transform
	}
	err = db.view(func(snap *view) error {
		var ids []uint64
		var err error
		for _, v := range qs {
			if ids, err = db.idx.search(snap, v.sig, radius, ids); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		ids = slices.Compact(slices.Sorted(slices.Values(ids)))
		v := snap
		hits, err := resolve(v, q.Algorithm(), ids, func(s signal.Signal) bool { d, _ := nearest(s); return d >= 0 })
		if err != nil {
			return err
		}
		sortHits(hits)
		bySignal := make(map[signal.Signal][]*Item)
		var order []signal.Signal
		for i := range hits {
			s := hits[i].sig
			if _, ok := bySignal[s]; !ok {
				order = append(order, s)
			}
			bySignal[s] = append(bySignal[s], &hits[i].item)
		}
		for _, s := range order {
			m, hidden, err := db.matchItems(v, s, bySignal[s], opts.includeUnreliable())
			if err != nil {
				return err
			}
			d, transform := nearest(s)
			m.Distance, m.Transform = d, transform
			hidden.Distance, hidden.Transform = d, transform
			if len(m.Items) > 0 {
				res.Matches = append(res.Matches, m)
			}
			if len(hidden.Items) > 0 {
				res.Suppressed = append(res.Suppressed, hidden)
			}
		}
		return nil
	})
	sortMatches(res.Matches)
	sortMatches(res.Suppressed)
	return res, err
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Compare(a.Signal.String(), b.Signal.String())
	})
}

// matchItems splits the live items carrying s, ordered by key, into those
// that match and those a false-positive opinion of the local organisation
// suppresses (on the signal, which hides every item, or on the item).
// Items that flag s as unreliable are left out unless unreliable is set.
func (db *DB) matchItems(v *view, s signal.Signal, items []*Item, unreliable bool) (m, hidden Match, err error) {
	m.Signal, hidden.Signal = s, s
	org := db.opts.Organization
	signalFP, err := isFalsePositive(v, org, Key{}, s)
	if err != nil {
		return m, hidden, err
	}
	for _, it := range items {
		if !unreliable && slices.Contains(it.Unreliable, s) {
			continue
		}
		itemFP, err := isFalsePositive(v, org, it.Key, signal.Signal{})
		if err != nil {
			return m, hidden, err
		}
		if signalFP || itemFP {
			hidden.Items = append(hidden.Items, *it)
		} else {
			m.Items = append(m.Items, *it)
		}
	}
	return m, hidden, nil
}

// isFalsePositive reports whether org's stored opinion on the item with
// key, or on signal sig, says false positive.
func isFalsePositive(v *view, org string, key Key, sig signal.Signal) (bool, error) {
	if org == "" {
		return false, nil
	}
	k := append(opinionPrefix(key, sig), org...)
	val := v.opinion(k)
	if val == nil {
		return false, nil
	}
	op, _, err := decodeOpinion(k, val)
	return op.Verdict == FalsePositive, err
}
