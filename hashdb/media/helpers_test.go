package media

import (
	"context"
	"image"
	"io"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/internal/pdq"
)

// The white-box tests look at what the stages record, by algorithm, and
// drive the stages with a set of algorithms rather than a list.

// testOptions are the stages' options, in the tests' terms.
type testOptions struct {
	Want                     set
	MaxPixels, MaxImageBytes int64
	Dihedral, Resize512      bool
}

func (o *testOptions) config() *config {
	c, _ := (*Options)(nil).config()
	if o == nil {
		return &c
	}
	c.want = o.Want
	if o.MaxPixels > 0 {
		c.maxPixels = o.MaxPixels
	}
	if o.MaxImageBytes > 0 {
		c.maxImageBytes = o.MaxImageBytes
	}
	c.dihedral, c.resize512 = o.Dihedral, o.Resize512
	return &c
}

func hashT(ctx context.Context, r io.Reader, o *testOptions) (*Hashes, error) {
	return finish(hashStream(ctx, r, o.config()))
}

func fileT(ctx context.Context, path string, o *testOptions) (*Hashes, error) {
	return finish(hashFile(ctx, path, o.config()))
}

func imageT(img image.Image, o *testOptions) (*Hashes, error) {
	return finish(hashImage(img, o.config()))
}

func (h *Hashes) u64(a signal.Algorithm) uint64 {
	if !h.done.has(a) {
		return 0
	}
	return h.got[a].Uint64()
}

func (h *Hashes) md5() (v [16]byte)    { copy(v[:], h.got[signal.MD5].Bytes()); return v }
func (h *Hashes) sha1() (v [20]byte)   { copy(v[:], h.got[signal.SHA1].Bytes()); return v }
func (h *Hashes) sha256() (v [32]byte) { copy(v[:], h.got[signal.SHA256].Bytes()); return v }
func (h *Hashes) pdq() (v pdq.Hash)    { copy(v[:], h.got[signal.PDQ].Bytes()); return v }

func isKind(err error, kind error) bool {
	he, ok := err.(*hashError)
	return ok && he.kind == kind
}
