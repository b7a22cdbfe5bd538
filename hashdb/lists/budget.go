package lists

import (
	"fmt"
	"io"
)

// A budgetReader fails once more than a set number of bytes has been read
// since its last reset. The JSON, XML and CSV decoders buffer a whole
// value (an entry, a field) before they return it; resetting the budget
// at each entry bounds their memory whatever the input.
type budgetReader struct {
	r     io.Reader
	max   int64
	left  int64
	entry string // what the budget is for, for the message
	// err is the first error reading failed with, other than io.EOF: the
	// decoders wrap some errors and not others, so this is how a reader
	// tells a failed read from input that is not of its format.
	err error
}

func newBudgetReader(r io.Reader, max int, entry string) *budgetReader {
	return &budgetReader{r: r, max: int64(max), left: int64(max), entry: entry}
}

// reset gives the next entry the whole budget. The decoder may already
// hold part of it, read ahead on the previous budget, so a budget covers
// at least an entry of max bytes.
func (b *budgetReader) reset() { b.left = b.max }

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		b.err = fmt.Errorf("%w: %s longer than %d bytes", ErrTooLarge, b.entry, b.max)
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// fail returns the error that ends a list whose decoder failed with err:
// the read error, if reading failed, else ErrFormat naming err.
func (b *budgetReader) fail(name string, err error) error {
	if b.err != nil {
		return b.err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %s: the document ends early", ErrFormat, name)
	}
	return fmt.Errorf("%w: %s: %v", ErrFormat, name, err)
}
