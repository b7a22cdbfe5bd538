package replica

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ManifestName is the manifest's name in the bucket. A publisher writes it
// last, after every blob it names.
const ManifestName = "manifest.json"

// manifestContext separates manifest signatures from bundle signatures
// made with the same organisation key (those use "hashshare bundle v1").
const manifestContext = "hashshare replica manifest v1"

var manifestOptions = &ed25519.Options{Hash: crypto.SHA512, Context: manifestContext}

// maxManifestSize bounds the manifest a follower reads: a few thousand
// deltas at most, since a publisher prunes them.
const maxManifestSize = 4 << 20

// A Manifest names what a publisher has in the bucket: the newest FULL
// bundle, the DELTA bundles kept (those after the FULL and, for replicas
// that lag, some before it), the last sequence number and the producer's
// set digest at that sequence.
//
// Its encoding is a JSON envelope,
//
//	{"manifest": {...}, "key_id": "...", "signature": "<base64>"}
//
// whose signature is Ed25519ph (SHA-512, context "hashshare replica
// manifest v1") over the canonical bytes of the "manifest" value: those
// in the file with insignificant whitespace removed ([json.Compact]), so
// verifying needs no re-encoding of decoded values, only of layout.
type Manifest struct {
	// Producer is the publishing organisation.
	Producer string `json:"producer"`
	// Seq is the producer's last change sequence number published.
	Seq uint64 `json:"seq"`
	// SetDigest is the producer's set digest at Seq, as its bundles carry
	// it and [hashdb.DB.ReceivedSetDigest] reports it at a replica.
	SetDigest Digest `json:"set_digest"`
	// Last is the digest of the bundle written last, which the
	// publisher's next bundle follows.
	Last string `json:"last_bundle"`
	// Created is when the manifest was written.
	Created time.Time `json:"created"`
	// Full is the newest FULL bundle.
	Full Blob `json:"full"`
	// Deltas are the DELTA bundles kept, in sequence order, each
	// starting where the one before ends.
	Deltas []Blob `json:"deltas"`
}

// A Blob is one bundle in the bucket, as the manifest names it.
type Blob struct {
	// Name is the blob's key in the bucket.
	Name string `json:"name"`
	// From and To are the sequence numbers the bundle covers: changes
	// after From up to To (From is 0 for a FULL bundle).
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
	// SHA256 is the hex SHA-256 of the blob's bytes, checked before the
	// bundle is imported.
	SHA256 string `json:"sha256"`
	// Size is the blob's size in bytes.
	Size int64 `json:"size"`
	// Created is when the bundle was written.
	Created time.Time `json:"created"`
}

// A Digest is a 32-byte set digest, hex in JSON.
type Digest [32]byte

// String returns d in hex.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText encodes d in hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) != 2*len(d) {
		return fmt.Errorf("digest of %d hex digits, want %d", len(b), 2*len(d))
	}
	_, err := hex.Decode(d[:], b)
	return err
}

// envelope is the manifest file.
type envelope struct {
	Manifest  json.RawMessage `json:"manifest"`
	KeyID     string          `json:"key_id"`
	Signature []byte          `json:"signature"`
}

// Sign encodes m and signs it with signer, an Ed25519 key as
// [hashdb.ExportOptions.Signer] takes, cited as keyID.
func (m *Manifest) Sign(signer crypto.Signer, keyID string) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sum := sha512.Sum512(body)
	sig, err := signer.Sign(rand.Reader, sum[:], manifestOptions)
	if err != nil {
		return nil, fmt.Errorf("signing the manifest: %w", err)
	}
	return json.MarshalIndent(envelope{Manifest: body, KeyID: keyID, Signature: sig}, "", "  ")
}

// ParseManifest decodes and verifies a manifest. keys returns the public
// key producer signs with under keyID, or an error if it is not trusted;
// the manifest is decoded only once its signature verifies. Errors wrap
// [ErrManifest], and also keys' error when that is the cause.
func ParseManifest(data []byte, keys func(producer, keyID string) (ed25519.PublicKey, error)) (*Manifest, error) {
	m, err := parseManifest(data, keys)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	return m, nil
}

func parseManifest(data []byte, keys func(producer, keyID string) (ed25519.PublicKey, error)) (*Manifest, error) {
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), maxManifestSize)
	}
	var env envelope
	if err := decodeStrict(data, &env); err != nil {
		return nil, err
	}
	if len(env.Manifest) == 0 || env.KeyID == "" || len(env.Signature) != ed25519.SignatureSize {
		return nil, errors.New("want a manifest, a key_id and a 64-byte signature")
	}
	// The producer is read before the signature is checked only to pick
	// the key; nothing else of the body is used unverified.
	var who struct {
		Producer string `json:"producer"`
	}
	if err := json.Unmarshal(env.Manifest, &who); err != nil {
		return nil, err
	}
	pub, err := keys(who.Producer, env.KeyID)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	if err := json.Compact(&body, env.Manifest); err != nil {
		return nil, err
	}
	sum := sha512.Sum512(body.Bytes())
	if len(pub) != ed25519.PublicKeySize || ed25519.VerifyWithOptions(pub, sum[:], env.Signature, manifestOptions) != nil {
		return nil, fmt.Errorf("%w by %q key %q", ErrSignature, who.Producer, env.KeyID)
	}
	m := new(Manifest)
	if err := decodeStrict(env.Manifest, m); err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeStrict decodes one JSON value with no unknown fields and nothing
// after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the manifest")
	}
	return nil
}

// validate checks what a follower relies on: blobs in order, each
// delta starting where the one before ends, the FULL and the last delta
// at or before Seq, names a bucket can hold.
func (m *Manifest) validate() error {
	if m.Producer == "" {
		return errors.New("no producer")
	}
	if err := m.Full.validate(); err != nil {
		return fmt.Errorf("full: %w", err)
	}
	if m.Full.From != 0 || m.Full.To > m.Seq {
		return fmt.Errorf("full bundle covers %d-%d, the manifest ends at %d", m.Full.From, m.Full.To, m.Seq)
	}
	for i := range m.Deltas {
		d := &m.Deltas[i]
		if err := d.validate(); err != nil {
			return fmt.Errorf("delta %d: %w", i, err)
		}
		if d.From >= d.To || d.To > m.Seq || i > 0 && d.From != m.Deltas[i-1].To {
			return fmt.Errorf("delta %d covers %d-%d, out of sequence", i, d.From, d.To)
		}
	}
	return nil
}

func (b *Blob) validate() error {
	switch {
	case b.Name == "" || len(b.Name) > 1024 || strings.HasPrefix(b.Name, "/") || strings.Contains(b.Name, ".."):
		return fmt.Errorf("bad blob name %q", b.Name)
	case len(b.SHA256) != 64:
		return fmt.Errorf("blob %q: sha256 of %d hex digits", b.Name, len(b.SHA256))
	case b.Size <= 0:
		return fmt.Errorf("blob %q: size %d", b.Name, b.Size)
	}
	_, err := hex.DecodeString(b.SHA256)
	return err
}
