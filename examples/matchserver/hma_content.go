package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
)

// maxNoteLen is the longest note HMA takes.
const maxNoteLen = 255

// contentMetadata is HMA's BankedContentMetadata.
type contentMetadata struct {
	ContentID  *string          `json:"content_id"`
	ContentURI *string          `json:"content_uri"`
	JSON       *json.RawMessage `json:"json"`
}

// annotation is what the server keeps in an item's hashdb.LocalState:
// what HMA keeps of bank content that hashdb's items have no field for.
type annotation struct {
	Metadata         *contentMetadata `json:"metadata,omitempty"`
	OriginalMediaURI *string          `json:"original_media_uri,omitempty"`
}

// parseMetadata reads a metadata object: content_id, content_uri and
// json; collab is dropped; any other key is refused.
func parseMetadata(raw json.RawMessage) (*contentMetadata, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "metadata should be a json object")
	}
	delete(m, "collab")
	var extra []string
	for k := range m {
		if k != "content_id" && k != "content_uri" && k != "json" {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, errorf(http.StatusBadRequest, "Invalid metadata: unexpected keys: %s", strings.Join(extra, ", "))
	}
	var md contentMetadata
	for k, dst := range map[string]*(*string){"content_id": &md.ContentID, "content_uri": &md.ContentURI} {
		if v, ok := m[k]; ok {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, errorf(http.StatusBadRequest, "Invalid metadata: %s must be a string", k)
			}
			*dst = &s
		}
	}
	if v, ok := m["json"]; ok {
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || obj == nil {
			return nil, errorf(http.StatusBadRequest, "Invalid metadata: json must be an object")
		}
		// Kept as Flask writes it back: compact, keys sorted.
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "Invalid metadata: %v", err)
		}
		raw := json.RawMessage(b)
		md.JSON = &raw
	}
	return &md, nil
}

// newContentID returns a new item id for bank content: random, since an
// HMA client names content by its number, never by its id.
func newContentID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "hma-" + hex.EncodeToString(b[:]), nil
}

// addContent stores signals as one new item of bank b, the local
// organisation's, and answers HMA's {"id", "signals"}.
func (s *server) addContent(w http.ResponseWriter, r *http.Request, b hashdb.Bank, sigs []hashed, note string, ann annotation) {
	if len(sigs) == 0 {
		s.fail(w, r, errorf(http.StatusBadRequest, "No signals given"))
		return
	}
	if s.db.Organization() == "" {
		s.fail(w, r, errorf(http.StatusServiceUnavailable, "this server has no organisation to own bank content: start it with -org ORG"))
		return
	}
	id, err := newContentID()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	it := hashdb.Item{
		Key:    hashdb.Key{Source: s.db.Organization(), ID: id},
		Labels: []string{b.Label()},
		TLP:    s.cfg.BankTLP,
		Note:   note,
	}
	out := map[string]string{}
	for _, h := range sigs {
		h.t.storeIn(&it, h.v)
		if h.unreliable {
			it.Unreliable = append(it.Unreliable, h.v.sig)
		}
		out[h.t.name] = h.t.format(h.v)
		if ct, _ := contentTypeNamed(h.t.content); it.ContentType == 0 || it.ContentType == ct {
			it.ContentType = ct
		}
	}
	ctx := actorContext(r)
	if err := s.db.Put(ctx, it); err != nil {
		s.fail(w, r, err)
		return
	}
	nums, err := s.db.Numbers(it.Key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ann.Metadata != nil || ann.OriginalMediaURI != nil {
		v, err := json.Marshal(ann)
		if err == nil {
			err = s.db.SetLocalState(ctx, nums[0], hashdb.LocalState{Annotation: v})
		}
		if err != nil {
			// Undo the half-made content rather than leave it without
			// what the caller sent with it.
			if rerr := s.db.Retract(ctx, it.Key, "its metadata could not be stored"); rerr != nil {
				err = errors.Join(err, rerr)
			}
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": nums[0], "signals": out})
}

// handleBankAddSignals serves POST /c/bank/{bank}/signal: {"<type>":
// "<value>", …, "note"?}, all one content item.
func (s *server) handleBankAddSignals(w http.ResponseWriter, r *http.Request) {
	b, ok := s.bankOr404(w, r, "")
	if !ok {
		return
	}
	m, err := readJSONObject(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	note, err := noteField(m)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names) // errors name the first bad type, whatever the map order
	var sigs []hashed
	for _, name := range names {
		t, ok := signalTypeNamed(name)
		if !ok {
			s.fail(w, r, errorf(http.StatusBadRequest, "No such signal type %s", name))
			return
		}
		var v string
		if err := json.Unmarshal(m[name], &v); err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "Invalid %s signal: not a string", name))
			return
		}
		val, err := t.parse(v)
		if err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "Invalid %s signal: %v", name, err))
			return
		}
		sigs = append(sigs, hashed{t: t, v: val})
	}
	s.addContent(w, r, b, sigs, note, annotation{})
}

// noteField takes "note" out of m and checks it.
func noteField(m map[string]json.RawMessage) (string, error) {
	raw, ok := m["note"]
	if !ok {
		return "", nil
	}
	delete(m, "note")
	var note string
	if err := json.Unmarshal(raw, &note); err != nil {
		return "", errorf(http.StatusBadRequest, "note must be a string")
	}
	if len([]rune(note)) > maxNoteLen {
		return "", errorf(http.StatusBadRequest, "note must be at most %d characters", maxNoteLen)
	}
	return note, nil
}

// handleBankAddMedia serves POST /c/bank/{bank}/content: the media by
// url= or as a multipart file named by its content type, with optional
// metadata (a JSON body's "metadata", or a form field of JSON) and note.
func (s *server) handleBankAddMedia(w http.ResponseWriter, r *http.Request) {
	b, ok := s.bankOr404(w, r, "")
	if !ok {
		return
	}
	q := r.URL.Query()
	var up *upload
	fields := map[string]json.RawMessage{}
	var err error
	var ann annotation
	switch {
	case q.Get("url") != "":
		if mediaType(r) == "application/json" {
			if fields, err = readJSONObject(w, r); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if up, err = s.fetchUpload(r.Context(), q.Get("url"), q.Get("content_type")); err != nil {
			s.fail(w, r, err)
			return
		}
		u := q.Get("url")
		ann.OriginalMediaURI = &u
	case mediaType(r) == "multipart/form-data":
		if up, err = s.readUpload(w, r); err != nil {
			s.fail(w, r, err)
			return
		}
		defer up.close()
		for k, v := range up.fields {
			if k == "metadata" {
				fields[k] = json.RawMessage(v)
			} else if k == "note" {
				fields[k], _ = json.Marshal(v)
			}
		}
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "Neither `url` nor multipart file upload was received"))
		return
	}
	if raw, ok := fields["metadata"]; ok {
		if ann.Metadata, err = parseMetadata(raw); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	note, err := noteField(fields)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hs, err := s.hashUpload(r.Context(), up, q.Get("types"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.addContent(w, r, b, hs, note, ann)
}
