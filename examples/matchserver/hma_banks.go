package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hashshare/hashshare/hashdb"
)

// bankJSON is HMA's BankConfig. Like every HMA answer's, its keys are in
// sorted order, as Flask's JSON provider writes them.
type bankJSON struct {
	Ratio pyFloat `json:"matching_enabled_ratio"`
	Name  string  `json:"name"`
}

func toBankJSON(b hashdb.Bank) bankJSON { return bankJSON{Name: b.Name, Ratio: pyFloat(b.MatchRatio)} }

// pyFloat is a float written as Python's json module writes one: 1.0, not
// 1, so that a Python client reads a float where HMA sends one.
type pyFloat float64

func (f pyFloat) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(float64(f))
	if err == nil && !bytes.ContainsAny(b, ".eE") {
		b = append(b, ".0"...)
	}
	return b, err
}

// maxJSONBody is the largest JSON body of a curation route.
const maxJSONBody = 1 << 20

// readJSONObject reads a request body holding one JSON object.
func readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		return nil, badRequest(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "the body must be a JSON object")
	}
	return m, nil
}

// ratioField reads enabled_ratio, as a number or a numeric string
// (flask_utils.str_to_type), or else enabled, as a bool or a boolean
// string, which means 1 or 0. ok is false if neither is there.
func ratioField(m map[string]json.RawMessage) (ratio float64, ok bool, err error) {
	if raw, has := m["enabled_ratio"]; has {
		var f float64
		if json.Unmarshal(raw, &f) == nil {
			return f, true, nil
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f, true, nil
			}
		}
		return 0, false, errorf(http.StatusBadRequest, "enabled_ratio must be a number")
	}
	if raw, has := m["enabled"]; has {
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return boolRatio(b), true, nil
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if b, ok := pydanticBool(s); ok {
				return boolRatio(b), true, nil
			}
		}
		return 0, false, errorf(http.StatusBadRequest, "enabled must be a boolean")
	}
	return 0, false, nil
}

func boolRatio(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// bankError maps hashdb's bank errors to HMA's answers. The handlers
// check names first, so an invalid bank past them is its ratio.
func bankError(err error, exists string) error {
	switch {
	case errors.Is(err, hashdb.ErrBankExists):
		return errorf(http.StatusForbidden, "%s", exists)
	case errors.Is(err, hashdb.ErrInvalidBank):
		return errorf(http.StatusBadRequest, "enabled_ratio must be from 0 to 1")
	}
	return err
}

// handleBanks serves GET /c/banks.
func (s *server) handleBanks(w http.ResponseWriter, r *http.Request) {
	bs, err := s.db.Banks()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []bankJSON{}
	for _, b := range bs {
		out = append(out, toBankJSON(b))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleBankCreate serves POST /c/banks: {"name", "enabled_ratio"?,
// "enabled"?}, 201 with the bank.
func (s *server) handleBankCreate(w http.ResponseWriter, r *http.Request) {
	m, err := readJSONObject(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var name string
	if raw, ok := m["name"]; !ok || json.Unmarshal(raw, &name) != nil || name == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "Missing required parameter: name"))
		return
	}
	if hashdb.ValidateBankName(name) != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "Bank names must be UPPER_WITH_UNDERSCORE"))
		return
	}
	b := hashdb.Bank{Name: name, MatchRatio: 1}
	ratio, ok, err := ratioField(m)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok {
		b.MatchRatio = ratio
	}
	if err := s.db.CreateBank(actorContext(r), b); err != nil {
		s.fail(w, r, bankError(err, "Bank already exists"))
		return
	}
	writeJSON(w, http.StatusCreated, toBankJSON(b))
}

// bankOr404 returns the bank of the request's path, or fails it with
// HMA's 404 text.
func (s *server) bankOr404(w http.ResponseWriter, r *http.Request, notFound string) (hashdb.Bank, bool) {
	name := r.PathValue("bank_name")
	b, err := s.db.GetBank(name)
	if errors.Is(err, hashdb.ErrNotFound) {
		if notFound == "" {
			notFound = fmt.Sprintf("bank '%s' not found", name)
		}
		s.fail(w, r, errorf(http.StatusNotFound, "%s", notFound))
		return b, false
	}
	if err != nil {
		s.fail(w, r, err)
		return b, false
	}
	return b, true
}

// handleBankGet serves GET /c/bank/{bank}.
func (s *server) handleBankGet(w http.ResponseWriter, r *http.Request) {
	if b, ok := s.bankOr404(w, r, ""); ok {
		writeJSON(w, http.StatusOK, toBankJSON(b))
	}
}

// handleBankUpdate serves PUT /c/bank/{bank}: {"name"?, "enabled"?,
// "enabled_ratio"?}; a new name renames the bank (and relabels its
// items).
func (s *server) handleBankUpdate(w http.ResponseWriter, r *http.Request) {
	b, ok := s.bankOr404(w, r, "Bank not found")
	if !ok {
		return
	}
	m, err := readJSONObject(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	old := b.Name
	if raw, has := m["name"]; has {
		if json.Unmarshal(raw, &b.Name) != nil || hashdb.ValidateBankName(b.Name) != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "Bank names must be UPPER_WITH_UNDERSCORE"))
			return
		}
	}
	if _, isExchange := s.exchanges.get(old); isExchange && b.Name != old {
		// The exchange's items carry the bank's label and its name.
		s.fail(w, r, errorf(http.StatusBadRequest, "bank '%s' is the exchange '%s''s and cannot be renamed", old, old))
		return
	}
	// HMA applies enabled, then enabled_ratio over it.
	for _, k := range []string{"enabled", "enabled_ratio"} {
		raw, has := m[k]
		if !has {
			continue
		}
		ratio, _, err := ratioField(map[string]json.RawMessage{k: raw})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		b.MatchRatio = ratio
	}
	if err := s.db.UpdateBank(actorContext(r), old, b); err != nil {
		s.fail(w, r, bankError(err, "Bank name already exists"))
		return
	}
	writeJSON(w, http.StatusOK, toBankJSON(b))
}

// handleBankDelete serves DELETE /c/bank/{bank}: the bank goes and its
// items are retracted; "Done" even if there was no such bank.
func (s *server) handleBankDelete(w http.ResponseWriter, r *http.Request) {
	n, err := s.db.DeleteBank(actorContext(r), r.PathValue("bank_name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("bank deleted", "bank", r.PathValue("bank_name"), "retracted", n, "actor", callerOf(r).name)
	writeJSON(w, http.StatusOK, messageJSON{"Done"})
}
