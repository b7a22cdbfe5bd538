package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
)

// exchangeBankName is HMA's rule for POST /c/exchanges' bank.
var exchangeBankName = regexp.MustCompile(`^[A-Z0-9_]+$`)

// exchangesOr500 fails a request when the stored exchanges could not be
// read at start-up.
func (s *server) exchangesOr500(w http.ResponseWriter, r *http.Request) bool {
	if err := s.exchanges.broken; err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

// handleExchanges serves GET /c/exchanges: the exchanges' names.
func (s *server) handleExchanges(w http.ResponseWriter, r *http.Request) {
	if s.exchangesOr500(w, r) {
		writeJSON(w, http.StatusOK, s.exchanges.names())
	}
}

// handleExchangeCreate serves POST /c/exchanges: {"bank", "api",
// "api_json"}, an exchange named bank with a bank of that name; 201.
func (s *server) handleExchangeCreate(w http.ResponseWriter, r *http.Request) {
	if !s.exchangesOr500(w, r) {
		return
	}
	m, err := readJSONObject(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw, ok := m["bank"]
	if !ok || string(raw) == "null" {
		s.fail(w, r, errorf(http.StatusBadRequest, "bank is required"))
		return
	}
	var bank string
	if json.Unmarshal(raw, &bank) != nil || !exchangeBankName.MatchString(bank) {
		s.fail(w, r, errorf(http.StatusBadRequest, "Field `bank` must match /^[A-Z0-9_]+$/"))
		return
	}
	apiJSON := map[string]json.RawMessage{}
	if raw, ok := m["api_json"]; ok {
		if json.Unmarshal(raw, &apiJSON) != nil || apiJSON == nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "Field `api_json` must be object"))
			return
		}
	}
	raw, ok = m["api"]
	if !ok || string(raw) == "null" {
		s.fail(w, r, errorf(http.StatusBadRequest, "Field `api_type` is required"))
		return
	}
	var apiName string
	_ = json.Unmarshal(raw, &apiName)
	api, ok := exchangeAPINamed(apiName)
	if !ok {
		s.fail(w, r, errorf(http.StatusBadRequest, "No such exchange type '%s'", truncate(strings.Trim(string(raw), `"`))))
		return
	}
	e := &exchange{Name: bank, API: api.name, Enabled: true}
	if err := api.parseConfig(e, apiJSON); err != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "Failed to parse `api_json` - %v", err))
		return
	}
	// HMA's exchange rule lets a name start with a digit; its bank rule
	// then refuses it.
	if hashdb.ValidateBankName(bank) != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "Bank names must be UPPER_WITH_UNDERSCORE"))
		return
	}
	var followed *feedFollowedError
	switch err := s.exchanges.create(actorContext(r), e); {
	case errors.Is(err, errExchangeExists), errors.Is(err, hashdb.ErrBankExists):
		s.fail(w, r, errorf(http.StatusForbidden, "Bank already exists"))
	case errors.As(err, &followed):
		s.fail(w, r, errorf(http.StatusBadRequest, "%v", err))
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, messageJSON{"Created successfully"})
	}
}

// exchangeOr404 returns the exchange of the request's path, or fails it
// with HMA's 404.
func (s *server) exchangeOr404(w http.ResponseWriter, r *http.Request) (exchange, bool) {
	if !s.exchangesOr500(w, r) {
		return exchange{}, false
	}
	name := r.PathValue("exchange_name")
	e, ok := s.exchanges.get(name)
	if !ok {
		s.fail(w, r, errorf(http.StatusNotFound, "Exchange '%s' not found", name))
	}
	return e, ok
}

// writeDataclass writes v as pytx's dataclass_dumps does: json.dumps with
// indent=2, keys in the dataclass's field order, no final newline.
func writeDataclass(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// handleExchangeGet serves GET /c/exchange/{name}: the collaboration
// config as pytx writes it.
func (s *server) handleExchangeGet(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.exchangeOr404(w, r); ok {
		api, _ := exchangeAPINamed(e.API)
		writeDataclass(w, api.configJSON(&e))
	}
}

// handleExchangeUpdate serves PUT /c/exchange/{name}: {"enabled"?}; the
// config after it.
func (s *server) handleExchangeUpdate(w http.ResponseWriter, r *http.Request) {
	e, ok := s.exchangeOr404(w, r)
	if !ok {
		return
	}
	m, err := readJSONObject(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if raw, has := m["enabled"]; has && string(raw) != "null" {
		on, ok := jsonBool(raw)
		if !ok {
			s.fail(w, r, errorf(http.StatusBadRequest, "enabled must be a boolean"))
			return
		}
		if e, err = s.exchanges.setEnabled(actorContext(r), e.Name, on); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	api, _ := exchangeAPINamed(e.API)
	writeDataclass(w, api.configJSON(&e))
}

// jsonBool reads a bool as pydantic does: true, false or a boolean
// string.
func jsonBool(raw json.RawMessage) (bool, bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return pydanticBool(s)
	}
	return false, false
}

// handleExchangeDelete serves DELETE /c/exchange/{name}: the exchange
// and its bank go (see exchanges.delete); "Exchange deleted" even if
// there was none, as HMA answers.
func (s *server) handleExchangeDelete(w http.ResponseWriter, r *http.Request) {
	if !s.exchangesOr500(w, r) {
		return
	}
	if err := s.exchanges.delete(actorContext(r), r.PathValue("exchange_name")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageJSON{"Exchange deleted"})
}

// fetchStatusJSON is pytx's FetchStatus, keys sorted as Flask writes them.
type fetchStatusJSON struct {
	CheckpointTS        *int64 `json:"checkpoint_ts"`
	FetchedItems        int64  `json:"fetched_items"`
	LastFetchCompleteTS *int64 `json:"last_fetch_complete_ts"`
	LastFetchSucceeded  *bool  `json:"last_fetch_succeeded"`
	RunningFetchStartTS *int64 `json:"running_fetch_start_ts"`
	UpToDate            bool   `json:"up_to_date"`
}

// handleExchangeStatus serves GET /c/exchange/{name}/status: the stored
// checkpoint (its time, and the records fetched: items and deletes), the
// fetch running and the last one's result.
func (s *server) handleExchangeStatus(w http.ResponseWriter, r *http.Request) {
	e, ok := s.exchangeOr404(w, r)
	if !ok {
		return
	}
	var out fetchStatusJSON
	f := s.exchanges.feed(&e)
	st, err := s.db.FeedState(f.API(), f.Collab())
	switch {
	case err == nil:
		out.CheckpointTS = checkpointTime(st.Checkpoint)
		out.FetchedItems = st.Items + st.Retracted
	case !errors.Is(err, hashdb.ErrNotFound):
		s.fail(w, r, err)
		return
	}
	if t, ok := s.exchanges.runningSince(e.Name); ok {
		out.RunningFetchStartTS = ptr(t.Unix())
	}
	last, err := loadStatus(s.db, e.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if last.Complete != 0 {
		out.LastFetchCompleteTS = ptr(last.Complete)
		out.LastFetchSucceeded = ptr(last.Succeeded)
		out.UpToDate = last.UpToDate
	}
	writeJSON(w, http.StatusOK, out)
}

func ptr[T any](v T) *T { return &v }

// checkpointTime reads a feed's checkpoint as unix seconds: the APIs'
// are seconds (StopNCII, ThreatExchange), seconds and an id (TCAP's
// "<ts>,<id>") or a UTC time (NCMEC); nil if it is none of them.
func checkpointTime(cp string) *int64 {
	if cp == "" {
		return nil
	}
	head, _, _ := strings.Cut(cp, ",")
	if n, err := strconv.ParseInt(head, 10, 64); err == nil {
		return &n
	}
	if t, err := time.Parse(time.RFC3339, cp); err == nil {
		return ptr(t.Unix())
	}
	return nil
}

// handleExchangeAPIs serves GET /c/exchanges/apis: the exchange types.
func (s *server) handleExchangeAPIs(w http.ResponseWriter, r *http.Request) {
	out := []string{}
	for _, a := range exchangeAPIs {
		out = append(out, a.name)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiAuthJSON is what /c/exchanges/api/{api} says of credentials
// (spelled as HMA spells it); never the credentials themselves.
type apiAuthJSON struct {
	HasSet   bool `json:"has_set_authentification"`
	Supports bool `json:"supports_authentification"`
}

// handleExchangeAPI serves GET and POST /c/exchanges/api/{api}: POST
// {"credential_json": {…}} sets the API's credentials, {} clears them.
// Credentials are never answered, logged or quoted in an error.
func (s *server) handleExchangeAPI(w http.ResponseWriter, r *http.Request) {
	if !s.exchangesOr500(w, r) {
		return
	}
	name := r.PathValue("api_name")
	api, ok := exchangeAPINamed(name)
	if !ok {
		s.fail(w, r, errorf(http.StatusBadRequest, "no such Exchange API '%s'", name))
		return
	}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
		if err != nil {
			s.fail(w, r, badRequest(err))
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || m == nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "this endpoint expects a json object payload"))
			return
		}
		if raw, has := m["credential_json"]; has && string(raw) != "null" {
			var cj map[string]json.RawMessage
			if json.Unmarshal(raw, &cj) != nil || cj == nil {
				s.fail(w, r, errorf(http.StatusBadRequest, "Failed to parse `credential_json` - it must be a json object"))
				return
			}
			var cred map[string]string // nil: {} clears them
			if len(cj) > 0 {
				if cred, err = api.parseCredentials(cj); err != nil {
					s.fail(w, r, errorf(http.StatusBadRequest, "Failed to parse `credential_json` - %v", err))
					return
				}
			}
			if err := s.exchanges.creds.set(api.name, cred); err != nil {
				s.fail(w, r, err)
				return
			}
			s.log.Info("exchange credentials changed", "api", api.name, "set", cred != nil, "actor", callerOf(r).name)
			if cred != nil {
				s.exchanges.poke()
			}
		}
	}
	writeJSON(w, http.StatusOK, apiAuthJSON{Supports: true, HasSet: s.exchanges.creds.get(api.name) != nil})
}

// schemaJSON is /c/exchanges/api/{api}/schema's answer.
type schemaJSON struct {
	Config      fieldsJSON  `json:"config_schema"`
	Credentials *fieldsJSON `json:"credentials_schema"`
}

type fieldsJSON struct {
	Fields []schemaField `json:"fields"`
}

// handleExchangeSchema serves GET /c/exchanges/api/{api}/schema: the
// fields of api_json and of credential_json.
func (s *server) handleExchangeSchema(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("api_name")
	api, ok := exchangeAPINamed(name)
	if !ok {
		s.fail(w, r, errorf(http.StatusNotFound, "Exchange API '%s' not found", name))
		return
	}
	out := schemaJSON{Config: fieldsJSON{Fields: append([]schemaField{}, api.config...)}}
	if len(api.credentials) > 0 {
		out.Credentials = &fieldsJSON{Fields: api.credentials}
	}
	writeJSON(w, http.StatusOK, out)
}
