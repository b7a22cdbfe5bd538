package lists

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// pytxCSVReader reads `tx dataset -P --csv`: a header naming the columns
// (signal_type and signal_str required; collab, category and tags read if
// present), then one signal a row, tags joined by spaces.
type pytxCSVReader struct {
	budget *budgetReader
	csv    *csv.Reader
	cols   map[string]int
	q      recordQueue
}

func newPyTXCSVReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) {
	r := &pytxCSVReader{budget: newBudgetReader(br, o.MaxRecordSize, "a pytx CSV record")}
	r.csv = csv.NewReader(r.budget)
	r.csv.FieldsPerRecord = -1
	r.csv.ReuseRecord = true
	return r.next
}

func (r *pytxCSVReader) next() (Record, error) {
	if rec, ok := r.q.pop(); ok {
		return rec, nil
	}
	if r.cols == nil {
		if err := r.header(); err != nil {
			return Record{}, err
		}
	}
	for {
		r.budget.reset()
		row, err := r.csv.Read()
		var perr *csv.ParseError
		switch {
		case r.budget.err != nil:
			return Record{}, r.budget.err
		case errors.As(err, &perr):
			return skipRecord(perr.StartLine, "malformed record", fmt.Errorf("line %d: %w", perr.StartLine, perr.Err)), nil
		case err != nil:
			return Record{}, err
		}
		line, _ := r.csv.FieldPos(0)
		field := func(name string) string {
			if i, ok := r.cols[name]; ok && i < len(row) {
				return row[i]
			}
			return ""
		}
		e := pytxEntry{
			line:     line,
			typ:      strings.TrimSpace(field("signal_type")),
			value:    strings.TrimSpace(field("signal_str")),
			collab:   field("collab"),
			category: strings.TrimSpace(field("category")),
			tags:     strings.Fields(field("tags")),
		}
		switch {
		case e.typ == "" && e.value == "":
			continue
		case e.typ == "" || e.value == "":
			return skipRecord(line, "malformed record", fmt.Errorf("line %d: empty signal_type or signal_str", line)), nil
		case e.category != "" && !isCategory(e.category):
			return skipRecord(line, "malformed record", fmt.Errorf("line %d: category %q is not an opinion category (want %s)", line, clipText(e.category), strings.Join(pytxCategories, ", "))), nil
		}
		if _, ok := pytxTypes[e.typ]; !ok && e.typ != pytxVPDQ {
			return typeSkip(line, e.typ, pytxUnsupported), nil
		}
		return e.records(&r.q), nil
	}
}

// header reads the header row, which tells this CSV from any other.
func (r *pytxCSVReader) header() error {
	row, err := r.csv.Read()
	if err == io.EOF {
		return fmt.Errorf("%w: pytx CSV: empty input, not even the header", ErrFormat)
	}
	if err != nil {
		return r.budget.fail("pytx CSV header", err)
	}
	cols := make(map[string]int, len(row))
	for i, name := range row {
		cols[strings.TrimSpace(name)] = i
	}
	for _, need := range []string{"signal_type", "signal_str"} {
		if _, ok := cols[need]; !ok {
			return fmt.Errorf("%w: pytx CSV: the header %q has no %s column", ErrFormat, clipText(strings.Join(row, ",")), need)
		}
	}
	r.cols = cols
	return nil
}
