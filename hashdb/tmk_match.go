package hashdb

import (
	"context"
	"fmt"
	"math"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/store"
)

// TMKMatchOptions tune [DB.MatchTMK]. The zero value (or nil) applies the
// reference's thresholds, 0.7 at both levels.
type TMKMatchOptions struct {
	// Thresholds are the level-1 and level-2 scores a stored video must
	// reach; zero fields mean the defaults.
	Thresholds tmk.Thresholds
}

// A TMKMatch is a stored video whose TMK+PDQF hash matched the query's.
type TMKMatch struct {
	// Item is the stored item.
	Item Item
	// Score holds its level-1 and level-2 scores against the query.
	Score tmk.Score
}

// A TMKResult is what [DB.MatchTMK] found.
type TMKResult struct {
	// Matches are the live items that passed both levels, by descending
	// level-2 score.
	Matches []TMKMatch
	// Suppressed are matches the local organisation marked as false
	// positives.
	Suppressed []TMKMatch
}

// MatchTMK finds the live items whose TMK+PDQF hash matches q as the
// reference's two-level search does: level 1 (the cosine of the pure
// averages) over every stored video through an in-memory index of the
// averages, then level 2 (the best time offset) only for the survivors,
// read from their stored records. A nil q finds nothing; a q with other
// parameters than the reference's, or thresholds that are not numbers,
// gives an error wrapping ErrInvalidOptions.
func (db *DB) MatchTMK(ctx context.Context, q *tmk.Hash, opts *TMKMatchOptions) (res *TMKResult, err error) {
	defer wrapErr(&err, "match tmk")
	res = &TMKResult{}
	if q == nil {
		return res, nil
	}
	var o TMKMatchOptions
	if opts != nil {
		o = *opts
	}
	th := o.Thresholds
	if math.IsNaN(float64(th.Level1)) || math.IsNaN(float64(th.Level2)) {
		return nil, fmt.Errorf("%w: tmk threshold is not a number", ErrInvalidOptions)
	}
	if q.Periods != tmk.Periods || q.Coefficients != tmk.Coefficients {
		return nil, fmt.Errorf("%w: tmk hash with other parameters than the reference's", ErrInvalidOptions)
	}
	x, err := db.useTMKIndex(ctx)
	if err != nil {
		return nil, err
	}
	err = db.view(func(v *view) error {
		m, err := v.Meta()
		if err != nil {
			return err
		}
		x.await(m.GetLastSeq())
		x.mu.RLock()
		cands := x.x.Search(q, th.Level1)
		x.mu.RUnlock()
		for i, c := range cands {
			if i%16 == 15 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ik := v.Get(store.BucketNumbers, store.NumKey(c.ID))
			if ik == nil {
				continue
			}
			r, ok, err := v.item(ik)
			if err != nil {
				return err
			}
			if !ok || r.Retracted || r.num != c.ID || r.TMK == nil {
				continue
			}
			s, pass, err := tmk.Compare(q, r.TMK, th)
			if err != nil || !pass {
				continue
			}
			mt := TMKMatch{Item: r.Item, Score: s}
			fp, err := isFalsePositive(v, db.opts.Organization, r.Key, signal.Signal{})
			if err != nil {
				return err
			}
			if fp {
				res.Suppressed = append(res.Suppressed, mt)
			} else {
				res.Matches = append(res.Matches, mt)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
