package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// An upload is media sent to an HMA route: POSTed as the one file of a
// multipart form whose field names its content type, or fetched from a
// url= parameter.
type upload struct {
	content string            // "photo" or "video"
	data    []byte            // the file
	fields  map[string]string // the form's other fields (metadata, note)
}

// maxFieldLen is the longest non-file form field read.
const maxFieldLen = 64 << 10

// readUpload reads a multipart/form-data body with exactly one file,
// whose field name is its content type, as HMA's hash_media_post does.
func (s *server) readUpload(w http.ResponseWriter, r *http.Request) (*upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	if mediaType(r) != "multipart/form-data" {
		return nil, errorf(http.StatusBadRequest, "Missing multipart/form-data file upload")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "Missing multipart/form-data file upload")
	}
	up := &upload{fields: map[string]string{}}
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
		if up.data, err = io.ReadAll(p); err != nil {
			return nil, badRequest(err)
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
	sig        signal.Signal
	unreliable bool
}

// value writes h as HMA's /h/hash does.
func (h hashed) value() string {
	if h.unreliable {
		return ""
	}
	return h.t.format(h.sig)
}

// hashUpload computes up's signals of the types named by types (a types=
// parameter: "" for all its content type has), in one pass, in a turn of
// the hashing gate. A failure to read the upload is the client's.
func (s *server) hashUpload(ctx context.Context, up *upload, types string) ([]hashed, error) {
	ts, err := typesOf(up.content, types)
	if err != nil {
		return nil, err
	}
	hs, err := s.hashTypes(ctx, up, ts)
	return hs, readError(err)
}

// hashTypes computes up's signals of the given types.
func (s *server) hashTypes(ctx context.Context, up *upload, types []*signalType) ([]hashed, error) {
	algs := make([]signal.Algorithm, len(types))
	for i, t := range types {
		algs[i] = t.alg
	}
	ctx, leave, err := s.hashing(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	h, err := media.HashReader(ctx, bytes.NewReader(up.data), &media.Options{Algorithms: algs})
	if err != nil {
		return nil, err
	}
	out := make([]hashed, 0, len(types))
	for _, t := range types {
		sig, ok := h.Signal(t.alg)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "cannot compute %s of this %s: %s", t.name, up.content, h.Skipped[t.alg])
		}
		unreliable := false
		for _, u := range h.Unreliable {
			unreliable = unreliable || u == sig
		}
		out = append(out, hashed{t: t, sig: sig, unreliable: unreliable})
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
