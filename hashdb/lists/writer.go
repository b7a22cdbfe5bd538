package lists

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// ErrNotWritable reports a format the package reads but does not write.
var ErrNotWritable = errors.New("format not written")

// pytxLabelPrefix is the namespace readers put pytx tags in: a tag t
// becomes the label "pytx:t", and the writers strip it again.
const pytxLabelPrefix = "pytx:"

// PDQ qualities written by the "hash,quality,filename" form. hashdb keeps
// only whether a hash is unreliable, not its quality; 100 and 0 are PDQ's
// extremes, so whatever cut-off a reader applies (PDQ's and pytx's 50,
// anything from 1 to 100) sorts them as we do.
const (
	PDQReliableQuality   = 100
	PDQUnreliableQuality = 0
)

// A Writer writes items as one hash list. A format carries fewer
// distinctions than hashdb does, so a signal the format has no form for
// is left out and counted by reason ([Writer.Skipped]) rather than
// failing the list.
//
// Lines go out in the order items are written, an item's vPDQ (pytx's
// vpdq type, in the pytx formats) after its fixed-width signals;
// lower-case hex, one signal a line, which is how pytx and the PDQ tools
// write, so a list they wrote, ingested and dumped in the order it was
// stored, comes back byte for byte.
type Writer struct {
	// PDQQuality selects, for the PDQ format, the hasher's
	// "hash,quality,filename" lines instead of bare hex: the quality is
	// [PDQReliableQuality] or [PDQUnreliableQuality] and the filename the
	// item's id. Set it before the first Write.
	PDQQuality bool

	w       *bufio.Writer
	format  Format
	started bool
	written int
	skipped map[string]int
	err     error
	buf     []byte // the line being written
}

// NewWriter returns a Writer of list format f to w: [PyTX] (local_file,
// as `tx dataset -P -S` prints it), [PyTXCSV] or [PDQ]. Other formats fail
// with an error wrapping [ErrNotWritable].
func NewWriter(w io.Writer, f Format) (*Writer, error) {
	switch f {
	case PyTX, PyTXCSV, PDQ:
	default:
		return nil, fmt.Errorf("lists: new writer: %w: %q (want %s, %s or %s)", ErrNotWritable, f, PyTX, PyTXCSV, PDQ)
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), format: f, skipped: map[string]int{}}, nil
}

// Format returns the format being written.
func (w *Writer) Format() Format { return w.format }

// Written returns how many signals (lines, not counting a header) have
// been written.
func (w *Writer) Written() int { return w.written }

// Skipped returns how many signals were left out, by reason: "retracted
// item", "md5 of non-video content", "md5 of content of unknown type",
// "no pytx type for phash", "not pdq: sha256", …. The map is a copy.
func (w *Writer) Skipped() map[string]int { return maps.Clone(w.skipped) }

// Write writes the item's signals: [Writer.WriteWithOpinions] with no
// opinions, the category of a [PyTXCSV] row coming from the item's labels
// alone.
func (w *Writer) Write(it hashdb.Item) error { return w.WriteWithOpinions(it, nil) }

// WriteWithOpinions writes the item's signals and, for [PyTXCSV], the
// category its pytx category labels ("pytx:positive_class",
// "pytx:negative_class", "pytx:disputed", "pytx:investigation_seed") and
// the opinions on it aggregate to, as pytx aggregates opinions: confirmed
// is POSITIVE_CLASS, false-positive NEGATIVE_CLASS, disputed or both
// DISPUTED, none INVESTIGATION_SEED. An item read from `tx dataset`
// output (it has a "pytx:collab:" label) with no category label was
// POSITIVE_CLASS, the one category the pytx readers leave unlabelled. The
// collab is the one the "pytx:collab:" label records, else the item's
// source; the tags are the other labels, without the "pytx:" namespace,
// sorted (pytx prints its set of tags in no fixed order). Other formats
// ignore ops.
//
// A retracted item is written as nothing (its signals counted as
// "retracted item"): none of the formats can say that a source withdrew a
// hash, and writing it would say the opposite.
func (w *Writer) WriteWithOpinions(it hashdb.Item, ops []hashdb.Opinion) error {
	if w.err != nil {
		return w.err
	}
	if w.format == PyTXCSV && !w.started {
		w.started = true
		if _, err := w.w.WriteString("signal_type,signal_str,collab,category,tags\r\n"); err != nil {
			return w.fail(err)
		}
	}
	if it.Retracted {
		w.skipped["retracted item"] += len(it.Signals)
		return nil
	}
	var collab, category, tags string
	if w.format == PyTXCSV {
		collab, category, tags = pytxMetadata(&it, ops)
	}
	for _, s := range it.Signals {
		name, reason := w.typeOf(&it, s)
		if reason != "" {
			w.skipped[reason]++
			continue
		}
		var q string
		if w.format == PDQ && w.PDQQuality {
			q = strconv.Itoa(PDQReliableQuality)
			if it.IsUnreliable(s) {
				q = strconv.Itoa(PDQUnreliableQuality)
			}
		}
		if err := w.line(name, s.Hex(), q, it.ID, collab, category, tags); err != nil {
			return err
		}
	}
	if it.Video != nil {
		if w.format == PDQ {
			w.skipped["not pdq: vpdq"]++
		} else if err := w.line(pytxVPDQ, it.Video.PyTX(), "", "", collab, category, tags); err != nil {
			return err
		}
	}
	if it.TMK != nil {
		w.skipped["no pytx type for tmk_pdqf"]++
	}
	return nil
}

// line writes one signal's line: its type name and value and, by format,
// the quality and id (PDQ) or the metadata (PyTXCSV).
func (w *Writer) line(name, value, quality, id, collab, category, tags string) error {
	b := w.buf[:0]
	switch w.format {
	case PyTX:
		b = append(append(append(b, name...), ' '), value...)
	case PyTXCSV:
		b = appendCSV(b, name)
		b = appendCSV(append(b, ','), value)
		b = appendCSV(append(b, ','), collab)
		b = appendCSV(append(b, ','), category)
		b = appendCSV(append(b, ','), tags)
		b = append(b, '\r')
	case PDQ:
		b = append(b, value...)
		if quality != "" {
			b = append(append(append(append(b, ','), quality...), ','), id...)
		}
	}
	b = append(b, '\n')
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return w.fail(err)
	}
	w.written++
	return nil
}

// typeOf returns the name signal s of item it goes by in the format, or
// the reason it has none.
func (w *Writer) typeOf(it *hashdb.Item, s signal.Signal) (name, reason string) {
	a := s.Algorithm()
	if w.format == PDQ {
		if a != signal.PDQ {
			return "", "not pdq: " + a.String()
		}
		return "pdq", ""
	}
	switch a {
	case signal.PDQ:
		return "pdq", ""
	case signal.MD5, signal.SHA256:
		// pytx's digests are video digests only; a digest of a photo
		// would come back to pytx as a video's.
		switch it.ContentType {
		case hashdb.ContentVideo:
			return "video_" + a.String(), ""
		case hashdb.ContentUnknown:
			return "", a.String() + " of content of unknown type"
		}
		return "", a.String() + " of non-video content"
	}
	return "", "no pytx type for " + a.String()
}

// pytxCollabPrefix is the namespace of the label a pytx reader records a
// line's collaboration in.
const pytxCollabPrefix = pytxLabelPrefix + "collab:"

// pytxCategoryLabels maps a category's label to its pytx name.
var pytxCategoryLabels = map[string]string{
	pytxLabelPrefix + "investigation_seed": "INVESTIGATION_SEED",
	pytxLabelPrefix + "positive_class":     "POSITIVE_CLASS",
	pytxLabelPrefix + "negative_class":     "NEGATIVE_CLASS",
	pytxLabelPrefix + "disputed":           "DISPUTED",
}

// pytxMetadata returns the collab, category and tags fields of a pytx
// CSV row for it. The collab is the one a pytx reader recorded in a
// "pytx:collab:" label, else the item's source. The category aggregates,
// as pytx's AggregateSignalOpinionCategory does, the category labels and
// the opinions: confirmed is POSITIVE_CLASS, false-positive
// NEGATIVE_CLASS; disputed, or both positive and negative, is DISPUTED;
// nothing is INVESTIGATION_SEED, which pytx shows for a signal it has no
// opinion data on. The pytx readers label every category but
// POSITIVE_CLASS, which the item itself stands for, so an item with a
// collab label (it came from `tx dataset`) and no category label was
// POSITIVE_CLASS; without one (a local_file line) it had no category.
// The tags are the other labels without the pytx namespace.
func pytxMetadata(it *hashdb.Item, ops []hashdb.Opinion) (collab, category, tags string) {
	collab = it.Source
	var pos, neg, disputed, labelled, fromDataset bool
	tagList := make([]string, 0, len(it.Labels))
	for _, l := range it.Labels {
		if c, ok := strings.CutPrefix(l, pytxCollabPrefix); ok {
			collab, fromDataset = c, true
			continue
		}
		cat, ok := pytxCategoryLabels[l]
		if !ok {
			tagList = append(tagList, strings.TrimPrefix(l, pytxLabelPrefix))
			continue
		}
		labelled = true
		switch cat {
		case "POSITIVE_CLASS":
			pos = true
		case "NEGATIVE_CLASS":
			neg = true
		case "DISPUTED":
			disputed = true
		}
	}
	if fromDataset && !labelled {
		pos = true
	}
	for _, op := range ops {
		switch op.Verdict {
		case hashdb.Confirmed:
			pos = true
		case hashdb.FalsePositive:
			neg = true
		case hashdb.Disputed:
			disputed = true
		}
	}
	switch {
	case disputed || pos && neg:
		category = "DISPUTED"
	case pos:
		category = "POSITIVE_CLASS"
	case neg:
		category = "NEGATIVE_CLASS"
	default:
		category = "INVESTIGATION_SEED"
	}
	// pytx holds tags in a set and so prints them in no fixed order;
	// sorted is the order a one-tag or sorted list comes back in.
	slices.Sort(tagList)
	return collab, category, strings.Join(slices.Compact(tagList), " ")
}

// appendCSV appends field quoted as Python's csv module quotes with
// QUOTE_MINIMAL: only when it holds a comma, a quote or a line break,
// doubling quotes. encoding/csv also quotes a leading space, which Python
// does not.
func appendCSV(b []byte, field string) []byte {
	if !strings.ContainsAny(field, ",\"\r\n") {
		return append(b, field...)
	}
	b = append(b, '"')
	for i := 0; i < len(field); i++ {
		if field[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, field[i])
	}
	return append(b, '"')
}

func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("lists: write %s: %w", w.format, err)
	return w.err
}

// Flush writes any buffered lines to the underlying writer (and, for
// [PyTXCSV] with nothing written yet, the header, so that an empty list
// is still a CSV file pytx reads).
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.format == PyTXCSV && !w.started {
		w.started = true
		if _, err := w.w.WriteString("signal_type,signal_str,collab,category,tags\r\n"); err != nil {
			return w.fail(err)
		}
	}
	if err := w.w.Flush(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Close flushes the Writer. It does not close the underlying writer.
func (w *Writer) Close() error { return w.Flush() }
