package hashdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashshare/hashshare/internal/store"
)

// ErrInvalidState reports a [LocalState] that cannot be stored.
var ErrInvalidState = errors.New("invalid local state")

// MaxAnnotationLen is the longest [LocalState.Annotation].
const MaxAnnotationLen = 64 << 10

// A LocalState is what the local organisation keeps about an item beyond
// the item itself: whether it is switched off for matching for a while,
// and the application's own notes on it. It is never exchanged and not in
// the change log, since it is a decision of this deployment, not a fact
// about the content; it stays when the item is updated or retracted.
//
// hashdb does not act on it: [DB.Match] matches disabled items. A service
// that honours it reads it for the items a match found
// ([DB.LocalStates]) and drops the disabled ones.
type LocalState struct {
	// Disabled switches the item off, until DisabledUntil if that is set,
	// else until it is switched on again.
	Disabled      bool
	DisabledUntil time.Time
	// Annotation is the application's data about the item, opaque to
	// hashdb (the match server keeps HMA's metadata object here); at most
	// MaxAnnotationLen bytes.
	Annotation []byte
}

// DisabledAt reports whether the item is switched off at time t.
func (s LocalState) DisabledAt(t time.Time) bool {
	return s.Disabled && (s.DisabledUntil.IsZero() || t.Before(s.DisabledUntil))
}

func (s LocalState) isZero() bool { return !s.Disabled && len(s.Annotation) == 0 }

// localFlagDisabled is the flag byte's bit for Disabled.
const localFlagDisabled = 1

// encode lays s out as flags, DisabledUntil as big-endian Unix
// nanoseconds (0 for none), then the annotation.
func (s LocalState) encode() []byte {
	b := make([]byte, 9, 9+len(s.Annotation))
	if s.Disabled {
		b[0] = localFlagDisabled
	}
	if !s.DisabledUntil.IsZero() {
		binary.BigEndian.PutUint64(b[1:], uint64(s.DisabledUntil.UnixNano()))
	}
	return append(b, s.Annotation...)
}

func decodeLocalState(n uint64, b []byte) (LocalState, error) {
	if len(b) < 9 || b[0]&^localFlagDisabled != 0 {
		return LocalState{}, fmt.Errorf("%w: local state of item number %d: %x", ErrCorrupt, n, b)
	}
	s := LocalState{Disabled: b[0]&localFlagDisabled != 0}
	if ns := int64(binary.BigEndian.Uint64(b[1:])); ns != 0 {
		s.DisabledUntil = time.Unix(0, ns).UTC()
	}
	if len(b) > 9 {
		s.Annotation = append([]byte(nil), b[9:]...)
	}
	return s, nil
}

// LocalStates returns the local state of the items numbered nums, in
// order: the zero LocalState for an item with none, or no item.
func (db *DB) LocalStates(nums ...uint64) (_ []LocalState, err error) {
	defer wrapErr(&err, "local states")
	out := make([]LocalState, len(nums))
	err = db.view(func(v *view) error {
		for i, n := range nums {
			if b := v.Get(store.BucketLocal, store.NumKey(n)); b != nil {
				var err error
				if out[i], err = decodeLocalState(n, b); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// SetLocalState replaces the local state of the item numbered n by s; the
// zero LocalState clears it. The error wraps [ErrNotFound] if there is no
// such item and [ErrInvalidState] if s cannot be stored.
func (db *DB) SetLocalState(ctx context.Context, n uint64, s LocalState) (err error) {
	defer wrapErrOf(&err, func() string { return fmt.Sprintf("set local state of number %d", n) })
	switch {
	case len(s.Annotation) > MaxAnnotationLen:
		return fmt.Errorf("%w: annotation of %d bytes, more than %d", ErrInvalidState, len(s.Annotation), MaxAnnotationLen)
	case !s.Disabled && !s.DisabledUntil.IsZero():
		return fmt.Errorf("%w: a DisabledUntil time on an item that is not disabled", ErrInvalidState)
	case !s.DisabledUntil.IsZero() && s.DisabledUntil.UnixNano() <= 0:
		return fmt.Errorf("%w: DisabledUntil %v is not after 1970", ErrInvalidState, s.DisabledUntil)
	}
	return db.update(ctx, func(w *writer) error {
		nk := store.NumKey(n)
		ik := w.nums.Get(nk)
		if ik == nil {
			return ErrNotFound
		}
		if r, ok, err := w.load(ik); err != nil {
			return err
		} else if !ok || r.num != n {
			return ErrNotFound
		}
		if err := w.t.Create(store.BucketLocal); err != nil {
			return err
		}
		b := w.t.Bucket(store.BucketLocal)
		if s.isZero() {
			return b.Delete(nk)
		}
		return b.Put(nk, s.encode())
	})
}
