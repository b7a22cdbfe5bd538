package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashshare/hashshare/hashdb/feeds"
)

// An exchangeAPI is one of HMA's exchange types, by python-threatexchange's
// name, and how its collaboration config (api_json) and credentials
// (credential_json) become a [feeds.Feed].
type exchangeAPI struct {
	// name is pytx's: the /c/exchanges routes' api.
	name string
	// feed is hashdb/feeds' name of the same API.
	feed string
	// config are the fields of api_json beyond name, api and enabled;
	// credentials those of credential_json.
	config, credentials []schemaField
	// configJSON is an exchange's config as pytx's dataclass holds it:
	// its fields in the dataclass's order.
	configJSON func(e *exchange) any
	// client returns the feed an exchange follows with cred, at base
	// (the API's public base if ""); its API and Collab need no
	// credentials.
	client func(e *exchange, cred map[string]string, base string) feeds.Feed
}

// A schemaField is one field of an API's config or credentials, as
// /c/exchanges/api/<api>/schema describes it. Keys in sorted order, as
// Flask writes them.
type schemaField struct {
	Choices  []string `json:"choices"`
	Default  any      `json:"default"`
	Help     string   `json:"help"`
	Name     string   `json:"name"`
	Required bool     `json:"required"`
	Type     string   `json:"type"`
}

// ncmecEnvironments are pytx's NCMECEnvironment values, by which api_json
// names an environment, and the names hashdb/feeds keeps their
// checkpoints under.
var ncmecEnvironments = []struct{ url, name string }{
	{"https://report.cybertip.org/hashsharing", "industry"},
	{"https://report.cybertip.org/exploitative-hashsharing", "industry_exploitative"},
	{"https://lesp.ncmec.org/csam-hashsharing", "law_enforcement"},
	{"https://hashsharing.ncmec.org/npo", "ngo"},
	{"https://hashsharing.ncmec.org/exploitative", "exploitative"},
}

func ncmecEnvironment(url string) (name string, ok bool) {
	for _, e := range ncmecEnvironments {
		if e.url == url {
			return e.name, true
		}
	}
	return "", false
}

func ncmecChoices() []string {
	var out []string
	for _, e := range ncmecEnvironments {
		out = append(out, e.url)
	}
	return out
}

// pytx's dataclasses, in their fields' order: the required fields' mixin
// first, then CollaborationConfigBase's, then the class's own.
type (
	teConfigJSON struct {
		PrivacyGroup int64  `json:"privacy_group"`
		Name         string `json:"name"`
		API          string `json:"api"`
		Enabled      bool   `json:"enabled"`
	}
	ncmecConfigJSON struct {
		Environment string  `json:"environment"`
		Name        string  `json:"name"`
		API         string  `json:"api"`
		Enabled     bool    `json:"enabled"`
		OnlyESPIDs  []int64 `json:"only_esp_ids"`
	}
	baseConfigJSON struct {
		Name    string `json:"name"`
		API     string `json:"api"`
		Enabled bool   `json:"enabled"`
	}
)

func baseConfig(e *exchange) any { return baseConfigJSON{e.Name, e.API, e.Enabled} }

func requiredField(name, typ, help string) schemaField {
	return schemaField{Name: name, Type: typ, Required: true, Help: help}
}

// exchangeAPIs are the exchange types served: HMA's, in its order, and
// TCAP (pytx's "tat").
var exchangeAPIs = []exchangeAPI{
	{
		name: "fb_threatexchange", feed: "threatexchange",
		config:      []schemaField{requiredField("privacy_group", "number", "the ThreatExchange privacy group to fetch")},
		credentials: []schemaField{requiredField("api_token", "string", "the app's access token, <app id>|<secret>")},
		configJSON: func(e *exchange) any {
			return teConfigJSON{e.PrivacyGroup, e.Name, e.API, e.Enabled}
		},
		client: func(e *exchange, cred map[string]string, base string) feeds.Feed {
			return &feeds.ThreatExchange{AccessToken: cred["api_token"], PrivacyGroup: strconv.FormatInt(e.PrivacyGroup, 10), BaseURL: base}
		},
	},
	{
		name: "ncmec", feed: "ncmec",
		config: []schemaField{
			{Name: "environment", Type: "enum", Required: true, Help: "the NCMEC hash sharing environment", Choices: ncmecChoices()},
			{Name: "only_esp_ids", Type: "set_of_number", Default: []int64{}, Help: "only entries of these ESP ids (not supported here: leave it empty)"},
		},
		credentials: []schemaField{
			requiredField("user", "string", "the hash sharing API's user name"),
			requiredField("password", "string", "the hash sharing API's password"),
		},
		configJSON: func(e *exchange) any {
			return ncmecConfigJSON{e.Environment, e.Name, e.API, e.Enabled, []int64{}}
		},
		client: func(e *exchange, cred map[string]string, base string) feeds.Feed {
			name, _ := ncmecEnvironment(e.Environment)
			n := &feeds.NCMEC{Username: cred["user"], Password: cred["password"], Environment: name, BaseURL: base}
			if _, known := feeds.NCMECEnvironments[name]; !known && base == "" {
				n.BaseURL = e.Environment
			}
			return n
		},
	},
	{
		name: "stop_ncii", feed: "stopncii",
		credentials: []schemaField{
			requiredField("fetch_function_key", "string", "the FetchHashes function key (x-functions-key)"),
			requiredField("subscription_key", "string", "the API Management subscription key (Ocp-Apim-Subscription-Key)"),
			{Name: "base_url_override", Type: "string", Help: "an API base other than https://api.stopncii.org/v1"},
		},
		configJSON: baseConfig,
		client: func(e *exchange, cred map[string]string, base string) feeds.Feed {
			if o := cred["base_url_override"]; o != "" {
				// pytx's base ends in /v1, which feeds adds itself.
				base = strings.TrimSuffix(strings.TrimSuffix(o, "/"), "/v1")
			}
			return &feeds.StopNCII{SubscriptionKey: cred["subscription_key"], FunctionKey: cred["fetch_function_key"], BaseURL: base}
		},
	},
	{
		name: "tat", feed: "tcap",
		credentials: []schemaField{
			requiredField("username", "string", "the TCAP user name"),
			requiredField("password", "string", "the TCAP password"),
		},
		configJSON: baseConfig,
		client: func(e *exchange, cred map[string]string, base string) feeds.Feed {
			return &feeds.TCAP{Username: cred["username"], Password: cred["password"], BaseURL: base}
		},
	},
}

// exchangeAPINamed returns the exchange type called name.
func exchangeAPINamed(name string) (*exchangeAPI, bool) {
	i := slices.IndexFunc(exchangeAPIs, func(a exchangeAPI) bool { return a.name == name })
	if i < 0 {
		return nil, false
	}
	return &exchangeAPIs[i], true
}

// parseConfig reads api_json's fields for a into e, as pytx's
// dataclass_load_dict (dacite) reads them: required fields must be there
// and of their type, unknown ones are ignored. The error says what is
// wrong, for HMA's "Failed to parse `api_json` - …".
func (a *exchangeAPI) parseConfig(e *exchange, m map[string]json.RawMessage) error {
	if raw, ok := m["enabled"]; ok {
		if err := json.Unmarshal(raw, &e.Enabled); err != nil {
			return wrongType("enabled", "bool", raw)
		}
	}
	switch a.name {
	case "fb_threatexchange":
		raw, ok := m["privacy_group"]
		if !ok || string(raw) == "null" {
			return missingField("privacy_group")
		}
		if err := json.Unmarshal(raw, &e.PrivacyGroup); err != nil || e.PrivacyGroup <= 0 {
			return wrongType("privacy_group", "int", raw)
		}
	case "ncmec":
		raw, ok := m["environment"]
		if !ok || string(raw) == "null" {
			return missingField("environment")
		}
		if json.Unmarshal(raw, &e.Environment) != nil {
			return wrongType("environment", "NCMECEnvironment", raw)
		}
		if _, ok := ncmecEnvironment(e.Environment); !ok {
			return fmt.Errorf("%s is not a valid NCMECEnvironment (one of %s)", truncate(string(raw)), strings.Join(ncmecChoices(), ", "))
		}
		if raw, ok := m["only_esp_ids"]; ok && string(raw) != "null" {
			var ids []int64
			if json.Unmarshal(raw, &ids) != nil {
				return wrongType("only_esp_ids", "Set[int]", raw)
			}
			if len(ids) > 0 {
				return fmt.Errorf(`field "only_esp_ids": this server does not filter NCMEC entries by ESP id; leave it empty`)
			}
		}
	}
	return nil
}

// parseCredentials reads credential_json for a: every field a string,
// the required ones not empty. Its errors name fields, never values.
func (a *exchangeAPI) parseCredentials(m map[string]json.RawMessage) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range a.credentials {
		raw, ok := m[f.Name]
		if !ok || string(raw) == "null" {
			if f.Required {
				return nil, missingField(f.Name)
			}
			continue
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return nil, fmt.Errorf(`wrong value type for field "%s" - should be "str"`, f.Name)
		}
		switch {
		case v == "" && f.Required:
			return nil, fmt.Errorf(`field "%s" is empty`, f.Name)
		case v != "":
			out[f.Name] = v
		}
	}
	return out, nil
}

func missingField(field string) error { return fmt.Errorf(`missing value for field "%s"`, field) }

func wrongType(field, want string, raw json.RawMessage) error {
	return fmt.Errorf(`wrong value type for field "%s" - should be "%s" instead of value %s`, field, want, truncate(string(raw)))
}
