package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// An upload is media sent to an HMA route: POSTed as the one file of a
// multipart form whose field names its content type, or fetched from a
// url= parameter.
type upload struct {
	content string            // "photo" or "video"
	data    []byte            // the file, in memory: a photo, or fetched media
	spooled *os.File          // a posted video, on disk; nil when data holds the file
	fields  map[string]string // the form's other fields (metadata, note)
}

// reader returns the upload's bytes, from the start.
func (u *upload) reader() (io.Reader, error) {
	if u.spooled == nil {
		return bytes.NewReader(u.data), nil
	}
	if _, err := u.spooled.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return u.spooled, nil
}

// close removes a spooled video; it does nothing for an upload in memory.
func (u *upload) close() {
	if u.spooled != nil {
		u.spooled.Close()
		os.Remove(u.spooled.Name())
	}
}

// maxFieldLen is the longest non-file form field read.
const maxFieldLen = 64 << 10

// readUpload reads a multipart/form-data body with exactly one file,
// whose field name is its content type, as HMA's hash_media_post does. A
// photo is read into memory, at most MaxBody bytes; a video, at most
// MaxVideoBody, is spooled to a file in TempDir that up.close removes.
func (s *server) readUpload(w http.ResponseWriter, r *http.Request) (_ *upload, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxMediaBody())
	if mediaType(r) != "multipart/form-data" {
		return nil, errorf(http.StatusBadRequest, "Missing multipart/form-data file upload")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "Missing multipart/form-data file upload")
	}
	up := &upload{fields: map[string]string{}}
	defer func() {
		if err != nil {
			up.close()
		}
	}()
	files := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badRequest(err)
		}
		if p.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(p, maxFieldLen+1))
			if err != nil {
				return nil, badRequest(err)
			}
			if len(b) > maxFieldLen {
				return nil, errorf(http.StatusRequestEntityTooLarge, "form field %q: more than %d bytes", truncate(p.FormName()), maxFieldLen)
			}
			up.fields[p.FormName()] = string(b)
			continue
		}
		if files++; files > 1 {
			return nil, errorf(http.StatusBadRequest, "Only one file allowed per request")
		}
		up.content = p.FormName()
		if err := s.readFile(up, p); err != nil {
			return nil, err
		}
	}
	if files == 0 {
		return nil, errorf(http.StatusBadRequest, "Missing multipart/form-data file upload")
	}
	if _, ok := contentTypeNamed(up.content); !ok {
		return nil, errorf(http.StatusBadRequest, "no such content_type: '%s'", up.content)
	}
	return up, nil
}

// readFile reads the file part of an upload: a video to a spool file,
// anything else into memory.
func (s *server) readFile(up *upload, p io.Reader) error {
	if up.content != "video" {
		var err error
		if up.data, err = io.ReadAll(capBody(p, s.cfg.MaxBody)); err != nil {
			return badRequest(err)
		}
		return nil
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "hashshare-upload-*")
	if err != nil {
		return fmt.Errorf("spooling a video upload: %w", err)
	}
	up.spooled = f
	if _, err := io.Copy(f, capBody(p, s.cfg.MaxVideoBody)); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("spooling a video upload: %w", err)
		}
		return badRequest(err)
	}
	return nil
}

// fetchUpload fetches the media of a url= parameter, as HMA's hash_media
// does: the content type is content_type's, or the response's.
func (s *server) fetchUpload(ctx context.Context, rawURL, content string) (*upload, error) {
	if content != "" {
		if _, ok := contentTypeNamed(content); !ok {
			return nil, errorf(http.StatusBadRequest, "no such content_type: '%s'", content)
		}
	}
	if s.fetch == nil {
		s.log.Info("refused a url= fetch: fetching is off (-fetch-hosts)")
		return nil, errorf(http.StatusBadRequest, "Invalid or unsafe URL provided")
	}
	data, ct, err := s.fetch.get(ctx, rawURL)
	switch {
	case errors.Is(err, errUnsafeURL):
		s.log.Info("refused a url= fetch", "err", err)
		return nil, errorf(http.StatusBadRequest, "Invalid or unsafe URL provided")
	case errors.Is(err, errTooLarge):
		return nil, errorf(http.StatusRequestEntityTooLarge, "Content too large")
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "Failed to fetch URL: %v", strings.TrimPrefix(err.Error(), errFetchFails.Error()+": "))
	}
	if content == "" {
		mt, _, _ := mime.ParseMediaType(ct)
		switch {
		case strings.HasPrefix(mt, "image"):
			content = "photo"
		case strings.HasPrefix(mt, "video"):
			content = "video"
		default:
			return nil, errorf(http.StatusBadRequest, "unsupported url ContentType: %s", ct)
		}
	}
	return &upload{content: content, data: data}, nil
}

// A hashed signal is one signal type's value of an upload; unreliable if
// the hasher found too little information in the media to match on
// (pytx then writes PDQ as "").
type hashed struct {
	t          *signalType
	v          signalValue
	unreliable bool
}

// value writes h as HMA's /h/hash does.
func (h hashed) value() string {
	if h.unreliable {
		return ""
	}
	return h.t.format(h.v)
}

// hashUpload computes up's signals of the types named by types (a types=
// parameter: "" for all its content type has), in one pass, in a turn of
// the hashing gate. A failure to read the upload is the client's.
//
// A type named in types that cannot be computed fails the request; with
// types = "", such a type is left out, so that a video ffmpeg cannot
// decode (or a server without ffmpeg) still answers its video_md5, as
// HMA, which has no vpdq by default, would. types = "" means tmk_pdqf
// only on a server started with -tmk.
func (s *server) hashUpload(ctx context.Context, up *upload, types string) ([]hashed, error) {
	ts, err := typesOf(up.content, types, s.cfg.TMK)
	if err != nil {
		return nil, err
	}
	hs, err := s.hashTypes(ctx, up, ts, types == "")
	return hs, readError(err)
}

// hashTypes computes up's signals of the given types; lenient leaves out
// those that cannot be computed, unless that is all of them.
func (s *server) hashTypes(ctx context.Context, up *upload, types []*signalType, lenient bool) ([]hashed, error) {
	algs := make([]signal.Algorithm, len(types))
	for i, t := range types {
		algs[i] = t.hashAlg()
	}
	body, err := up.reader()
	if err != nil {
		return nil, err
	}
	ctx, leave, err := s.hashing(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	vo := s.videoOptions()
	vo.TMK = slices.ContainsFunc(types, (*signalType).needsTMK)
	h, hashErr := media.HashReader(ctx, body, &media.Options{Algorithms: algs, Video: vo})
	if h == nil {
		return nil, hashErr // reading the upload failed, or ctx ended
	}
	out := make([]hashed, 0, len(types))
	for _, t := range types {
		v, err := t.of(h)
		switch {
		case err == nil:
			out = append(out, hashed{t: t, v: v, unreliable: !t.isVideo() && slices.Contains(h.Unreliable, v.sig)})
			continue
		case lenient:
			continue
		case hashErr != nil:
			return nil, hashErr // why the media could not be hashed
		}
		return nil, errorf(http.StatusBadRequest, "cannot compute %s of this %s: %v", t.name, up.content, err)
	}
	if len(out) == 0 {
		if hashErr != nil {
			return nil, hashErr
		}
		return nil, errorf(http.StatusBadRequest, "cannot compute %s of this %s: %s", types[0].name, up.content, h.Skipped[types[0].hashAlg()])
	}
	if hashErr != nil {
		s.log.Info("hashed an upload in part", "content", up.content, "err", hashErr)
	}
	return out, nil
}

// hashesJSON is /h/hash's answer: {"<signal type>": "<value>", …}.
func hashesJSON(hs []hashed) map[string]string {
	out := make(map[string]string, len(hs))
	for _, h := range hs {
		out[h.t.name] = h.value()
	}
	return out
}
