package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// content returns the bank content of the request's path: the bank, its
// item and number, and the item's local state; or it fails the request
// with HMA's 404s.
func (s *server) content(w http.ResponseWriter, r *http.Request) (hashdb.Bank, hashdb.Item, uint64, hashdb.LocalState, bool) {
	var it hashdb.Item
	var st hashdb.LocalState
	b, ok := s.bankOr404(w, r, "")
	if !ok {
		return b, it, 0, st, false
	}
	id := r.PathValue("content_id")
	notFound := errorf(http.StatusNotFound, "content '%s' not found", id)
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		s.fail(w, r, notFound)
		return b, it, 0, st, false
	}
	it, err = s.db.GetNumber(n)
	if errors.Is(err, hashdb.ErrNotFound) || err == nil && !s.isContentOf(b, &it) {
		s.fail(w, r, notFound)
		return b, it, 0, st, false
	}
	var sts []hashdb.LocalState
	if err == nil {
		sts, err = s.db.LocalStates(n)
	}
	if err != nil {
		s.fail(w, r, err)
		return b, it, 0, st, false
	}
	return b, it, n, sts[0], true
}

// isContentOf reports whether it is live bank content of b.
func (s *server) isContentOf(b hashdb.Bank, it *hashdb.Item) bool {
	return it.Source == s.db.Organization() && !it.Retracted && slices.Contains(it.Labels, b.Label())
}

// contentJSON is HMA's BankContentConfig as GET …/content/{id} writes it.
type contentJSON struct {
	Bank             bankJSON          `json:"bank"`
	DisableUntilTS   int64             `json:"disable_until_ts"`
	ID               uint64            `json:"id"`
	Metadata         *metadataJSON     `json:"metadata,omitempty"`
	Note             string            `json:"note,omitempty"`
	OriginalMediaURI *string           `json:"original_media_uri"`
	Signals          map[string]string `json:"signals,omitempty"`
}

// metadataJSON is the metadata of contentJSON: every key, null when
// unset.
type metadataJSON struct {
	Collab     *struct{}        `json:"collab"`
	ContentID  *string          `json:"content_id"`
	ContentURI *string          `json:"content_uri"`
	JSON       *json.RawMessage `json:"json"`
}

// disableUntilTS writes a local state as HMA's disable_until_ts: 1 for
// enabled, 0 for disabled with no end, else the end in Unix seconds.
func disableUntilTS(st hashdb.LocalState) int64 {
	switch {
	case !st.Disabled:
		return 1
	case st.DisabledUntil.IsZero():
		return 0
	}
	return st.DisabledUntil.Unix()
}

func (s *server) contentJSON(b hashdb.Bank, it *hashdb.Item, n uint64, st hashdb.LocalState, signals, metadata bool) contentJSON {
	out := contentJSON{ID: n, DisableUntilTS: disableUntilTS(st), Bank: toBankJSON(b), Note: it.Note}
	var ann annotation
	if len(st.Annotation) > 0 {
		if err := json.Unmarshal(st.Annotation, &ann); err != nil {
			s.log.Warn("content annotation does not decode", "id", n, "err", err)
		}
	}
	out.OriginalMediaURI = ann.OriginalMediaURI
	if metadata && ann.Metadata != nil {
		out.Metadata = &metadataJSON{ContentID: ann.Metadata.ContentID, ContentURI: ann.Metadata.ContentURI, JSON: ann.Metadata.JSON}
	}
	if signals {
		out.Signals = map[string]string{}
		for i := range signalTypes {
			if v, ok := signalTypes[i].storedIn(it); ok {
				out.Signals[signalTypes[i].name] = signalTypes[i].format(v)
			}
		}
	}
	return out
}

// handleContentGet serves GET /c/bank/{bank}/content/{id}.
func (s *server) handleContentGet(w http.ResponseWriter, r *http.Request) {
	b, it, n, st, ok := s.content(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	signals := strings.EqualFold(q.Get("include_signals"), "true")
	metadata := !q.Has("include_metadata") || strings.EqualFold(q.Get("include_metadata"), "true")
	writeJSON(w, http.StatusOK, s.contentJSON(b, &it, n, st, signals, metadata))
}

// maxDisable is how far ahead disable_until_ts may be, as HMA allows.
const maxDisable = 5 * 365 * 24 * time.Hour

// handleContentUpdate serves PUT /c/bank/{bank}/content/{id}:
// {"disable_until_ts"?, "note"?}. disable_until_ts 0 disables the
// content, 1 enables it, any other time disables it until then.
func (s *server) handleContentUpdate(w http.ResponseWriter, r *http.Request) {
	b, it, n, st, ok := s.content(w, r)
	if !ok {
		return
	}
	m, err := readJSONObject(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, hasNote := m["note"]
	note, err := noteField(m)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	newState := st
	if raw, has := m["disable_until_ts"]; has {
		var ts int64
		if err := json.Unmarshal(raw, &ts); err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "disable_until_ts must be an integer"))
			return
		}
		if ts < 0 || time.Unix(ts, 0).After(s.cfg.Now().Add(maxDisable)) {
			s.fail(w, r, errorf(http.StatusBadRequest, "disable_until_ts must be from 0 to 5 years from now"))
			return
		}
		switch ts {
		case 0:
			newState.Disabled, newState.DisabledUntil = true, time.Time{}
		case 1:
			newState.Disabled, newState.DisabledUntil = false, time.Time{}
		default:
			newState.Disabled, newState.DisabledUntil = true, time.Unix(ts, 0).UTC()
		}
	}
	ctx := actorContext(r)
	if hasNote && note != it.Note {
		it.Note = note
		if err := s.db.Put(ctx, it); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if newState.Disabled != st.Disabled || !newState.DisabledUntil.Equal(st.DisabledUntil) {
		if err := s.db.SetLocalState(ctx, n, newState); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, s.contentJSON(b, &it, n, newState, false, true))
}

// handleContentDelete serves DELETE /c/bank/{bank}/content/{id}: the item
// is retracted, so partners holding it learn it is withdrawn.
func (s *server) handleContentDelete(w http.ResponseWriter, r *http.Request) {
	b, ok := s.bankOr404(w, r, "")
	if !ok {
		return
	}
	deleted := 0
	if n, err := strconv.ParseUint(r.PathValue("content_id"), 10, 64); err == nil && n > 0 {
		it, err := s.db.GetNumber(n)
		if err == nil && s.isContentOf(b, &it) {
			err = s.db.Retract(actorContext(r), it.Key, fmt.Sprintf("removed from bank %s", b.Name))
			deleted = 1
		}
		if err != nil && !errors.Is(err, hashdb.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": deleted})
}
