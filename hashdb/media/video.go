package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/pdq"
	"github.com/hashshare/hashshare/internal/video"
)

// Reasons a video has no vPDQ, reported in Hashes.VideoSkipped.
const (
	videoNotRequested = "not requested: PDQ is not among the algorithms"
	videoNoDecoder    = "ffmpeg is not installed"
	videoOverLimit    = "video over the limits"
	videoUnsupported  = "codec or container not allowed"
	videoUndecodable  = "video does not decode"
	videoTimedOut     = "video decoding timed out"
	isVideo           = "a video: its frames are hashed as vPDQ"
)

// hashVideoStream reads a video's bytes to their end once, digesting them
// while spooling them to a temporary file (mode 0600, removed before
// returning), then decodes the file and computes its vPDQ into h.Video.
// A video refused or failing to decode is a *hashError, with h holding the
// digests; an error reading src, spooling, or ctx ending comes with nil.
func hashVideoStream(ctx context.Context, br io.Reader, container string, c *config, h *Hashes) (*Hashes, error) {
	d := newDigester(c.want)
	if !c.want.has(signal.PDQ) {
		h.VideoSkipped = videoNotRequested
		n, err := d.readFrom(br)
		if err != nil {
			return nil, err
		}
		h.Size = n
		d.sum(h)
		return h, nil
	}
	f, err := os.CreateTemp(c.video.tempDir, "hashshare-video-*")
	if err != nil {
		return nil, fmt.Errorf("spooling video: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	sp := &spool{f: f, limit: c.video.maxBytes}
	n, err := d.readFrom(io.TeeReader(br, sp))
	if err != nil {
		return nil, err
	}
	if sp.err != nil {
		return nil, fmt.Errorf("spooling video to %s: %w", f.Name(), sp.err)
	}
	h.Size = n
	d.sum(h)
	if sp.over {
		h.VideoSkipped = videoOverLimit
		return h, errorf(ErrVideoTooLarge, container, nil, "%d bytes, over the limit of %d bytes for a video", n, c.video.maxBytes)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("spooling video: %w", err)
	}
	v, t, err := hashVideoFile(ctx, f.Name(), &c.video)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		he := videoError(container, err)
		h.VideoSkipped = videoReason(he.kind)
		return h, he
	}
	h.Video, h.TMK = v, t
	h.Width, h.Height = v.Video.Width, v.Video.Height
	return h, nil
}

// spool writes what passes through it to a file, up to limit bytes, and
// never fails, so that the digests see every byte whatever happens to the
// file: a write error is kept in err, and over reports the limit passed.
type spool struct {
	f     *os.File
	n     int64
	limit int64
	over  bool
	err   error
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil || s.over {
		return len(p), nil
	}
	if s.n+int64(len(p)) > s.limit {
		s.over = true
		return len(p), nil
	}
	m, err := s.f.Write(p)
	s.n += int64(m)
	s.err = err
	return len(p), nil
}

// hashVideoFile probes the video at path and hashes its sampled frames to
// vPDQ and, with c.tmk, its rated frames to TMK+PDQF, from one decode:
// the two outputs of one ffmpeg, read side by side. The first to fail
// stops the other, and its error is the one returned.
func hashVideoFile(ctx context.Context, path string, c *videoConfig) (*vpdq.Hash, *tmk.Hash, error) {
	dec := c.decoder
	// Asking ffmpeg its version costs a process start, once per program:
	// overlap it with the decoding.
	name := make(chan string, 1)
	go func() { name <- decoderName(ctx, dec) }()
	every := 1
	choose := func(info video.Info) video.Sampling {
		if c.secondsPerHash > 0 {
			every = video.Step(c.secondsPerHash, info.FPS)
		}
		return video.Sampling{Every: every, Width: c.downsample, Height: c.downsample}
	}
	var (
		info       video.Info
		src, rated video.FrameSource
		err        error
	)
	if c.tmk {
		info, src, rated, err = dec.OpenBoth(ctx, path, choose, tmkFrames)
	} else {
		info, src, err = dec.Open(ctx, path, choose)
	}
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	// Each side closes its own source when it fails, which stops ffmpeg
	// and so fails the other side: the first error is the one to report.
	var (
		mu      sync.Mutex
		first   error
		t       *tmk.Hash
		tmkDone = make(chan struct{})
	)
	failed := func(err error, src video.FrameSource) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		src.Close()
	}
	if rated != nil {
		defer rated.Close()
		go func() {
			defer close(tmkDone)
			var err error
			if t, err = hashTMK(ctx, rated); err != nil {
				failed(err, rated)
			}
		}()
	} else {
		close(tmkDone)
	}
	features, err := hashFrames(ctx, src, float32(info.FPS), c.workers)
	if err != nil {
		failed(err, src)
	}
	<-tmkDone
	if first != nil {
		return nil, nil, first
	}
	decoded := len(features)
	if every > 1 && decoded > 0 {
		// The frames decoded are known to within the sampling step; the
		// container's count settles it when it is in that range.
		lo, hi := (decoded-1)*every+1, decoded*every
		decoded = min(max(info.Frames, lo), hi)
	}
	return &vpdq.Hash{
		Features: features,
		Video: vpdq.Video{
			Width: info.Width, Height: info.Height,
			FPS: info.FPS, FPSRational: info.FPSRational,
			Duration:       info.Duration.Seconds(),
			Frames:         decoded,
			SecondsPerHash: c.secondsPerHash,
			Downsample:     c.downsample,
			Decoder:        <-name,
		},
	}, t, nil
}

// hashFrames computes the PDQ of every frame src delivers, on workers
// goroutines (GOMAXPROCS when 0), and returns the features in frame order
// with the reference's timestamps, float32(frame) / float32(fps). Memory is
// flat in the video's length: frames go through a few pooled buffers, and
// only the features (37 bytes a frame) accumulate.
func hashFrames(ctx context.Context, src video.FrameSource, fps float32, workers int) ([]vpdq.Feature, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w, h := src.Size()
	size := 3 * w * h
	type job struct {
		frame int
		buf   *[]byte
	}
	var (
		jobs     = make(chan job, workers)
		free     = make(chan *[]byte, 2*workers+1)
		mu       sync.Mutex
		features []vpdq.Feature
		hashErr  error
		wg       sync.WaitGroup
	)
	for range cap(free) {
		b := make([]byte, size)
		free <- &b
	}
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				r, err := pdq.FromRGB24(*j.buf, w, h, 3*w)
				free <- j.buf
				mu.Lock()
				if err != nil && hashErr == nil {
					hashErr = fmt.Errorf("frame %d: %w", j.frame, err)
				}
				features = append(features, vpdq.Feature{
					Frame: uint32(j.frame), Quality: uint8(r.Quality), PDQ: r.Hash,
					Seconds: float64(float32(j.frame) / fps),
				})
				mu.Unlock()
			}
		})
	}
	var err error
	for err == nil {
		if err = ctx.Err(); err != nil {
			break
		}
		buf := <-free
		var n int
		n, err = src.Next(*buf)
		if err != nil {
			free <- buf
			break
		}
		jobs <- job{n, buf}
	}
	close(jobs)
	wg.Wait()
	if err == io.EOF {
		err = hashErr
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(features, func(a, b vpdq.Feature) int { return int(a.Frame) - int(b.Frame) })
	return features, nil
}

// videoError maps a decoder's error to the package's.
func videoError(container string, err error) *hashError {
	kind := ErrVideoDecode
	for _, k := range []struct{ v, m error }{
		{video.ErrNoDecoder, ErrNoVideoDecoder},
		{video.ErrTooLarge, ErrVideoTooLarge},
		{video.ErrUnsupported, ErrVideoUnsupported},
		{video.ErrTimeout, ErrVideoTimeout},
	} {
		if errors.Is(err, k.v) {
			kind = k.m
			break
		}
	}
	msg := err.Error()
	for _, v := range []error{video.ErrNoDecoder, video.ErrDecode, video.ErrTooLarge, video.ErrUnsupported, video.ErrTimeout} {
		msg = strings.TrimPrefix(msg, v.Error()+": ")
	}
	return &hashError{kind: kind, format: container, msg: msg}
}

func videoReason(kind error) string {
	switch kind {
	case ErrNoVideoDecoder:
		return videoNoDecoder
	case ErrVideoTooLarge:
		return videoOverLimit
	case ErrVideoUnsupported:
		return videoUnsupported
	case ErrVideoTimeout:
		return videoTimedOut
	}
	return videoUndecodable
}

// decoderName is the provenance recorded in vpdq.Video.Decoder.
func decoderName(ctx context.Context, dec *video.FFmpeg) string {
	s := dec.Version(ctx) + " cli; scale=area; bt601"
	if dec.NoSIMD {
		s += "; nosimd"
	}
	return s
}
