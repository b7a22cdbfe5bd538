package bundle

import (
	"bufio"
	"compress/gzip"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// WriterOptions configure a [Writer]. A nil *WriterOptions writes an
// uncompressed bundle under [DefaultLimits].
type WriterOptions struct {
	// Gzip compresses the bundle.
	Gzip bool
	// Level is the gzip level as compress/gzip numbers them; 0 means
	// gzip.DefaultCompression.
	Level int
	// Limits are checked on every entry written, so the writer fails
	// rather than produce a bundle a reader with the same limits refuses.
	Limits *Limits

	// version, if set, is the format to write: tests write format 1.
	version uint32
}

// A Writer writes one bundle: the header when it is created, then entries,
// then, on Close, the signed trailer. It buffers its output: nothing is
// certain to have reached the underlying writer until Close returns.
type Writer struct {
	dst     *bufio.Writer
	gz      *gzip.Writer
	out     io.Writer // dst, or gz over it
	sig     hash.Hash // SHA-512 of the frames before the trailer
	sum     hash.Hash // SHA-256 of every frame
	key     crypto.Signer
	pub     ed25519.PublicKey
	lim     Limits
	header  *pb.Header
	entries uint64
	buf     []byte
	err     error // sticky: the first failure ends the bundle

	// unsealed counts the bytes of frames since the header or the last
	// seal; seals says whether the format has them.
	unsealed int64
	seals    bool
}

// errClosed is the sticky error after Close.
var errClosed = errors.New("bundle: writer is closed")

// NewWriter starts a bundle on w with header h, to be signed with key: an
// [ed25519.PrivateKey], or any [crypto.Signer] over an Ed25519 key (one in
// an HSM or a KMS) that signs Ed25519ph with a context, as
// [ed25519.PrivateKey.Sign] does given [ed25519.Options].
// A copy of h is written, with its format version set and, if unset, a
// random bundle id and the current time filled in; [Writer.Header] returns
// it. The error wraps [ErrInvalid] for a header a reader would refuse or a
// key that is not an Ed25519 private key.
func NewWriter(w io.Writer, h *pb.Header, key crypto.Signer, opts *WriterOptions) (*Writer, error) {
	if opts == nil {
		opts = &WriterOptions{}
	}
	pub, err := signerKey(key)
	if err != nil {
		return nil, err
	}
	h = proto.CloneOf(h)
	h.FormatVersion = FormatVersion
	if opts.version != 0 {
		h.FormatVersion = opts.version
	}
	if len(h.BundleId) == 0 {
		h.BundleId = make([]byte, bundleIDLen)
		_, _ = rand.Read(h.BundleId) // crypto/rand.Read never fails
	}
	if h.CreatedUnixNano == 0 {
		h.CreatedUnixNano = time.Now().UnixNano()
	}
	if err := checkHeader(h); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	bw := &Writer{
		dst:    bufio.NewWriterSize(w, 64<<10),
		sig:    newSig(),
		sum:    sha256.New(),
		key:    key,
		pub:    pub,
		lim:    opts.Limits.withDefaults(),
		header: h,
		seals:  h.FormatVersion != formatUnsealed,
	}
	bw.out = bw.dst
	if opts.Gzip {
		level := opts.Level
		if level == 0 {
			level = gzip.DefaultCompression
		}
		gz, err := gzip.NewWriterLevel(bw.dst, level)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		bw.gz, bw.out = gz, gz
	}
	if err := bw.frame(&pb.Frame{Frame: &pb.Frame_Header{Header: h}}, true); err != nil {
		return nil, err
	}
	return bw, nil
}

// Header returns the header as written. It must not be modified.
func (w *Writer) Header() *pb.Header { return w.header }

// Entries returns the number of entries written so far.
func (w *Writer) Entries() uint64 { return w.entries }

// Write adds e to the bundle. The error wraps [ErrInvalid] for an entry a
// reader would refuse; after any error the bundle is unusable.
func (w *Writer) Write(e *pb.Entry) error {
	if w.err != nil {
		return w.err
	}
	if w.entries >= uint64(w.lim.MaxEntries) {
		return fmt.Errorf("%w: %w: more than %d entries", ErrInvalid, ErrLimit, w.lim.MaxEntries)
	}
	if err := checkEntry(e, &w.lim); err != nil {
		// A bad entry is the caller's to fix; the bundle so far is intact.
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := w.frame(&pb.Frame{Frame: &pb.Frame_Entry{Entry: e}}, true); err != nil {
		return err
	}
	w.entries++
	return w.sealIfDue()
}

// sealIfDue writes a seal if the entries since the last have brought the
// unsealed frames to SealInterval.
func (w *Writer) sealIfDue() error {
	if !w.seals || w.unsealed < sealInterval {
		return nil
	}
	digest, err := sealedDigest(w.sig, w.entries)
	var sig []byte
	if err == nil {
		sig, err = w.key.Sign(rand.Reader, digest, sealOptions)
	}
	if err == nil && ed25519.VerifyWithOptions(w.pub, digest, sig, sealOptions) != nil {
		err = errors.New("the signer's signature does not verify as Ed25519ph with hashshare's seal context")
	}
	if err != nil {
		w.err = fmt.Errorf("bundle: seal: %w", err)
		return w.err
	}
	if err := w.frame(&pb.Frame{Frame: &pb.Frame_Seal{Seal: &pb.Seal{EntryCount: w.entries, Signature: sig}}}, true); err != nil {
		w.err = err
		return err
	}
	w.unsealed = 0
	return nil
}

// Close writes the signed trailer, with set as the digest of the
// producer's resulting item set for the audience, and flushes the output.
// It does not close the underlying writer. It returns the bundle's digest.
func (w *Writer) Close(set SetDigest) (Digest, error) {
	if w.err != nil {
		return Digest{}, w.err
	}
	t := &pb.Trailer{EntryCount: w.entries, SetDigest: set[:]}
	digest := signedDigest(w.sig, t)
	sig, err := w.key.Sign(rand.Reader, digest, signOptions)
	if err == nil && ed25519.VerifyWithOptions(w.pub, digest, sig, signOptions) != nil {
		// A signer that ignored the Ed25519ph options would make bundles
		// no recipient accepts: better to fail here.
		err = errors.New("the signer's signature does not verify as Ed25519ph with hashshare's context")
	}
	if err != nil {
		w.err = fmt.Errorf("bundle: sign: %w", err)
		return Digest{}, w.err
	}
	t.Signature = sig
	if err := w.frame(&pb.Frame{Frame: &pb.Frame_Trailer{Trailer: t}}, false); err != nil {
		w.err = err
		return Digest{}, err
	}
	if w.gz != nil {
		if err := w.gz.Close(); err != nil {
			w.err = err
			return Digest{}, err
		}
	}
	if err := w.dst.Flush(); err != nil {
		w.err = err
		return Digest{}, err
	}
	w.err = errClosed
	var d Digest
	w.sum.Sum(d[:0])
	return d, nil
}

// frame writes f length-delimited, adding its bytes to the running hashes
// (the signature's only if signed). A frame too large or that does not
// encode is refused before anything is written, leaving the bundle intact.
func (w *Writer) frame(f *pb.Frame, signed bool) error {
	// Encode once, after room for the longest length prefix a frame within
	// the limits needs, then put the prefix right before the encoding.
	const room = binary.MaxVarintLen64
	b, err := canonical.MarshalAppend(append(w.buf[:0], make([]byte, room)...), f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	w.buf = b
	n := len(b) - room
	if n > w.lim.MaxFrameBytes {
		return fmt.Errorf("%w: %w: a frame of %d bytes, more than %d", ErrInvalid, ErrLimit, n, w.lim.MaxFrameBytes)
	}
	p := room - uvarintLen(uint64(n))
	binary.PutUvarint(b[p:], uint64(n))
	return w.put(b[p:], signed)
}

// put writes the encoded frame b, adding it to the running hashes (the
// signature's only if signed).
func (w *Writer) put(b []byte, signed bool) error {
	if signed {
		w.sig.Write(b)
		w.unsealed += int64(len(b))
	}
	w.sum.Write(b)
	if _, err := w.out.Write(b); err != nil {
		w.err = fmt.Errorf("bundle: write: %w", err)
		return w.err
	}
	return nil
}

// signerKey returns the Ed25519 public key of a signer, or an error
// wrapping ErrInvalid if it has none.
func signerKey(key crypto.Signer) (ed25519.PublicKey, error) {
	if k, ok := key.(ed25519.PrivateKey); ok && len(k) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: a %d-byte signing key, want an Ed25519 private key (%d bytes)", ErrInvalid, len(k), ed25519.PrivateKeySize)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no signing key", ErrInvalid)
	}
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: a signer of %T keys, want Ed25519", ErrInvalid, key.Public())
	}
	return pub, nil
}
