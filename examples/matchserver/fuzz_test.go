package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseMetadata checks that metadata either is refused as the
// client's fault or stores as what it says.
func FuzzParseMetadata(f *testing.F) {
	f.Add(`{"content_id": "x", "content_uri": "https://example.invalid/1", "json": {"a": 1}, "collab": null}`)
	f.Add(`{"extra": 1}`)
	f.Add(`[1]`)
	f.Add(`{"json": []}`)
	f.Fuzz(func(t *testing.T, s string) {
		md, err := parseMetadata(json.RawMessage(s))
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.code != 400 {
				t.Fatalf("%q: %v is not a 400", s, err)
			}
			return
		}
		b, err := json.Marshal(annotation{Metadata: md})
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var back annotation
		if err := json.Unmarshal(b, &back); err != nil || back.Metadata == nil {
			t.Fatalf("%q stores as %s, which does not read back: %v", s, b, err)
		}
	})
}

// FuzzSignalValue checks every signal type's validate_signal_str: what
// it accepts writes back as a value it accepts as the same signal.
func FuzzSignalValue(f *testing.F) {
	f.Add("c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de")
	f.Add(" F00DF00DF00DF00DF00DF00DF00DF00D ")
	f.Add("zz")
	f.Add(`["c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de,100,0.0", "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d,42,1.0"]`)
	f.Add(`["c0de,100,0.0"]`)
	// Not a whole tmk_pdqf value: the fuzzer stalls minimising 351 KB
	// inputs. TestTMKValues round-trips whole ones.
	f.Add("TMK1FVECPDQF|AAAA")
	f.Fuzz(func(t *testing.T, v string) {
		for i := range signalTypes {
			st := &signalTypes[i]
			val, err := st.parse(v)
			if err != nil {
				continue
			}
			ok := false
			switch st.kind {
			case fixedWidth:
				ok = val.sig.Algorithm() == st.alg && val.video == nil && val.tmk == nil
			case videoVPDQ:
				ok = val.video != nil && val.tmk == nil
			case videoTMK:
				ok = val.tmk != nil && val.video == nil
			}
			if !ok {
				t.Fatalf("%s: %q parses as %+v", st.name, truncate(v), val)
			}
			w := st.format(val)
			again, err := st.parse(w)
			if err != nil || st.format(again) != w || !st.isVideo() && again.sig != val.sig {
				t.Fatalf("%s: %q is %+v, written %q, which reads as %+v (%v)", st.name, v, val, w, again, err)
			}
		}
	})
}

// FuzzExchangeJSON checks every exchange API's readers of api_json and
// credential_json: what a config accepts writes back as pytx's dataclass
// and reads again the same, and no error quotes a credential's value.
func FuzzExchangeJSON(f *testing.F) {
	f.Add(`{"privacy_group": 12345, "enabled": false}`)
	f.Add(`{"environment": "https://hashsharing.ncmec.org/npo", "only_esp_ids": [1]}`)
	f.Add(`{"api_token": "tok-secret", "user": 3, "password": "", "username": "u", "fetch_function_key": "k", "subscription_key": "s"}`)
	f.Add(`{"privacy_group": "12"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		for i := range exchangeAPIs {
			api := &exchangeAPIs[i]
			e := &exchange{Name: "X", API: api.name, Enabled: true}
			if err := api.parseConfig(e, m); err == nil {
				b, err := json.Marshal(api.configJSON(e))
				if err != nil {
					t.Fatalf("%s: %q: %v", api.name, s, err)
				}
				var back map[string]json.RawMessage
				json.Unmarshal(b, &back)
				again := &exchange{Name: "X", API: api.name}
				if err := api.parseConfig(again, back); err != nil || *again != *e {
					t.Fatalf("%s: %q is %+v, written %s, which reads as %+v (%v)", api.name, s, e, b, again, err)
				}
			}
			if _, err := api.parseCredentials(m); err != nil {
				for _, raw := range m {
					var v string
					named := func(f schemaField) bool { return strings.Contains(f.Name, v) }
					if json.Unmarshal(raw, &v) == nil && len(v) > 3 && strings.Contains(err.Error(), v) &&
						!slices.ContainsFunc(api.credentials, named) && !strings.Contains("missing value for field wrong type should be str is empty", v) {
						t.Fatalf("%s: the error %q quotes a credential's value %q", api.name, err, v)
					}
				}
			}
		}
	})
}
