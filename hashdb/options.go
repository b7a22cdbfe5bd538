package hashdb

import (
	"fmt"
	"time"
)

// Options configure [Open]. A zero field means its default, so set only
// what you need: &Options{Organization: "example-org"} opens with every
// limit at its default, and a nil *Options means the defaults throughout.
// [DefaultOptions] returns them filled in.
type Options struct {
	// Timeout is how long Open waits for the file lock another process (or
	// another DB in this process) holds before failing with [ErrLocked].
	// Writers take the lock exclusively, read-only opens share it. Zero
	// means one second; a negative Timeout waits for ever.
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

	// MaxSignals is the most signals one item may carry; zero means 64.
	MaxSignals int

	// MaxLabels is the most labels one item may carry; zero means 32.
	MaxLabels int

	// MaxLabelLen is the longest label in bytes, at most [MaxLabelLen];
	// zero means [MaxLabelLen].
	MaxLabelLen int

	// MaxNoteLen is the longest note or reason in bytes; zero means 4096.
	MaxNoteLen int

	// Now returns the current time, which stamps changes, opinions and
	// first/last seen times left unset. Nil means [time.Now]; tests set a
	// fixed clock.
	Now func() time.Time
}

// DefaultOptions returns the options a nil *Options, or a zero one, stands
// for, with every default filled in.
func DefaultOptions() *Options {
	o := new(Options).withDefaults()
	return &o
}

// withDefaults returns a copy of o with its zero fields set to their
// defaults.
func (o *Options) withDefaults() Options {
	d := *o
	def := func(v *int, x int) {
		if *v == 0 {
			*v = x
		}
	}
	if d.Timeout == 0 {
		d.Timeout = time.Second
	}
	def(&d.MaxSignals, 64)
	def(&d.MaxLabels, 32)
	def(&d.MaxLabelLen, MaxLabelLen)
	def(&d.MaxNoteLen, 4096)
	return d
}

// lockTimeout is the Timeout bbolt takes, where zero waits for ever.
func (o *Options) lockTimeout() time.Duration { return max(o.Timeout, 0) }

// Validate reports the first option out of range, as an error wrapping
// [ErrInvalidOptions]. Zero fields stand for their defaults and are valid.
func (o *Options) Validate() error {
	filled := o.withDefaults()
	o = &filled
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	switch {
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
