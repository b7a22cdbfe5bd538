package lists

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Auto asks [NewReader] to tell the format from the input's first bytes.
// It is a choice, not a format: [Reader.Format] reports the one found.
const Auto Format = "auto"

// The package's sentinel errors, for errors.Is.
var (
	// ErrFormat reports input that is not of its format at all: a JSON
	// syntax error, an XML document that is not an NCMEC answer, a pytx
	// CSV without its header, or (for Auto) input of no known format. A
	// record of the right format that cannot be used is a Skip record,
	// not this error.
	ErrFormat = errors.New("lists: input is not in the expected format")
	// ErrUnknownFormat reports a format name [ParseFormat] or
	// [NewReader] does not know.
	ErrUnknownFormat = errors.New("lists: unknown format")
	// ErrTooLarge reports a JSON or XML entry longer than
	// ReadOptions.MaxRecordSize. Reading cannot resynchronise after it,
	// so it ends the list; over-long lines of the line formats are Skip
	// records instead.
	ErrTooLarge = errors.New("lists: record too large")
	// ErrOptions reports a [ReadOptions] field that cannot be used.
	ErrOptions = errors.New("lists: invalid read options")
)

// Default limits of [ReadOptions].
const (
	DefaultMaxLineLen    = 1 << 20
	DefaultMaxRecordSize = 1 << 20
)

// ReadOptions tune [NewReader]. The zero value (or nil) is the defaults.
type ReadOptions struct {
	// SignalType is the pytx signal type of lines that carry a bare value,
	// as a local_file collaboration's signal_type does (e.g. "pdq"). Set,
	// every pytx line is read as a bare value; unset, every line must name
	// its type. Auto reads bare hex lines as [PyTX] with it, as [PDQ]
	// without.
	SignalType string
	// MaxLineLen bounds a line of the line formats, in bytes; a longer
	// line is skipped ("line too long"). Zero means [DefaultMaxLineLen].
	MaxLineLen int
	// MaxRecordSize bounds one entry of a JSON or XML answer (and a pytx
	// CSV record), in bytes, so that memory stays bounded whatever the
	// input; a longer one is [ErrTooLarge]. Zero means
	// [DefaultMaxRecordSize].
	MaxRecordSize int
}

// readFormats is every format NewReader reads, in the order ParseFormat's
// message lists them.
var readFormats = []Format{PyTX, PyTXCSV, ThreatExchange, TCAP, NCMEC, StopNCII, PDQ}

// ParseFormat returns the format named s (case-insensitive): one of the
// [Format] constants' strings, or "auto". Errors wrap [ErrUnknownFormat].
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == Auto {
		return Auto, nil
	}
	for _, g := range readFormats {
		if f == g {
			return g, nil
		}
	}
	names := make([]string, 0, len(readFormats)+1)
	for _, g := range readFormats {
		names = append(names, string(g))
	}
	names = append(names, string(Auto))
	return "", fmt.Errorf("%w %q (want %s)", ErrUnknownFormat, s, strings.Join(names, ", "))
}

// peekLen is how much of the input Auto looks at, and the buffer size of
// every reader.
const peekLen = 64 << 10

// NewReader returns a Reader of the list r holds in format f, or in the
// format sniffed from its first bytes if f is [Auto]. opts may be nil.
//
// Errors: [ErrUnknownFormat] for a format NewReader does not know,
// [ErrOptions] for unusable options, and, for Auto, [ErrFormat] when the
// input is of no known format, or a read error.
func NewReader(r io.Reader, f Format, opts *ReadOptions) (*Reader, error) {
	o := ReadOptions{}
	if opts != nil {
		o = *opts
	}
	switch {
	case o.MaxLineLen < 0 || o.MaxRecordSize < 0:
		return nil, fmt.Errorf("%w: negative limit", ErrOptions)
	case o.SignalType != "" && !knownPyTXType(o.SignalType):
		return nil, fmt.Errorf("%w: SignalType %q is not a pytx signal type", ErrOptions, o.SignalType)
	}
	if o.MaxLineLen == 0 {
		o.MaxLineLen = DefaultMaxLineLen
	}
	if o.MaxRecordSize == 0 {
		o.MaxRecordSize = DefaultMaxRecordSize
	}
	if f != Auto {
		g, err := ParseFormat(string(f))
		if err != nil {
			return nil, err
		}
		f = g
	}
	br := bufio.NewReaderSize(r, peekLen)
	// Windows tools write a byte order mark before CSV and text; it is no
	// part of the first field.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	if f == Auto {
		var err error
		if f, err = sniff(br, &o); err != nil {
			return nil, err
		}
	}
	var next func() (Record, error)
	switch f {
	case PyTX:
		next = newPyTXReader(br, &o)
	case PyTXCSV:
		next = newPyTXCSVReader(br, &o)
	case ThreatExchange:
		next = newTEReader(br, &o)
	case TCAP:
		next = newTCAPReader(br, &o)
	case NCMEC:
		next = newNCMECReader(br, &o)
	case StopNCII:
		next = newStopNCIIReader(br, &o)
	case PDQ:
		next = newPDQReader(br, &o)
	}
	return newReader(f, next), nil
}
