package hashdb

import (
	"fmt"
	"time"
)

// Options configure [Open]. Start from [DefaultOptions] and change what you
// need; a nil *Options means the defaults.
type Options struct {
	// Timeout is how long Open waits for the file lock another process (or
	// another DB in this process) holds before failing with [ErrLocked].
	// Writers take the lock exclusively, read-only opens share it. Zero
	// waits for ever.
	Timeout time.Duration

	// ReadOnly opens the file for reading only: writes fail with
	// [ErrReadOnly], and any number of read-only DBs may share the file.
	// The file must already hold a hashshare database.
	ReadOnly bool

	// Organization is the local organisation's id (lowercase letters,
	// digits, '_', '.', '-'). It is the source of items stored without one
	// and the org of opinions recorded without one. The file records it
	// at the first writable open that sets it; later opens may leave it
	// empty to use the recorded one, and fail with [ErrInvalidOptions] if
	// they name another. Empty, in a file that records none, means items
	// must name their source and opinions their org.
	Organization string

	// MaxSignals is the most signals one item may carry.
	MaxSignals int

	// MaxLabels is the most labels one item may carry.
	MaxLabels int

	// MaxLabelLen is the longest label in bytes, at most [MaxLabelLen].
	MaxLabelLen int

	// MaxNoteLen is the longest note or reason in bytes.
	MaxNoteLen int

	// Now returns the current time, which stamps changes, opinions and
	// first/last seen times left unset. Nil means [time.Now]; tests set a
	// fixed clock.
	Now func() time.Time
}

// DefaultOptions returns the options a nil *Options stands for.
func DefaultOptions() *Options {
	return &Options{
		Timeout:     time.Second,
		MaxSignals:  64,
		MaxLabels:   32,
		MaxLabelLen: MaxLabelLen,
		MaxNoteLen:  4096,
	}
}

// Validate reports the first option out of range, as an error wrapping
// [ErrInvalidOptions].
func (o *Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	switch {
	case o.Timeout < 0:
		return bad("Timeout %v is negative", o.Timeout)
	case o.MaxSignals < 1:
		return bad("MaxSignals %d, want at least 1", o.MaxSignals)
	case o.MaxLabels < 0:
		return bad("MaxLabels %d is negative", o.MaxLabels)
	case o.MaxLabelLen < 1 || o.MaxLabelLen > MaxLabelLen:
		return bad("MaxLabelLen %d, want 1 to %d", o.MaxLabelLen, MaxLabelLen)
	case o.MaxNoteLen < 0 || o.MaxNoteLen > maxNoteLen:
		return bad("MaxNoteLen %d, want 0 to %d", o.MaxNoteLen, maxNoteLen)
	}
	if o.Organization != "" {
		if err := validateOrg(o.Organization); err != nil {
			return bad("Organization: %v", err)
		}
	}
	return nil
}

// maxNoteLen bounds MaxNoteLen so one record stays far below bbolt's value
// size limit.
const maxNoteLen = 1 << 20

// now returns the current time by the options' clock.
func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
