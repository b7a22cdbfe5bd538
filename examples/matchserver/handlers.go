package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// media returns the media a request carries: its raw body, or the part
// named "file" of a multipart/form-data body, at most cfg.MaxBody bytes,
// or cfg.MaxVideoBody when its first bytes are a video's. A raw body is
// taken whatever its Content-Type says if its bytes sniff as media, so
// that curl --data-binary @file, which labels it a form, works; a body
// declared as a form, text or JSON that does not is refused.
func (s *server) media(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxMediaBody())
	mt := mediaType(r)
	var body io.Reader = r.Body
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "multipart body: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, errorf(http.StatusBadRequest, `multipart body has no part named "file"`)
			}
			if err != nil {
				return nil, fmt.Errorf("%w (multipart body)", badRequest(err))
			}
			if p.FormName() == "file" {
				body = p
				break
			}
		}
	}
	br := bufio.NewReaderSize(body, 512)
	head, err := br.Peek(512)
	switch {
	case len(head) == 0 && errors.Is(err, io.EOF):
		return nil, errorf(http.StatusBadRequest, "empty body: send the media to hash")
	case err != nil && !errors.Is(err, io.EOF):
		return nil, badRequest(err)
	}
	if mt != "multipart/form-data" && (mt == "application/json" || notMedia(mt) || mt == "multipart/mixed") && !sniffsAsMedia(head) {
		return nil, errorf(http.StatusUnsupportedMediaType, "content type %q is not media, and neither are the bytes: send the media's bytes, or multipart/form-data with a \"file\" part", mt)
	}
	// The media's own limit, within the one bounding the body as a whole.
	if limit := s.mediaLimit(head); limit < s.maxMediaBody() {
		return capBody(br, limit), nil
	}
	return br, nil
}

// sniffsAsMedia reports whether the first bytes of a body are those of an
// image, a video, audio or a PDF, by the WHATWG sniffing rules, or of a
// video container those rules miss (QuickTime, Matroska).
func sniffsAsMedia(head []byte) bool {
	if looksLikeVideo(head) {
		return true
	}
	ct := http.DetectContentType(head)
	for _, p := range []string{"image/", "video/", "audio/", "application/pdf", "application/ogg"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

// badRequest marks a failure to read the request as the client's, unless
// it is a size limit (413).
func badRequest(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return &httpError{http.StatusBadRequest, "reading the request: " + err.Error()}
}

// handleStats serves GET /v1/stats: the database's counts, as "hashdb
// stats --json" prints them. The server holds the file's write lock, so
// this (and /metrics) is how an operator reads it while it serves.
func (s *server) handleStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.db.Stats()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleHash serves POST /v1/hash: the media's hashes, a video's
// TMK+PDQF among them when tmkParam says so.
func (s *server) handleHash(w http.ResponseWriter, r *http.Request) {
	body, err := s.media(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	withTMK, err := s.tmkParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := &media.Options{Dihedral: boolParam(r, "dihedral"), Video: s.videoOptions()}
	opts.Video.TMK = withTMK
	ctx, leave, err := s.hashing(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer leave()
	h, err := media.HashReader(ctx, body, opts)
	if err != nil {
		s.fail(w, r, readError(err))
		return
	}
	writeJSON(w, http.StatusOK, h.JSON())
}

// readError turns an error hashing a request body into the client's
// fault when reading the body is what failed.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, media.ErrImageDecode) || errors.Is(err, media.ErrImageTooLarge) || errors.Is(err, media.ErrVideoDecode) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest(err)
	}
	return err
}

// tmkParam reads tmk= of a /v1 media request: whether to compute a
// video's TMK+PDQF, the server's -tmk when the request does not say.
// Unlike the flags boolParam reads, a value that is not a boolean is
// refused: tmk=yes taken as false would silently skip a costly hash the
// caller asked for.
func (s *server) tmkParam(r *http.Request) (bool, error) {
	q := r.URL.Query()
	if !q.Has("tmk") {
		return s.cfg.TMK, nil
	}
	b, err := strconv.ParseBool(q.Get("tmk"))
	if err != nil {
		return false, errorf(http.StatusBadRequest, "tmk=%q: want true or false (1 or 0)", truncate(q.Get("tmk")))
	}
	return b, nil
}

func boolParam(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

// itemJSON is what GET /v1/items/{source}/{id} returns: a video's vPDQ
// in pytx's form and TMK+PDQF in ThreatExchange's, as /v1/hash gives
// them.
type itemJSON struct {
	Source        string    `json:"source"`
	ID            string    `json:"id"`
	ContentType   string    `json:"content_type,omitempty"`
	Signals       []string  `json:"signals"`
	Unreliable    []string  `json:"unreliable,omitempty"`
	VPDQ          string    `json:"vpdq,omitempty"`
	TMKPDQF       string    `json:"tmk_pdqf,omitempty"`
	Labels        []string  `json:"labels"`
	TLP           string    `json:"tlp"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
	Note          string    `json:"note,omitempty"`
	Retracted     bool      `json:"retracted,omitempty"`
	RetractReason string    `json:"retract_reason,omitempty"`
}

func signalStrings(ss []signal.Signal) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.String())
	}
	return out
}

// handleItem serves GET /v1/items/{source}/{id}.
func (s *server) handleItem(w http.ResponseWriter, r *http.Request) {
	key := hashdb.Key{Source: r.PathValue("source"), ID: r.PathValue("id")}
	if key.ID == "" {
		s.fail(w, r, errorf(http.StatusNotFound, "not found: want /v1/items/{source}/{id}"))
		return
	}
	it, err := s.db.Get(key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	labels := it.Labels
	if labels == nil {
		labels = []string{}
	}
	j := itemJSON{
		Source: it.Source, ID: it.ID, Signals: signalStrings(it.Signals), Labels: labels,
		TLP: it.TLP.String(), FirstSeen: it.FirstSeen, LastSeen: it.LastSeen, Note: it.Note,
		Retracted: it.Retracted, RetractReason: it.RetractReason,
		Unreliable: signalStrings(it.Unreliable),
	}
	if it.ContentType != hashdb.ContentUnknown {
		j.ContentType = it.ContentType.String()
	}
	if it.Video != nil {
		j.VPDQ = it.Video.PyTX()
	}
	if it.TMK != nil {
		j.TMKPDQF = it.TMK.String()
	}
	writeJSON(w, http.StatusOK, j)
}

// importJSON is what POST /v1/bundles returns.
type importJSON struct {
	Peer       string `json:"peer"`
	Full       bool   `json:"full"`
	Checkpoint uint64 `json:"checkpoint"`
	Entries    uint64 `json:"entries"`
	Refused    int    `json:"refused"`
	Unchanged  bool   `json:"unchanged"`
}

// handleImport serves POST /v1/bundles: a bundle signed by the peer the
// caller's exchange token speaks for, and by no other.
func (s *server) handleImport(w http.ResponseWriter, r *http.Request) {
	peer := callerOf(r).peer()
	if peer == "" {
		s.fail(w, r, errorf(http.StatusForbidden, "importing needs an exchange token bound to the producing peer (matchserver token --roles exchange --peer ORG)"))
		return
	}
	mt := mediaType(r)
	if notMedia(mt) || mt == "application/json" || mt == "multipart/form-data" {
		s.fail(w, r, errorf(http.StatusUnsupportedMediaType, "content type %q is not a bundle: send its bytes as application/octet-stream", mt))
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBundle)
	leave, err := s.importGate.enter(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer leave()
	res, err := s.db.Import(actorContext(r), body, &hashdb.ImportOptions{TempDir: s.cfg.TempDir, MaxBytes: s.cfg.MaxBundle, Producer: peer})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("imported bundle", "actor", callerOf(r).name, "peer", res.Peer, "full", res.Full, "checkpoint", res.Checkpoint.Seq, "entries", res.Entries, "refused", res.Refused)
	writeJSON(w, http.StatusOK, importJSON{Peer: res.Peer, Full: res.Full, Checkpoint: res.Checkpoint.Seq,
		Entries: res.Entries, Refused: res.Refused, Unchanged: res.Unchanged})
}

// handleExport serves GET /v1/bundles to the peer the caller's exchange
// token speaks for, with what that peer may receive under TLP and its
// policy: with since=N (N > 0) a delta of the changes after N, which a
// partner whose checkpoint is N imports; without it (or with full=true) a
// full bundle. There is no anonymous export: a token bound to no peer
// gets 403, not a GREEN bundle. Export holds the database's write
// lock while it runs, so the bundle is written to a temporary file first
// and streamed to the client from there: a slow client never holds up
// writers.
func (s *server) handleExport(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Key == nil {
		s.fail(w, r, errorf(http.StatusNotImplemented, "exporting is off: start the server with -key KEYFILE"))
		return
	}
	peer := callerOf(r).peer()
	if peer == "" {
		s.fail(w, r, errorf(http.StatusForbidden, "exporting needs an exchange token bound to the receiving peer (matchserver token --roles exchange --peer ORG)"))
		return
	}
	q := r.URL.Query()
	var since uint64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "since=%q: want a change sequence number", v))
			return
		}
		since = n
	}
	full := since == 0 || boolParam(r, "full")
	if full {
		since = 0
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "hashshare-export-*")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Unlinked at once where the system allows (the open file lives on),
	// so that a killed server leaves no bundle behind; elsewhere, when
	// the request ends.
	removed := os.Remove(f.Name()) == nil
	defer func() {
		f.Close()
		if !removed {
			os.Remove(f.Name())
		}
	}()
	cp, err := s.db.Export(actorContext(r), f, hashdb.ExportOptions{Audience: peer, Full: full, Since: since, KeyID: s.cfg.Key.ID, Signer: s.cfg.Key.Key, Gzip: boolParam(r, "gzip")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kind := "delta"
	if full {
		kind = "full"
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="hashshare-%s-%d.bundle"`, kind, cp.Seq))
	h.Set("Hashshare-Bundle-Kind", kind)
	h.Set("Hashshare-Checkpoint", strconv.FormatUint(cp.Seq, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Warn("sending bundle", "err", err)
	}
}
