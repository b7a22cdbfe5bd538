package vpdq

import (
	"cmp"
	"slices"
)

// A Pair is a query frame and the nearest frame of the compared hash that
// agrees with it.
type Pair struct {
	Query, Compared Feature
	Distance        int
}

// Pairs returns, for each frame of q that agrees with some frame of c
// under o's rule, the nearest such frame (the first of equals), in q's
// order, at most limit of them (all if limit ≤ 0). q and c are as
// [Prepare] made them with o's rule and quality threshold.
func Pairs(q, c Prepared, o *CompareOptions, limit int) []Pair {
	distance, _, _, _ := o.Params()
	r := o.RuleOf()
	var out []Pair
	for i := range q.Frames {
		qf := &q.Frames[i]
		best, bestD := -1, 0
		for j := range c.Frames {
			if d := qf.Distance(&c.Frames[j]); Agree(r, d, distance) && (best < 0 || d < bestD) {
				best, bestD = j, d
			}
		}
		if best < 0 {
			continue
		}
		out = append(out, Pair{Query: qf.Feature, Compared: c.Frames[best].Feature, Distance: bestD})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// A Segment is a stretch of the query that matches a stretch of the
// compared video: matched pairs whose timestamps advance together.
type Segment struct {
	// QueryStart and QueryEnd bound the query's matched frames, in
	// seconds; ComparedStart and ComparedEnd the compared video's.
	QueryStart, QueryEnd       float64
	ComparedStart, ComparedEnd float64
	// Pairs is the number of matched pairs in the segment.
	Pairs int
}

// DefaultSegmentGap is the longest gap, in seconds, inside a [Segment].
const DefaultSegmentGap = 2.0

// Segments merges pairs into time ranges for a moderator: pairs sorted by
// query time join the current segment while neither timestamp jumps back,
// nor forward by more than gap seconds (DefaultSegmentGap if gap ≤ 0).
func Segments(pairs []Pair, gap float64) []Segment {
	if gap <= 0 {
		gap = DefaultSegmentGap
	}
	ps := slices.Clone(pairs)
	slices.SortStableFunc(ps, func(a, b Pair) int { return cmp.Compare(a.Query.Seconds, b.Query.Seconds) })
	var out []Segment
	for _, p := range ps {
		q, c := p.Query.Seconds, p.Compared.Seconds
		if n := len(out); n > 0 {
			s := &out[n-1]
			if q-s.QueryEnd <= gap && c >= s.ComparedEnd && c-s.ComparedEnd <= gap {
				s.QueryEnd, s.ComparedEnd = q, c
				s.Pairs++
				continue
			}
		}
		out = append(out, Segment{QueryStart: q, QueryEnd: q, ComparedStart: c, ComparedEnd: c, Pairs: 1})
	}
	return out
}
