package hashdb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashshare/hashshare/internal/store"
)

// reportedOpinion is what the feeds bucket records of an opinion sent to
// an exchange: enough to tell whether the opinion has changed since.
type reportedOpinion struct {
	Verdict  Verdict `json:"verdict"`
	TimeNano int64   `json:"time"`
	SentNano int64   `json:"sent"`
}

func reportedKey(api string, op *Opinion) []byte {
	return append([]byte(api+"\x00"), opinionKey(op)...)
}

// Unreported returns the local organisation's opinions on items of
// source that have not been reported to the exchange api as they now
// stand ([DB.MarkReported]): each opinion once, and again only if it
// changes.
func (db *DB) Unreported(api, source string) (_ []Opinion, err error) {
	defer wrapErrOf(&err, func() string { return "unreported opinions for " + api })
	org := db.Organization()
	if org == "" {
		return nil, nil
	}
	var out []Opinion
	err = db.view(func(v *view) error {
		rb := v.Bucket(store.BucketFeeds, feedReported)
		c := v.Cursor(store.BucketOpinions)
		for k, val := c.Seek([]byte{'k'}); k != nil && k[0] == 'k'; k, val = c.Next() {
			op, _, err := decodeOpinion(k, val)
			if err != nil {
				return err
			}
			if op.Org != org || op.Key.Source != source {
				continue
			}
			if rb != nil {
				if r := rb.Get(reportedKey(api, &op)); r != nil {
					var sent reportedOpinion
					if err := json.Unmarshal(r, &sent); err != nil {
						return fmt.Errorf("%w: reported opinion: %v", ErrCorrupt, err)
					}
					if sent.Verdict == op.Verdict && sent.TimeNano == unixNano(op.Time) {
						continue
					}
				}
			}
			out = append(out, op)
		}
		return nil
	})
	return out, err
}

// MarkReported records that op, as [DB.Unreported] returned it, has been
// sent to the exchange api, so that it is not sent again.
func (db *DB) MarkReported(ctx context.Context, api string, op Opinion) (err error) {
	defer wrapErrOf(&err, func() string { return "mark reported " + op.Key.String() })
	return db.update(ctx, func(w *writer) error {
		v, err := json.Marshal(reportedOpinion{Verdict: op.Verdict, TimeNano: unixNano(op.Time), SentNano: w.nowNs})
		if err != nil {
			return err
		}
		if err := w.t.Create(store.BucketFeeds, feedReported); err != nil {
			return err
		}
		return w.t.Bucket(store.BucketFeeds, feedReported).Put(reportedKey(api, &op), v)
	})
}
