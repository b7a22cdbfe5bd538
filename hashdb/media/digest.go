package media

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// digester computes the cryptographic digests in one pass over the bytes
// written to it.
type digester struct {
	md5, sha1, sha256 hash.Hash
	all               []hash.Hash
	want              set
}

func newDigester(want set) *digester {
	d := &digester{want: want}
	if want.has(signal.MD5) {
		d.md5 = md5.New()
		d.all = append(d.all, d.md5)
	}
	if want.has(signal.SHA1) {
		d.sha1 = sha1.New()
		d.all = append(d.all, d.sha1)
	}
	if want.has(signal.SHA256) {
		d.sha256 = sha256.New()
		d.all = append(d.all, d.sha256)
	}
	return d
}

// Write feeds p to every digest; it never fails.
func (d *digester) Write(p []byte) (int, error) {
	for _, h := range d.all {
		h.Write(p)
	}
	return len(p), nil
}

// sum records the digests in h.
func (d *digester) sum(h *Hashes) {
	for _, x := range []struct {
		a signal.Algorithm
		h hash.Hash
	}{{signal.MD5, d.md5}, {signal.SHA1, d.sha1}, {signal.SHA256, d.sha256}} {
		if x.h != nil {
			var buf [sha256.Size]byte
			s, _ := signal.New(x.a, x.h.Sum(buf[:0])) // the digest's own size: cannot fail
			h.set(s, false)
		}
	}
}

// Streams are digested in blocks of blockSize, with at most numBlocks in
// flight: constant memory, whatever the length of the stream.
const (
	blockSize = 128 << 10
	numBlocks = 4
)

type block struct {
	b    []byte
	refs atomic.Int32
}

// readFrom feeds r to its end through the digests, each on its own
// goroutine: MD5 alone is slower than SHA-1 and SHA-256 together, so a
// long video is digested nearly twice as fast on two cores as in one
// goroutine.
func (d *digester) readFrom(r io.Reader) (int64, error) {
	if len(d.all) < 2 {
		return io.CopyBuffer(struct{ io.Writer }{d}, struct{ io.Reader }{r}, make([]byte, blockSize))
	}
	free := make(chan *block, numBlocks)
	for range numBlocks {
		free <- &block{b: make([]byte, blockSize)}
	}
	ins := make([]chan *block, len(d.all))
	var wg sync.WaitGroup
	for i, h := range d.all {
		ins[i] = make(chan *block, numBlocks)
		wg.Go(func() {
			for blk := range ins[i] {
				h.Write(blk.b)
				if blk.refs.Add(-1) == 0 {
					free <- blk
				}
			}
		})
	}
	var (
		n   int64
		err error
	)
	for {
		blk := <-free
		m, rerr := io.ReadFull(r, blk.b[:cap(blk.b)])
		if m > 0 {
			blk.b = blk.b[:m]
			blk.refs.Store(int32(len(ins)))
			for _, in := range ins {
				in <- blk
			}
			n += int64(m)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	for _, in := range ins {
		close(in)
	}
	wg.Wait()
	return n, err
}
