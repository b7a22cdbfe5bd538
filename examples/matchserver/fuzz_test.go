package main

import (
	"encoding/json"
	"errors"
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
	f.Fuzz(func(t *testing.T, v string) {
		for i := range signalTypes {
			st := &signalTypes[i]
			sig, err := st.parse(v)
			if err != nil {
				continue
			}
			if sig.Algorithm() != st.alg {
				t.Fatalf("%s: %q parses as %s", st.name, v, sig)
			}
			w := st.format(sig)
			if again, err := st.parse(w); err != nil || again != sig {
				t.Fatalf("%s: %q is %s, written %q, which reads as %v (%v)", st.name, v, sig, w, again, err)
			}
		}
	})
}
