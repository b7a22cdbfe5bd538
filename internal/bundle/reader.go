package bundle

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A KeyFunc returns the public key a producer signs with under key id, or
// an error if there is none it trusts (unknown producer, unknown or
// revoked key). A [Reader] wraps the error with [ErrUnknownKey].
type KeyFunc func(producer, keyID string) (ed25519.PublicKey, error)

// A Reader reads one bundle, checking it as it streams: the frame order,
// the schema (unknown fields and enum values included), the [Limits], and
// at the end the entry count and the signature. [Reader.NextFrame] leaves
// the entries' schema and per-item limits to [DecodeFrame].
//
// Entries come before the signature that vouches for them: nothing a
// Reader returns is authenticated until [Reader.Next] has returned
// [io.EOF]. Stage entries and act on them only then.
type Reader struct {
	src     *bufio.Reader // the input as given
	in      *bufio.Reader // the uncompressed stream
	gzipped bool
	lim     Limits
	key     ed25519.PublicKey
	sig     hash.Hash // SHA-512 of the frames before the trailer
	sum     hash.Hash // SHA-256 of every frame
	header  *pb.Header
	trailer *pb.Trailer
	entries uint64
	buf     []byte
	frame   []byte // the last entry's frame, in buf
	digest  Digest
	err     error // sticky; io.EOF once the bundle has verified

	// unsealed counts the bytes of frames since the header or the last
	// seal, for a seal's place and for format 1's size limit; sealDue
	// says the next frame must be a seal.
	unsealed int64
	sealDue  bool
	seals    bool // the format has seals
}

// NewReader reads the header of the bundle r holds, checks it and looks up
// the producer's key with keys. Nil lim means [DefaultLimits].
func NewReader(r io.Reader, keys KeyFunc, lim *Limits) (*Reader, error) {
	var inBytes int64 // read from r
	br := &Reader{
		src: bufio.NewReaderSize(sourceReader{r: r, n: &inBytes}, 64<<10),
		lim: lim.withDefaults(),
		sig: newSig(),
		sum: sha256.New(),
	}
	var in io.Reader = br.src
	magic, err := br.src.Peek(2)
	switch {
	case len(magic) == 0 && err != nil:
		return nil, br.fail(err, "header")
	case bytes.Equal(magic, []byte{0x1f, 0x8b}):
		if err := checkGzipHeader(br.src); err != nil {
			return nil, br.fail(err, "gzip header")
		}
		gz, err := gzip.NewReader(br.src)
		if err != nil {
			return nil, br.fail(err, "gzip header")
		}
		gz.Multistream(false)
		in, br.gzipped = &ratioReader{r: gz, in: &inBytes, max: int64(br.lim.MaxRatio)}, true
	}
	br.in = bufio.NewReaderSize(&limitReader{r: in, left: br.lim.MaxBytes}, 64<<10)

	raw, num, body, err := br.readFrame()
	if err != nil {
		return nil, br.fail(err, "header")
	}
	if num != fieldHeader {
		return nil, br.fail(fmt.Errorf("%w: the first frame is not a header", ErrMalformed), "")
	}
	h := new(pb.Header)
	if err := proto.Unmarshal(body, h); err != nil {
		return nil, br.fail(fmt.Errorf("%w: a header that does not decode: %v", ErrMalformed, err), "")
	}
	if err := checkHeader(h); err != nil {
		return nil, br.fail(err, "")
	}
	key, err := keys(h.GetProducer(), h.GetKeyId())
	switch {
	case err != nil:
		return nil, br.fail(fmt.Errorf("%w: producer %q, key %q: %w", ErrUnknownKey, h.GetProducer(), h.GetKeyId(), err), "")
	case len(key) != ed25519.PublicKeySize:
		return nil, br.fail(fmt.Errorf("%w: producer %q, key %q: not an Ed25519 public key", ErrUnknownKey, h.GetProducer(), h.GetKeyId()), "")
	}
	br.key, br.header = key, h
	br.seals = h.GetFormatVersion() != formatUnsealed
	br.sig.Write(raw)
	br.sum.Write(raw)
	br.unsealed = int64(len(raw))
	return br, nil
}

// Header returns the bundle's header. It must not be modified.
func (r *Reader) Header() *pb.Header { return r.header }

// Compressed reports whether the bundle is gzip-compressed.
func (r *Reader) Compressed() bool { return r.gzipped }

// Entries returns the number of entries read so far.
func (r *Reader) Entries() uint64 { return r.entries }

// Trailer returns the verified trailer once Next has returned io.EOF, and
// nil before. It must not be modified.
func (r *Reader) Trailer() *pb.Trailer {
	if r.err != io.EOF {
		return nil
	}
	return r.trailer
}

// SetDigest returns the trailer's set digest once Next has returned
// io.EOF; zero before.
func (r *Reader) SetDigest() SetDigest {
	var d SetDigest
	if t := r.Trailer(); t != nil {
		copy(d[:], t.GetSetDigest())
	}
	return d
}

// Digest returns the bundle's digest once Next has returned io.EOF; zero
// before.
func (r *Reader) Digest() Digest {
	if r.err != io.EOF {
		return Digest{}
	}
	return r.digest
}

// Frame returns the entry [Reader.Next] or [Reader.NextFrame] last
// returned as the bundle carries it: one frame, length prefix included,
// whose bytes are what the signature covers. It is valid only until the
// next call of Next or NextFrame, and nil if that did not return an entry.
// Staging these bytes as they are, and decoding them later with
// [DecodeFrame], saves encoding the entry again.
func (r *Reader) Frame() []byte { return r.frame }

// Next returns the next entry. After the last it reads the trailer,
// checks the count and the signature and that nothing follows, and
// returns io.EOF: only then is the bundle verified. Any other error ends
// the bundle; calling Next again returns it again.
func (r *Reader) Next() (*pb.Entry, error) {
	raw, body, err := r.next()
	if err != nil {
		return nil, err
	}
	e, err := decodeEntry(body, &r.lim)
	if err != nil {
		return nil, r.fail(fmt.Errorf("entry %d: %w", r.entries+1, err), "")
	}
	r.accept(raw)
	return e, nil
}

// NextFrame is [Reader.Next] for a caller that stages entries to decode
// later: it returns the next entry's frame, as [Reader.Frame] would, without
// decoding the entry. It checks everything Next checks but the entry's
// contents, which [DecodeFrame] checks instead: a bundle passes NextFrame
// and then DecodeFrame (with the same [Limits]) for each frame exactly
// when it passes Next. Until DecodeFrame has accepted every frame, then, a
// bundle is not known to be valid even once NextFrame has returned io.EOF.
//
// The frame is valid only until the next call of Next or NextFrame, which
// may be mixed on one Reader.
func (r *Reader) NextFrame() ([]byte, error) {
	raw, _, err := r.next()
	if err != nil {
		return nil, err
	}
	r.accept(raw)
	return raw, nil
}

// next reads the next frame. For an entry, it returns the frame and the
// entry's encoding, for the caller to check and then accept; for the
// trailer, it checks the bundle and returns io.EOF.
func (r *Reader) next() (raw, entry []byte, err error) {
	r.frame = nil
	if r.err != nil {
		return nil, nil, r.err
	}
	raw, num, body, err := r.readFrame()
	if err == nil && num == fieldSeal {
		if err = r.seal(raw, body); err == nil {
			raw, num, body, err = r.readFrame()
		}
	}
	if err == io.EOF {
		err = fmt.Errorf("%w: the stream ends without a trailer", ErrTruncated)
	}
	if err == nil && r.sealDue && num != fieldSeal {
		err = fmt.Errorf("%w: no seal after entry %d, %d bytes since the last (a format %d bundle seals every %d)", ErrMalformed, r.entries, r.unsealed, FormatVersion, sealInterval)
	}
	if err != nil {
		return nil, nil, r.fail(err, fmt.Sprintf("frame %d", r.entries+1))
	}
	switch num {
	case fieldEntry:
		if r.entries >= uint64(r.lim.MaxEntries) {
			return nil, nil, r.fail(fmt.Errorf("%w: more than %d entries", ErrLimit, r.lim.MaxEntries), "")
		}
		if !r.seals && r.unsealed+int64(len(raw)) > r.lim.MaxUnsealedBytes {
			return nil, nil, r.fail(fmt.Errorf("%w: a format %d bundle of more than %d bytes: format %d carries no seals, so its signature is known only at its end (ask the producer for a format %d bundle)", ErrLimit, formatUnsealed, r.lim.MaxUnsealedBytes, formatUnsealed, FormatVersion), "")
		}
		return raw, body, nil
	case fieldTrailer:
		t := new(pb.Trailer)
		if err := proto.Unmarshal(body, t); err != nil {
			return nil, nil, r.fail(fmt.Errorf("%w: a trailer that does not decode: %v", ErrMalformed, err), "")
		}
		if err := r.finish(raw, t); err != nil {
			return nil, nil, r.fail(err, "")
		}
		r.err = io.EOF
		return nil, nil, io.EOF
	case fieldSeal:
		return nil, nil, r.fail(fmt.Errorf("%w: two seals in a row after entry %d", ErrMalformed, r.entries), "")
	}
	return nil, nil, r.fail(fmt.Errorf("%w: a second header after entry %d", ErrMalformed, r.entries), "")
}

// seal verifies the seal frame raw, whose message is body, against the
// frames read so far.
func (r *Reader) seal(raw, body []byte) error {
	if !r.sealDue {
		if !r.seals {
			return fmt.Errorf("%w: a seal in a format %d bundle", ErrMalformed, formatUnsealed)
		}
		return fmt.Errorf("%w: a seal after entry %d, %d bytes since the last (seals come every %d)", ErrMalformed, r.entries, r.unsealed, sealInterval)
	}
	s := new(pb.Seal)
	if err := proto.Unmarshal(body, s); err != nil {
		return fmt.Errorf("%w: a seal that does not decode: %v", ErrMalformed, err)
	}
	if err := checkSeal(raw, s); err != nil {
		return err
	}
	if s.GetEntryCount() != r.entries {
		return fmt.Errorf("%w: a seal after entry %d counts %d", ErrMalformed, r.entries, s.GetEntryCount())
	}
	digest, err := sealedDigest(r.sig, r.entries)
	if err != nil {
		return err
	}
	if err := ed25519.VerifyWithOptions(r.key, digest, s.GetSignature(), sealOptions); err != nil {
		return fmt.Errorf("%w: the seal after entry %d: producer %q, key %q", ErrSignature, r.entries, r.header.GetProducer(), r.header.GetKeyId())
	}
	r.sig.Write(raw)
	r.sum.Write(raw)
	r.unsealed, r.sealDue = 0, false
	return nil
}

// accept counts the entry whose frame is raw and adds it to the hashes.
func (r *Reader) accept(raw []byte) {
	r.entries++
	r.sig.Write(raw)
	r.sum.Write(raw)
	r.frame = raw
	r.unsealed += int64(len(raw))
	r.sealDue = r.seals && r.unsealed >= sealInterval
}

// finish checks the trailer and what follows it.
func (r *Reader) finish(raw []byte, t *pb.Trailer) error {
	if err := checkTrailer(t); err != nil {
		return err
	}
	// Only the canonical encoding of the trailer is accepted: the signature
	// covers its values, and this makes it cover its bytes too.
	want, err := canonical.Marshal(&pb.Frame{Frame: &pb.Frame_Trailer{Trailer: t}})
	if err != nil || !bytes.HasSuffix(raw, want) || len(raw)-len(want) != uvarintLen(uint64(len(want))) {
		return fmt.Errorf("%w: trailer not in canonical encoding", ErrMalformed)
	}
	if t.GetEntryCount() != r.entries {
		return fmt.Errorf("%w: the trailer counts %d entries, the bundle has %d", ErrMalformed, t.GetEntryCount(), r.entries)
	}
	if err := ed25519.VerifyWithOptions(r.key, signedDigest(r.sig, t), t.GetSignature(), signOptions); err != nil {
		return fmt.Errorf("%w: producer %q, key %q", ErrSignature, r.header.GetProducer(), r.header.GetKeyId())
	}
	r.sum.Write(raw)
	// Nothing may follow the trailer. Reading on to the end also makes a
	// gzip reader check its CRC and length.
	if _, err := r.in.ReadByte(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%w: data after the trailer", ErrMalformed)
		}
		return err
	}
	if r.gzipped {
		if _, err := r.src.ReadByte(); err != io.EOF {
			if err == nil {
				err = fmt.Errorf("%w: data after the gzip stream", ErrMalformed)
			}
			return err
		}
	}
	r.trailer = t
	r.sum.Sum(r.digest[:0])
	return nil
}

// readFrame reads one length-delimited frame, returning its bytes (length
// included), the number of the frame's one field (see frameField) and the
// encoding of the message it holds. It returns io.EOF only at a clean end,
// before the first byte of a frame.
func (r *Reader) readFrame() (raw []byte, num protowire.Number, body []byte, err error) {
	n, err := binary.ReadUvarint(r.in)
	switch {
	case err == io.EOF:
		return nil, 0, nil, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, 0, nil, fmt.Errorf("%w: in a frame length", ErrTruncated)
	case err != nil:
		return nil, 0, nil, err // an overlong varint or an error from below, mapped by fail
	case n > uint64(r.lim.MaxFrameBytes):
		return nil, 0, nil, fmt.Errorf("%w: a frame of %d bytes, more than %d", ErrLimit, n, r.lim.MaxFrameBytes)
	}
	p := uvarintLen(n)
	if cap(r.buf) < p+int(n) {
		r.buf = make([]byte, p+int(n))
	}
	raw = r.buf[:p+int(n)]
	binary.PutUvarint(raw, n)
	if _, err := io.ReadFull(r.in, raw[p:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, 0, nil, fmt.Errorf("%w: in a frame of %d bytes", ErrTruncated, n)
		}
		return nil, 0, nil, err
	}
	// The message inside is decoded and checked by type (checkHeader,
	// decodeEntry, checkTrailer); here only the frame itself.
	num, body, err = frameField(raw[p:])
	if err != nil {
		return nil, 0, nil, err
	}
	return raw, num, body, nil
}

func uvarintLen(n uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], n)
}

// fail records err as the reader's sticky error, first mapping errors from
// below (the source, decompression, the byte limit) to the package's
// sentinels.
func (r *Reader) fail(err error, where string) error {
	if where != "" {
		where = " (" + where + ")"
	}
	var corrupt flate.CorruptInputError
	switch {
	case isOurs(err):
		if where != "" {
			err = fmt.Errorf("%w%s", err, where)
		}
	case errors.Is(err, errTooBig):
		err = fmt.Errorf("%w: more than %d uncompressed bytes%s", ErrLimit, r.lim.MaxBytes, where)
	case errors.Is(err, errRatio):
		err = fmt.Errorf("%w: the gzip stream expands more than %d times%s", ErrLimit, r.lim.MaxRatio, where)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%w: the stream ends early%s", ErrTruncated, where)
	case errors.As(err, new(sourceError)):
		err = fmt.Errorf("bundle: read%s: %w", where, err)
	case errors.As(err, &corrupt), errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		err = fmt.Errorf("%w: corrupt gzip stream%s: %w", ErrMalformed, where, err)
	default:
		err = fmt.Errorf("%w%s: %w", ErrMalformed, where, err)
	}
	r.err = err
	return err
}

func isOurs(err error) bool {
	for _, s := range []error{ErrTruncated, ErrMalformed, ErrVersion, ErrLimit, ErrUnknownKey, ErrSignature} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// checkGzipHeader accepts only the fixed gzip header compress/gzip writes
// (and `gzip -n`): no file name, comment or extra field, no time. The
// header lies outside both the signature and gzip's own CRC, so anything
// else there could be changed without trace.
func checkGzipHeader(r *bufio.Reader) error {
	h, err := r.Peek(10)
	if err != nil {
		return err
	}
	xfl, os := h[8], h[9]
	if h[2] != 8 || h[3] != 0 || binary.LittleEndian.Uint32(h[4:8]) != 0 ||
		(xfl != 0 && xfl != 2 && xfl != 4) || (os != 3 && os != 255) {
		return fmt.Errorf("%w: a gzip header with a name, comment, extra field or time (compress with Writer or gzip -n)", ErrMalformed)
	}
	return nil
}

// errRatio is what ratioReader returns past its ratio.
var errRatio = errors.New("bundle: expands too much")

// ratioSlack is what a compressed stream may expand to whatever its ratio:
// a header and the first entries compress better than the rest.
const ratioSlack = 1 << 20

// ratioReader fails once what r has produced exceeds max times what has
// been read from the compressed input (*in), beyond ratioSlack: a small
// stream that expands without end is refused before it is staged.
type ratioReader struct {
	r   io.Reader
	in  *int64
	out int64
	max int64
}

func (q *ratioReader) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	q.out += int64(n)
	if q.out > ratioSlack && q.out > q.max**q.in {
		return n, errRatio
	}
	return n, err
}

// errTooBig is what limitReader returns past its limit.
var errTooBig = errors.New("bundle: too many bytes")

// limitReader fails once more than left bytes have been read through it.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errTooBig
	}
	return n, err
}

// sourceError marks an error of the reader a bundle is read from, so it is
// passed on, not mistaken for a malformed bundle.
type sourceError struct{ err error }

func (e sourceError) Error() string { return e.err.Error() }
func (e sourceError) Unwrap() error { return e.err }

// sourceReader tags the errors of r, except io.EOF, with sourceError, and
// counts the bytes read in n.
type sourceReader struct {
	r io.Reader
	n *int64
}

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	*s.n += int64(n)
	if err != nil && err != io.EOF {
		err = sourceError{err}
	}
	return n, err
}
