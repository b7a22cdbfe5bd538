package video

import "context"

// judgedSource is a rated source whose probe runs beside it: the probe's
// verdict, once known, replaces the frames, and its end waits for it.
type judgedSource struct {
	*pipeSource
	verdict chan error // the probe's, sent once
	cancel  context.CancelFunc
	err     error // the verdict, once received
	judged  bool
}

// judged probes path beside src's decode. A refusal kills ffmpeg at once;
// a pass sets its limits for the video's duration, as Open does.
func (f *FFmpeg) judged(ctx context.Context, path string, lim Limits, c *child, src *pipeSource) *judgedSource {
	pctx, cancel := context.WithCancel(ctx)
	j := &judgedSource{pipeSource: src, verdict: make(chan error, 1), cancel: cancel}
	go func() {
		info, err := f.probe(pctx, path, true)
		if err == nil {
			timeout := lim.timeout(info.Duration)
			err = c.limit(timeout, f.cpu(lim, timeout))
		}
		if err != nil {
			c.kill()
		}
		j.verdict <- err
	}()
	return j
}

// wait receives the verdict if block or if it has come.
func (j *judgedSource) wait(block bool) error {
	if j.judged {
		return j.err
	}
	if block {
		j.err = <-j.verdict
	} else {
		select {
		case j.err = <-j.verdict:
		default:
			return nil
		}
	}
	j.judged = true
	return j.err
}

// Next is the pipe's next frame, unless the probe has refused the video;
// the pipe's end, clean or not, waits for the verdict, which a refusal
// replaces it with (ffmpeg failing because the refusal killed it).
func (j *judgedSource) Next(buf []byte) (int, error) {
	if err := j.wait(false); err != nil {
		j.pipeSource.Close()
		return 0, err
	}
	n, err := j.pipeSource.Next(buf)
	if err == nil {
		return n, nil
	}
	if verr := j.wait(true); verr != nil {
		return 0, verr
	}
	return 0, err
}

// Close stops ffmpeg and the probe.
func (j *judgedSource) Close() error {
	j.cancel()
	err := j.pipeSource.Close()
	j.wait(true)
	return err
}
