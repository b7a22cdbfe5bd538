package bundle

// Limits bound what a [Reader] accepts, checked while it streams, so a
// hostile bundle costs at most the limits' worth of reading before it is
// refused with [ErrLimit]. A zero field takes the value of
// [DefaultLimits].
type Limits struct {
	// MaxFrameBytes is the largest encoded frame.
	MaxFrameBytes int
	// MaxEntries is the most entries per bundle.
	MaxEntries int64
	// MaxSignals is the most signals per item.
	MaxSignals int
	// MaxLabels is the most labels per item.
	MaxLabels int
	// MaxLabelLen is the longest label in bytes.
	MaxLabelLen int
	// MaxBytes is the most uncompressed bytes per bundle, which also bounds
	// what a small gzip stream may expand to.
	MaxBytes int64
}

// DefaultLimits returns limits generous for real bundles (GIFCT's whole
// database is about 370,000 items) and small enough for a bundle to be read
// on a modest machine.
func DefaultLimits() Limits {
	return Limits{
		MaxFrameBytes: 1 << 20,
		MaxEntries:    50_000_000,
		MaxSignals:    64,
		MaxLabels:     64,
		MaxLabelLen:   128,
		MaxBytes:      16 << 30,
	}
}

// withDefaults returns l with zero fields replaced by the defaults.
func (l *Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l == nil {
		return d
	}
	out := *l
	if out.MaxFrameBytes <= 0 {
		out.MaxFrameBytes = d.MaxFrameBytes
	}
	if out.MaxEntries <= 0 {
		out.MaxEntries = d.MaxEntries
	}
	if out.MaxSignals <= 0 {
		out.MaxSignals = d.MaxSignals
	}
	if out.MaxLabels <= 0 {
		out.MaxLabels = d.MaxLabels
	}
	if out.MaxLabelLen <= 0 {
		out.MaxLabelLen = d.MaxLabelLen
	}
	if out.MaxBytes <= 0 {
		out.MaxBytes = d.MaxBytes
	}
	return out
}
