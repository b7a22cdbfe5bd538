package lists

import "io"

// A Reader yields the records of one hash list, one at a time, without
// holding the list in memory.
type Reader struct {
	format Format
	next   func() (Record, error)
	err    error
}

// newReader returns a Reader of format f whose records come from next,
// which returns io.EOF after the last one.
func newReader(f Format, next func() (Record, error)) *Reader {
	return &Reader{format: f, next: next}
}

// Format returns the format being read (the one sniffed, for Auto).
func (r *Reader) Format() Format { return r.format }

// Next returns the next record, or io.EOF after the last one. A record
// that cannot be used is a [Skip] record, not an error: an error means the
// list cannot be read on (a read failure, a document that is not of its
// format at all), and every later call returns it again.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
		if err != io.EOF {
			return Record{}, err
		}
	}
	return rec, err
}
