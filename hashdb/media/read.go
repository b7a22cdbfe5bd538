package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"
)

// HashReader reads r to its end, once, and computes every requested signal
// of its bytes: MD5, SHA-1 and SHA-256 always and, when the bytes are an
// image in a format hashshare decodes (JPEG, PNG, GIF's first frame, BMP,
// TIFF, WebP), PDQ, pHash, dHash and aHash of its pixels; when they are a
// video, its vPDQ in Hashes.Video (see the package documentation). Other
// bytes, such as a PDF, stream through the digests in constant memory and
// get only those: that is not an error, and Skipped says why the
// perceptual hashes do not apply.
//
// Pixels are hashed as [HashImage] describes. An image is decoded only
// after its header has been checked against the limits, so a small file
// declaring a huge image costs no more than reading its header; a video
// only after ffprobe's report of it has been checked against
// [VideoOptions]' limits.
//
// A corrupt image fails with an error wrapping [ErrImageDecode], one over
// the limits with [ErrImageTooLarge], and a video that cannot be hashed
// with one of the ErrVideo errors or [ErrNoVideoDecoder]: the returned
// Hashes is then not nil and holds the digests of every byte, so that a
// caller may still record them. An error reading r or spooling a video,
// or ctx ending, comes with a nil Hashes.
func HashReader(ctx context.Context, r io.Reader, opts *Options) (h *Hashes, err error) {
	c, err := opts.config()
	if err != nil {
		return nil, err
	}
	defer recoverHash(&h, &err)
	h, err = hashStream(ctx, r, &c)
	return finish(h, wrap("reading", err))
}

// HashFile hashes the file at path, as [HashReader] hashes its bytes. Its
// size sizes the image buffer; a directory or other non-regular file is an
// error.
func HashFile(ctx context.Context, path string, opts *Options) (h *Hashes, err error) {
	c, err := opts.config()
	if err != nil {
		return nil, err
	}
	defer recoverHash(&h, &err)
	h, err = hashFile(ctx, path, &c)
	return finish(h, wrap("hashing file", err))
}

func hashFile(ctx context.Context, path string, c *config) (*Hashes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "hash", Path: path, Err: errNotRegular}
	}
	cf := *c
	cf.sizeHint = fi.Size()
	return hashStream(ctx, f, &cf)
}

var errNotRegular = errors.New("not a regular file")

func finish(h *Hashes, err error) (*Hashes, error) {
	if h != nil {
		h.finish()
	}
	return h, err
}

// recoverHash is the last guard: every decoder and hash runs under guard
// already, so reaching this one is a bug.
func recoverHash(h **Hashes, err *error) {
	if p := recover(); p != nil {
		*h, *err = nil, fmt.Errorf("%w: panic: %v", ErrHashFailed, p)
	}
}

// hashStream reads src to its end once and computes the algorithms in
// c.want.
//
// The error is a *hashError for a problem with the media (an image too
// large or corrupt); the Hashes is then not nil and holds the digests of
// every byte read. Any other error (reading src, or ctx ending) comes with
// a nil Hashes.
func hashStream(ctx context.Context, src io.Reader, c *config) (*Hashes, error) {
	start := time.Now()
	h := &Hashes{}
	h.skip(all&^c.want, notRequested)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	hint := c.sizeHint
	if l, ok := src.(interface{ Len() int }); ok && hint <= 0 {
		hint = int64(l.Len()) // bytes.Reader, strings.Reader, bytes.Buffer: what is left to read
	}
	br := bufio.NewReaderSize(&ctxReader{ctx: ctx, r: src}, 32<<10)
	head, err := br.Peek(max(sniffLen, videoSniffLen))
	if err != nil && err != io.EOF {
		return nil, err
	}
	f := sniff(head)
	if f == nil {
		if v := sniffVideo(head); v != "" {
			h.Format, h.ContentType = v, "video"
			h.skip(perceptual, isVideo)
			t := time.Now()
			h, err := hashVideoStream(ctx, br, v, c, h)
			if h != nil {
				h.stages.Total = time.Since(t)
			}
			return h, err
		}
	} else {
		h.ContentType = "photo"
	}
	d := newDigester(c.want)
	if f == nil || c.want&perceptual == 0 {
		// Not an image, or no pixels wanted: stream the bytes through the
		// digests in constant memory.
		if f == nil {
			h.skip(perceptual, notImage)
		} else {
			h.Format = f.name
		}
		t := time.Now()
		n, err := d.readFrom(br)
		if err != nil {
			return nil, err
		}
		h.Size = n
		d.sum(h)
		h.stages.Digest = time.Since(t)
		h.stages.Total = time.Since(start)
		return h, nil
	}

	h.Format = f.name
	var (
		data []byte
		over = hint > c.maxImageBytes // known from the file's size: buffer nothing
	)
	if !over {
		t := time.Now()
		data, over, err = readImage(br, c.maxImageBytes, hint)
		h.stages.Read = time.Since(t)
		if err != nil {
			return nil, err
		}
	}
	if over {
		h.skip(perceptual, overLimit)
		d.Write(data)
		n, err := d.readFrom(br)
		if err != nil {
			return nil, err
		}
		h.Size = int64(len(data)) + n
		d.sum(h)
		return h, errorf(ErrImageTooLarge, f.name, nil, "%d bytes, over the limit of %d bytes for an image", h.Size, c.maxImageBytes)
	}
	h.Size = int64(len(data))

	// The digests need only the bytes, the pixels only the decoder: do both
	// at once.
	var (
		wg     sync.WaitGroup
		digest time.Duration
	)
	if c.want&digests != 0 {
		wg.Go(func() {
			t := time.Now()
			d.Write(data)
			digest = time.Since(t)
		})
	}
	err = decode(ctx, f, data, c, h)
	wg.Wait()
	d.sum(h)
	h.stages.Digest = digest
	h.stages.Total = time.Since(start)
	if err != nil {
		if _, ok := err.(*hashError); !ok {
			return nil, err // ctx ended
		}
	}
	return h, err
}

// readImage reads r to its end into memory, up to limit bytes. over
// reports that there were more, in which case data holds the first limit+1.
func readImage(r io.Reader, limit, hint int64) (data []byte, over bool, err error) {
	c := int64(64 << 10)
	if hint > 0 {
		c = hint + 1 // room to see io.EOF without growing
	}
	data = make([]byte, 0, min(c, limit+1))
	for {
		if len(data) == cap(data) {
			// Double, where append would grow a large slice by a quarter
			// and copy it many more times.
			data = append(make([]byte, 0, min(2*int64(cap(data)), limit+1)), data...)
		}
		n, err := r.Read(data[len(data):min(int64(cap(data)), limit+1)])
		data = data[:len(data)+n]
		switch {
		case int64(len(data)) > limit:
			return data, true, nil
		case err == io.EOF:
			return data, false, nil
		case err != nil:
			return nil, false, err
		}
	}
}

// ctxReader fails reads once ctx has ended, so that hashing a long stream
// stops soon after its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
