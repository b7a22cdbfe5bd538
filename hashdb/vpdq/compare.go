package vpdq

import (
	"fmt"
	"math/bits"
)

// Defaults of [CompareOptions], python-threatexchange's.
const (
	// DefaultDistance is the largest PDQ distance at which two frames
	// agree (pytx: at most 31; the C++ rule: below 31).
	DefaultDistance = 31
	// DefaultQuality is the lowest quality a frame needs to take part.
	DefaultQuality = 50
	// DefaultQueryPercent is the share of the query's frames that must
	// agree for a match.
	DefaultQueryPercent = 80.0
)

// A Rule is one upstream implementation's way of comparing two hashes.
// The two give different percentages on the same hashes.
type Rule uint8

const (
	// PyTX is python-threatexchange's match_VPDQ_hash_brute: exact
	// duplicate hashes dropped first, then frames under the quality
	// threshold; frames agree at a distance of at most the threshold.
	PyTX Rule = iota
	// CPP is Meta's C++ matchTwoHashBrute (match-hashes-brute): no
	// dedupe, the quality filter only; frames agree at a distance below
	// the threshold.
	CPP
)

// String names the rule as the command line does: "pytx" or "cpp".
func (r Rule) String() string {
	switch r {
	case PyTX:
		return "pytx"
	case CPP:
		return "cpp"
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// CompareOptions set how [Compare] compares. The zero value, or nil, is
// python-threatexchange's rule and thresholds. A zero field takes its
// default; since 0 is a meaningful Distance, Quality and QueryPercent, a
// negative value asks for 0.
type CompareOptions struct {
	// Rule is the implementation followed; PyTX by default.
	Rule Rule
	// Distance is the frame distance threshold, [DefaultDistance] if 0.
	Distance int
	// Quality is the frame quality threshold, [DefaultQuality] if 0.
	Quality int
	// QueryPercent and ComparedPercent are the shares of the query's and
	// of the compared hash's frames that must agree for [Result.Match]:
	// [DefaultQueryPercent] if 0, and 0 (pytx's default) respectively.
	QueryPercent, ComparedPercent float64
}

// Params returns the thresholds o stands for, defaults filled in:
// distance, quality, query and compared percentages.
func (o *CompareOptions) Params() (distance, quality int, queryPct, comparedPct float64) {
	var z CompareOptions
	if o == nil {
		o = &z
	}
	return orDefault(o.Distance, DefaultDistance), orDefault(o.Quality, DefaultQuality),
		orDefault(o.QueryPercent, DefaultQueryPercent), max(o.ComparedPercent, 0)
}

// RuleOf returns o's rule; nil is PyTX.
func (o *CompareOptions) RuleOf() Rule {
	if o == nil {
		return PyTX
	}
	return o.Rule
}

// orDefault is a threshold as options give it: 0 means the default d,
// a negative value 0.
func orDefault[T int | float64](v, d T) T {
	switch {
	case v == 0:
		return d
	case v < 0:
		return 0
	}
	return v
}

// A Result is how well one hash matches another.
type Result struct {
	// QueryPercent is the share of the query's frames (after the filter)
	// that agree with some frame of the compared hash, 0 to 100;
	// ComparedPercent the same the other way.
	QueryPercent, ComparedPercent float64
	// QueryMatched of QueryFrames, and ComparedMatched of ComparedFrames,
	// are the counts behind the percentages: the frames that agree, of
	// those left after the rule's filter.
	QueryMatched, QueryFrames       int
	ComparedMatched, ComparedFrames int
	// Match reports whether both percentages reach the thresholds and at
	// least one frame agrees.
	Match bool
}

// Empty reports whether either side had no frames left after the filter.
// Both percentages are then 0; the C++ rule gives 0 too, where pytx's
// brute matcher divides by zero.
func (r *Result) Empty() bool { return r.QueryFrames == 0 || r.ComparedFrames == 0 }

// A Frame is one filtered feature, prepared for fast comparison.
type Frame struct {
	// Feature is the frame as the hash has it.
	Feature
	// Count is how many features of the filtered list it stands for: 1,
	// or under the C++ rule the number of exact repeats folded into it.
	Count int
	w     [4]uint64
}

// Distance returns the Hamming distance between the frames' PDQ hashes.
func (f *Frame) Distance(g *Frame) int {
	return bits.OnesCount64(f.w[0]^g.w[0]) + bits.OnesCount64(f.w[1]^g.w[1]) +
		bits.OnesCount64(f.w[2]^g.w[2]) + bits.OnesCount64(f.w[3]^g.w[3])
}

// Words returns the frame's PDQ hash as four big-endian 64-bit words.
func (f *Frame) Words() [4]uint64 { return f.w }

// Prepared is a hash's frames as a rule compares them: filtered, and with
// exact repeats folded into one frame with a count (under the C++ rule,
// which keeps repeats, the count weighs each in the percentages).
type Prepared struct {
	// Frames are the distinct frames left after the filter, in the hash's
	// order.
	Frames []Frame
	// Total is the number of features after the rule's filter: the
	// percentage's denominator.
	Total int
}

// Prepare filters h as rule r does with quality threshold quality: pytx
// drops exact repeats (keeping the first), then low-quality frames; the
// C++ rule drops low-quality frames only, and its repeats are folded into
// counts, which leaves its percentages unchanged.
func Prepare(h *Hash, r Rule, quality int) Prepared {
	var p Prepared
	if h == nil {
		return p
	}
	seen := make(map[[32]byte]int, len(h.Features))
	for _, f := range h.Features {
		i, dup := seen[f.PDQ]
		if r == PyTX {
			if dup {
				continue
			}
			seen[f.PDQ] = -1
			if int(f.Quality) < quality {
				continue
			}
		} else {
			if int(f.Quality) < quality {
				continue
			}
			if dup {
				p.Frames[i].Count++
				p.Total++
				continue
			}
			seen[f.PDQ] = len(p.Frames)
		}
		p.Frames = append(p.Frames, Frame{Feature: f, Count: 1, w: Words(f.PDQ)})
		p.Total++
	}
	return p
}

// Words returns a PDQ hash as four big-endian 64-bit words.
func Words(h [32]byte) [4]uint64 {
	var w [4]uint64
	for i := range w {
		for _, c := range h[8*i : 8*i+8] {
			w[i] = w[i]<<8 | uint64(c)
		}
	}
	return w
}

// Agree reports whether frames at distance d agree under rule r with
// threshold distance.
func Agree(r Rule, d, distance int) bool {
	if r == CPP {
		return d < distance
	}
	return d <= distance
}

// Compare compares query against compared as o's rule does, returning
// both percentages. Which side is the query matters: pytx's compare_hash
// treats its first argument as the query, and its default threshold is
// on the query's share.
func Compare(query, compared *Hash, o *CompareOptions) Result {
	_, quality, _, _ := o.Params()
	r := o.RuleOf()
	return ComparePrepared(Prepare(query, r, quality), Prepare(compared, r, quality), o)
}

// ComparePrepared is [Compare] on hashes [Prepare] filtered with o's rule
// and quality threshold.
func ComparePrepared(q, c Prepared, o *CompareOptions) Result {
	distance, _, qp, cp := o.Params()
	r := o.RuleOf()
	res := Result{QueryFrames: q.Total, ComparedFrames: c.Total}
	if res.Empty() {
		return res
	}
	cMatched := make([]bool, len(c.Frames))
	for i := range q.Frames {
		qf := &q.Frames[i]
		hit := false
		for j := range c.Frames {
			if Agree(r, qf.Distance(&c.Frames[j]), distance) {
				hit = true
				cMatched[j] = true
			}
		}
		if hit {
			res.QueryMatched += qf.Count
		}
	}
	for j, m := range cMatched {
		if m {
			res.ComparedMatched += c.Frames[j].Count
		}
	}
	res.QueryPercent = Percent(res.QueryMatched, res.QueryFrames)
	res.ComparedPercent = Percent(res.ComparedMatched, res.ComparedFrames)
	res.Match = res.QueryMatched > 0 && res.QueryPercent >= qp && res.ComparedPercent >= cp
	return res
}

// Percent is matched × 100 / total, computed as both upstream
// implementations compute it.
func Percent(matched, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(matched) * 100 / float64(total)
}

// HMAString returns the percentages as HMA shows a vPDQ match (pytx's
// VPDQSimilarityInfo.pretty_str): query and compared, rounded to whole
// percent as Python rounds them, "100%[93%]".
func (r *Result) HMAString() string {
	return fmt.Sprintf("%.0f%%[%.0f%%]", r.QueryPercent, r.ComparedPercent)
}
