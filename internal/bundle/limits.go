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
	// MaxBytes is the most uncompressed bytes per bundle: what a recipient
	// that stages a bundle (as hashdb does) may have to hold on disk.
	MaxBytes int64
	// MaxRatio is how many times its compressed size a gzip stream may
	// expand to, past its first MiB: real bundles, dense with hashes,
	// compress a few times at most, while a decompression bomb expands a
	// thousandfold.
	MaxRatio int
	// MaxUnsealedBytes is the largest format 1 bundle, whose signature,
	// with no seals before it, is known only at its end: what a forged
	// one costs to read and stage. Format 2 bundles are sealed every
	// [SealInterval] bytes and are not bound by it.
	MaxUnsealedBytes int64
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

		MaxRatio:         100,
		MaxUnsealedBytes: 64 << 20,
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
	if out.MaxRatio <= 0 {
		out.MaxRatio = d.MaxRatio
	}
	if out.MaxUnsealedBytes <= 0 {
		out.MaxUnsealedBytes = d.MaxUnsealedBytes
	}
	return out
}
