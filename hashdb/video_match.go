package hashdb

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/store"
)

// VideoMatchOptions adjust [DB.MatchVideo]. The zero value, or nil, is
// python-threatexchange's rule and thresholds (see [vpdq.CompareOptions]):
// frames agree at distance ≤ 31, frames under quality 50 are left out, and
// a video matches when at least 80 % of the query's frames agree.
type VideoMatchOptions struct {
	// Compare sets the rule (pytx or C++) and the thresholds.
	Compare vpdq.CompareOptions
	// MaxPairs caps the matched frame pairs reported per video: 100 if
	// 0, none if negative.
	MaxPairs int
	// SegmentGap is the longest gap in seconds within a reported segment
	// ([vpdq.DefaultSegmentGap] if 0).
	SegmentGap float64
	// FramesAgainstImages also looks every query frame up in the PDQ
	// image index, at PDQ's threshold (or Images.Thresholds), reporting
	// the frames that are known images.
	FramesAgainstImages bool
	// Images adjusts those image lookups.
	Images *MatchOptions
}

// A VideoMatch is a stored video whose hash matches the query's.
type VideoMatch struct {
	// Item is the live item that carries the video hash.
	Item Item
	// QueryPercent is the share of the query's frames that agree with
	// some frame of the item's video, ComparedPercent the share of the
	// video's frames that agree with some query frame: pytx's
	// query_match_percent and compared_match_percent.
	QueryPercent, ComparedPercent float64
	// Result holds the counts behind the percentages.
	Result vpdq.Result
	// Pairs are the query's matched frames, each with the nearest frame
	// of the video, in the query's order, at most MaxPairs.
	Pairs []vpdq.Pair
	// Segments are Pairs merged into time ranges.
	Segments []vpdq.Segment
}

// A FrameImage is a query frame the PDQ image index knows.
type FrameImage struct {
	// Frame is the query's frame.
	Frame vpdq.Feature
	// Result is the frame's PDQ hash looked up as an image signal.
	Result MatchResult
}

// A VideoResult answers one video hash.
type VideoResult struct {
	// Matches are the matching videos no false-positive opinion of the
	// local organisation suppresses, best first: by query percentage,
	// then compared percentage, then key.
	Matches []VideoMatch
	// Suppressed are matching videos whose item the local organisation
	// marked [FalsePositive].
	Suppressed []VideoMatch
	// Images are the query frames found in the image index, if asked.
	Images []FrameImage
}

// defaultMaxPairs is VideoMatchOptions.MaxPairs' default.
const defaultMaxPairs = 100

func (o *VideoMatchOptions) maxPairs() int {
	switch {
	case o == nil || o.MaxPairs == 0:
		return defaultMaxPairs
	case o.MaxPairs < 0:
		return 0
	}
	return o.MaxPairs
}

// MatchVideo finds the live items whose video hash matches q, by the
// rule and thresholds of opts (pytx's by default), each with both
// percentages, the matched frame pairs and the time ranges they make.
// Only videos with at least one agreeing frame are reported.
//
// The frame index finds candidates and each is then scored exactly
// against its stored hash, so the result is what [vpdq.Compare] of q
// with every stored video gives. With a query threshold p > 0 it probes
// only as many query frames as pigeonhole needs: a video that reaches p
// agrees with at least m of the query's n frames, so any n − m + 1 of
// them include one it agrees with.
func (db *DB) MatchVideo(ctx context.Context, q *vpdq.Hash, opts *VideoMatchOptions) (_ *VideoResult, err error) {
	defer wrapErr(&err, "match video")
	return db.matchVideo(ctx, q, opts)
}

func (db *DB) matchVideo(ctx context.Context, q *vpdq.Hash, opts *VideoMatchOptions) (*VideoResult, error) {
	if q == nil {
		return &VideoResult{}, nil
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var o VideoMatchOptions
	if opts != nil {
		o = *opts
	}
	if r := o.Compare.Rule; r != vpdq.PyTX && r != vpdq.CPP {
		return nil, fmt.Errorf("%w: video rule %s", ErrInvalidOptions, r)
	}
	if d, _, qp, cp := o.Compare.Params(); d > 256 || math.IsNaN(qp) || math.IsNaN(cp) {
		return nil, fmt.Errorf("%w: video distance %d (want up to 256) or a percentage that is not a number", ErrInvalidOptions, d)
	}
	x, err := db.useFrameIndex(ctx)
	if err != nil {
		return nil, err
	}
	res := &VideoResult{}
	if o.FramesAgainstImages {
		if res.Images, err = db.framesAgainstImages(ctx, q, &o); err != nil {
			return nil, err
		}
	}
	distance, quality, qp, _ := o.Compare.Params()
	rule := o.Compare.RuleOf()
	qprep := vpdq.Prepare(q, rule, quality)
	if qprep.Total == 0 {
		return res, nil
	}
	radius := distance
	if rule == vpdq.CPP {
		radius-- // the C++ rule counts distances below the threshold
	}
	if radius < 0 {
		return res, nil
	}
	err = db.view(func(v *view) error {
		m, err := v.Meta()
		if err != nil {
			return err
		}
		x.await(m.GetLastSeq())
		var nums []uint64
		if quality < indexQuality {
			nums = x.allItems()
		} else {
			probes, ok := probeFrames(qprep, qp)
			if !ok {
				return nil // no video can reach the query threshold
			}
			if nums, err = x.candidates(ctx, probes, radius); err != nil {
				return err
			}
		}
		return db.scoreVideos(ctx, v, nums, qprep, &o, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// probeFrames returns the query frames to search for: with query
// threshold qp > 0, the fewest (largest counts first) whose counts exceed
// the number of frames a matching video may miss; else all. It reports
// false when no video can reach qp.
func probeFrames(q vpdq.Prepared, qp float64) ([]vpdq.Frame, bool) {
	if qp <= 0 {
		return q.Frames, true
	}
	need := -1 // the fewest agreeing frames that reach qp
	for m := 1; m <= q.Total; m++ {
		if vpdq.Percent(m, q.Total) >= qp {
			need = m
			break
		}
	}
	if need < 0 {
		return nil, false
	}
	probes := slices.Clone(q.Frames)
	slices.SortStableFunc(probes, func(a, b vpdq.Frame) int { return cmp.Compare(b.Count, a.Count) })
	miss, sum := q.Total-need, 0
	for i, f := range probes {
		if sum += f.Count; sum > miss {
			return probes[:i+1], true
		}
	}
	return probes, true
}

// scoreVideos scores the candidate items nums, as the snapshot v holds
// them, against the prepared query, and files those that match in res.
func (db *DB) scoreVideos(ctx context.Context, v *view, nums []uint64, q vpdq.Prepared, o *VideoMatchOptions, res *VideoResult) error {
	_, quality, _, _ := o.Compare.Params()
	rule := o.Compare.RuleOf()
	for i, n := range nums {
		if i%256 == 255 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ik := v.Get(store.BucketNumbers, store.NumKey(n))
		if ik == nil {
			continue // gone since the index saw it, or an unfinished staged write's
		}
		r, ok, err := v.item(ik)
		if err != nil {
			return err
		}
		if !ok || r.Retracted || r.num != n || r.Video == nil {
			continue
		}
		c := vpdq.Prepare(r.Video, rule, quality)
		score := vpdq.ComparePrepared(q, c, &o.Compare)
		if !score.Match {
			continue
		}
		m := VideoMatch{Item: r.Item, QueryPercent: score.QueryPercent, ComparedPercent: score.ComparedPercent, Result: score}
		if k := o.maxPairs(); k > 0 {
			m.Pairs = vpdq.Pairs(q, c, &o.Compare, k)
			m.Segments = vpdq.Segments(m.Pairs, o.SegmentGap)
		}
		fp, err := isFalsePositive(v, db.opts.Organization, r.Key, signal.Signal{})
		if err != nil {
			return err
		}
		if fp {
			res.Suppressed = append(res.Suppressed, m)
		} else {
			res.Matches = append(res.Matches, m)
		}
	}
	sortVideoMatches(res.Matches)
	sortVideoMatches(res.Suppressed)
	return nil
}

func sortVideoMatches(ms []VideoMatch) {
	slices.SortFunc(ms, func(a, b VideoMatch) int {
		if c := cmp.Compare(b.QueryPercent, a.QueryPercent); c != 0 {
			return c
		}
		if c := cmp.Compare(b.ComparedPercent, a.ComparedPercent); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Item.Source, b.Item.Source), cmp.Compare(a.Item.ID, b.Item.ID))
	})
}

// framesAgainstImages looks each distinct query frame of quality at least
// the threshold up in the PDQ image index.
func (db *DB) framesAgainstImages(ctx context.Context, q *vpdq.Hash, o *VideoMatchOptions) ([]FrameImage, error) {
	if err := db.useIndexes(ctx); err != nil {
		return nil, err
	}
	_, quality, _, _ := o.Compare.Params()
	seen := make(map[[32]byte]bool)
	var out []FrameImage
	for _, f := range q.Features {
		if int(f.Quality) < quality || seen[f.PDQ] {
			continue
		}
		seen[f.PDQ] = true
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := signal.New(signal.PDQ, f.PDQ[:])
		if err != nil {
			return nil, err
		}
		r, err := db.match(s, []query{{sig: s}}, o.Images)
		if err != nil {
			return nil, fmt.Errorf("frame at %.3fs: %w", f.Seconds, err)
		}
		if r.Matched() || len(r.Suppressed) > 0 {
			out = append(out, FrameImage{Frame: f, Result: r})
		}
	}
	return out, nil
}
