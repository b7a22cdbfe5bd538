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
}

func newBudgetReader(r io.Reader, max int, entry string) *budgetReader {
	return &budgetReader{r: r, max: int64(max), left: int64(max), entry: entry}
}

// reset gives the next entry the whole budget. The decoder may already
// hold part of it, read ahead on the previous budget, so a budget covers
// at least an entry of max bytes.
func (b *budgetReader) reset() { b.left = b.max }

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w: %s longer than %d bytes", ErrTooLarge, b.entry, b.max)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
