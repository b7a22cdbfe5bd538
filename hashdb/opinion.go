package hashdb

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A Verdict is an organisation's judgement of an item or a signal.
type Verdict uint8

// The verdicts. The zero Verdict is invalid.
const (
	// Confirmed: the content is what the source says it is.
	Confirmed Verdict = iota + 1
	// Disputed: the organisation disagrees with the source.
	Disputed
	// FalsePositive: matches on the target are wrong; the opinion is an
	// allow-list entry that suppresses them.
	FalsePositive
)

var verdictNames = [...]string{Confirmed: "confirmed", Disputed: "disputed", FalsePositive: "false-positive"}

// Valid reports whether v is one of the defined verdicts.
func (v Verdict) Valid() bool { return v >= Confirmed && v <= FalsePositive }

// String returns "confirmed", "disputed" or "false-positive".
func (v Verdict) String() string {
	if !v.Valid() {
		return fmt.Sprintf("Verdict(%d)", uint8(v))
	}
	return verdictNames[v]
}

// An Opinion is an organisation's verdict on one item, or on one signal
// wherever it appears. Exactly one of Key and Signal is set. Each
// organisation holds at most one opinion per target: a new one replaces it.
type Opinion struct {
	// Key is the item judged.
	Key Key
	// Signal is the signal judged, in whatever items carry it.
	Signal signal.Signal
	// Verdict is the judgement.
	Verdict Verdict
	// Actor is the person or system whose judgement it is (a partner's
	// analyst, for an imported opinion); unset, the actor of the context.
	// The change that records the opinion is attributed, as every change
	// is, to the context's actor ([WithActor]).
	Actor string
	// Org is the organisation whose opinion it is; unset, the database's
	// Organization.
	Org string
	// Time is when the opinion was recorded; unset, now.
	Time time.Time
	// Reason is free text.
	Reason string
}

// normalizeOpinion fills in defaults and checks op.
func (db *DB) normalizeOpinion(ctx context.Context, op Opinion) (Opinion, error) {
	if op.Org == "" {
		op.Org = db.opts.Organization
	}
	if op.Actor == "" {
		op.Actor = actorFrom(ctx)
	}
	if op.Time.IsZero() {
		op.Time = db.opts.now()
	}
	var err error
	if op.Time, err = canonicalTime("Time", op.Time); err != nil {
		return op, err
	}
	op.Key = op.Key.Own() // a verdict is on the content, whoever's copy
	switch hasKey := op.Key != (Key{}); {
	case hasKey && !op.Signal.IsZero():
		return op, fmt.Errorf("both a key and a signal (set one)")
	case hasKey:
		if err := op.Key.validate(); err != nil {
			return op, err
		}
	case op.Signal.IsZero():
		return op, fmt.Errorf("no target (set Key or Signal)")
	case !op.Signal.Algorithm().Valid():
		return op, fmt.Errorf("invalid signal")
	}
	if !op.Verdict.Valid() {
		return op, fmt.Errorf("verdict %v (want Confirmed, Disputed or FalsePositive)", op.Verdict)
	}
	if op.Org == "" {
		return op, fmt.Errorf("no org, and the database has no Organization to default to")
	}
	if err := validateOrg(op.Org); err != nil {
		return op, fmt.Errorf("org: %v", err)
	}
	if len(op.Actor) > maxIDLen {
		return op, fmt.Errorf("actor: %d bytes, more than %d", len(op.Actor), maxIDLen)
	}
	return op, db.opts.validateText("reason", op.Reason)
}

// opinionPrefix is the opinions bucket's key prefix of every opinion on
// the target of op.
func opinionPrefix(key Key, sig signal.Signal) []byte {
	if key != (Key{}) {
		// A verdict on an item holds for every copy of it.
		return store.ItemOpinionPrefix(itemKey(key.Own()))
	}
	return store.SignalOpinionPrefix(byte(sig.Algorithm()), sig.Bytes())
}

func opinionKey(op *Opinion) []byte { return append(opinionPrefix(op.Key, op.Signal), op.Org...) }

func opinionToProto(op *Opinion) *pb.Opinion {
	p := &pb.Opinion{
		Verdict:      pb.Verdict(op.Verdict),
		Actor:        op.Actor,
		Org:          op.Org,
		TimeUnixNano: unixNano(op.Time),
		Reason:       op.Reason,
	}
	if op.Key != (Key{}) {
		p.Target = &pb.Opinion_Item{Item: &pb.ItemKey{Source: op.Key.Source, Id: op.Key.ID}}
	} else {
		p.Target = &pb.Opinion_Signal{Signal: signalToProto(op.Signal, false)}
	}
	return p
}

// opinionFromProto converts the wire form without checking it.
func opinionFromProto(p *pb.Opinion) (Opinion, error) {
	op := Opinion{
		Actor:  p.GetActor(),
		Org:    p.GetOrg(),
		Time:   fromUnixNano(p.GetTimeUnixNano()),
		Reason: p.GetReason(),
	}
	if v := p.GetVerdict(); v > 0 && v < 256 {
		op.Verdict = Verdict(v)
	}
	switch t := p.GetTarget().(type) {
	case *pb.Opinion_Item:
		op.Key = Key{Source: t.Item.GetSource(), ID: t.Item.GetId()}
	case *pb.Opinion_Signal:
		s, err := signalFromProto(t.Signal)
		if err != nil {
			return op, err
		}
		op.Signal = s
	}
	return op, nil
}

// decodeOpinion decodes an opinions bucket entry and checks it is one the
// database could have written. Errors wrap [ErrCorrupt].
func decodeOpinion(key, val []byte) (Opinion, uint64, error) {
	var r pb.OpinionRecord
	if err := proto.Unmarshal(val, &r); err != nil {
		return Opinion{}, 0, fmt.Errorf("%w: opinion %q: %v", ErrCorrupt, key, err)
	}
	op, err := opinionFromProto(r.GetOpinion())
	if err == nil {
		db := DB{opts: storedLimits}
		var n Opinion
		n, err = db.normalizeOpinion(context.Background(), op)
		if err == nil && n != op {
			err = fmt.Errorf("not in canonical form")
		}
	}
	if err == nil && string(opinionKey(&op)) != string(key) {
		err = fmt.Errorf("stored under the wrong key")
	}
	if err == nil && r.GetSeq() == 0 {
		err = fmt.Errorf("no sequence number")
	}
	if err != nil {
		return Opinion{}, 0, fmt.Errorf("%w: opinion %q: %v", ErrCorrupt, key, err)
	}
	return op, r.GetSeq(), nil
}

// SetOpinion records op, replacing the opinion of the same organisation on
// the same target, and logs the change. The target need not be stored:
// an organisation may judge a signal or a partner's item before it
// arrives. Errors for a bad opinion wrap [ErrInvalidOpinion].
func (db *DB) SetOpinion(ctx context.Context, op Opinion) (err error) {
	defer wrapErr(&err, "set opinion")
	op, err = db.normalizeOpinion(ctx, op)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOpinion, err)
	}
	return db.update(ctx, func(w *writer) error { return w.putOpinion(&op) })
}

// putOpinion stores op, the only place opinions are written.
func (w *writer) putOpinion(op *Opinion) error {
	k := opinionKey(op)
	var prev uint64
	if v := w.ops.Get(k); v != nil {
		_, seq, err := decodeOpinion(k, v)
		if err != nil {
			return err
		}
		prev = seq
	} else {
		w.counts[countKey{kind: countOpinions}]++
	}
	p := opinionToProto(op)
	c := &pb.Change{Kind: pb.ChangeKind_CHANGE_KIND_OPINION, Opinion: p, PrevSeq: prev}
	if op.Key != (Key{}) {
		c.Item = &pb.ItemKey{Source: op.Key.Source, Id: op.Key.ID}
	}
	seq, err := w.appendChange(c)
	if err != nil {
		return err
	}
	v, err := marshal.Marshal(&pb.OpinionRecord{Opinion: p, Seq: seq})
	if err != nil {
		return err
	}
	return w.ops.Put(k, v)
}

// Opinions returns every organisation's opinion on the item with the given
// key, ordered by organisation.
func (db *DB) Opinions(key Key) (_ []Opinion, err error) {
	defer wrapErrOf(&err, func() string { return "opinions of " + key.String() })
	return db.opinions(opinionPrefix(key, signal.Signal{}))
}

// SignalOpinions returns every organisation's opinion on signal s, ordered
// by organisation.
func (db *DB) SignalOpinions(s signal.Signal) (_ []Opinion, err error) {
	defer wrapErrOf(&err, func() string { return "opinions of " + s.String() })
	if s.IsZero() {
		return nil, fmt.Errorf("%w: zero Signal", signal.ErrInvalid)
	}
	return db.opinions(opinionPrefix(Key{}, s))
}

func (db *DB) opinions(prefix []byte) ([]Opinion, error) {
	var ops []Opinion
	err := db.view(func(view *view) error {
		c := view.Cursor(store.BucketOpinions)
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			op, _, err := decodeOpinion(k, v)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
		return nil
	})
	return ops, err
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}
