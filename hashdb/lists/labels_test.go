package lists

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestLabel(t *testing.T) {
	for _, c := range []struct{ ns, tag, want string }{
		{"te", "example_tag", "te:example_tag"},
		{"te", "Example Tag", "te:example_tag"},
		{"ideology", "far-right", "ideology:far-right"},
		{"ncmec", "A1", "ncmec:a1"},
		{"stopncii", "ExampleTag", "stopncii:exampletag"},
		{"pytx", "  Glorification of Terrorist Acts!! ", "pytx:glorification_of_terrorist_acts"},
		{"pytx", "a::b", "pytx:a::b"},
		{"pytx", ":lead/trail:", "pytx:lead_trail"},
		{"pytx", "v1.2", "pytx:v1.2"},
		{"pytx", "Ünïcode", "pytx:u00dcnu00efcode"},
		{"pytx", "داعش", "pytx:u062fu0627u0639u0634"},
		{"pytx", "a\tb\nc", "pytx:a_b_c"},
	} {
		got, err := tagLabel(c.ns, c.tag)
		if err != nil || got != c.want {
			t.Errorf("label(%q, %q) = %q, %v; want %q", c.ns, c.tag, got, err, c.want)
		}
	}
	for _, tag := range []string{"", "!!!", " :: ", strings.Repeat("x", 130)} {
		if l, err := tagLabel("pytx", tag); err == nil {
			t.Errorf("label(%q) = %q, want an error", tag, l)
		}
	}
}

func TestOrgID(t *testing.T) {
	for _, c := range []struct{ prefix, name, want string }{
		{"te", "2000000000000001", "te-2000000000000001"},
		{"stopncii", "Example CSP", "stopncii-example_csp"},
		{"ncmec", "9990", "ncmec-9990"},
		{"stopncii", "a:b", "stopncii-a_b"},
	} {
		if got, err := orgID(c.prefix, c.name); err != nil || got != c.want {
			t.Errorf("orgID(%q, %q) = %q, %v", c.prefix, c.name, got, err)
		}
	}
	for _, name := range []string{"", "???", strings.Repeat("x", 60)} {
		if id, err := orgID("stopncii", name); err == nil {
			t.Errorf("orgID(%q) = %q, want an error", name, id)
		}
	}
}

func TestTETags(t *testing.T) {
	for _, in := range []string{
		`{"data": [{"id": "1", "text": "a"}, {"text": "b"}]}`,
		`["a", "b"]`,
		`[{"text": "a"}, "b"]`,
	} {
		var tags teTags
		if err := json.Unmarshal([]byte(in), &tags); err != nil || !slices.Equal(tags, teTags{"a", "b"}) {
			t.Errorf("%s: %q, %v", in, tags, err)
		}
	}
	var tags teTags
	if err := json.Unmarshal([]byte(`[1]`), &tags); err == nil {
		t.Errorf("[1]: %q, want an error", tags)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"1700000000":                  "2023-11-14T22:13:20Z",
		"1700000000.5":                "2023-11-14T22:13:20.5Z",
		"2023-11-14T22:13:20+0000":    "2023-11-14T22:13:20Z",
		"2023-11-14T23:13:20+0100":    "2023-11-14T22:13:20Z",
		"2023-11-14T22:13:20.000000Z": "2023-11-14T22:13:20Z",
		"not a time":                  "0001-01-01T00:00:00Z",
		"-5":                          "0001-01-01T00:00:00Z",
		"1e300":                       "0001-01-01T00:00:00Z",
		"9999-01-01T00:00:00Z":        "0001-01-01T00:00:00Z",
	} {
		if got := parseTime(in).Format("2006-01-02T15:04:05.999999999Z07:00"); got != want {
			t.Errorf("parseTime(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestJSONErrors checks that the JSON and XML readers' Skips name the
// entry and the value.
func TestJSONErrors(t *testing.T) {
	for _, c := range []struct {
		f        Format
		in, want string
	}{
		{ThreatExchange, `{"data": [{"id": "7", "type": "HASH_PDQ", "indicator": "f00d", "descriptors": {"data": []}}]}`, `entry 1 (id 7): HASH_PDQ value "f00d"`},
		{ThreatExchange, `{"data": [{"id": "7", "type": "HASH_EXAMPLE"}]}`, `"HASH_EXAMPLE"`},
		{TCAP, `{"results": [{"id": 9, "algorithm": "PDQ", "hash_digest": "f00d"}]}`, `entry 1 (id 9): PDQ value "f00d"`},
		{TCAP, `{"results": [{"algorithm": "PDQ"}]}`, `entry 1: empty id`},
		{StopNCII, `{"hashRecords": [{"signalType": "ImagePDQ", "hashValue": "f00d"}]}`, `ImagePDQ value "f00d"`},
		{StopNCII, `{"hashRecords": [{"signalType": 5}]}`, `entry 1: json: cannot unmarshal`},
		{NCMEC, `<queryResult><images><image><member id="1"/><id>x</id><fingerprints><pdq>f00d</pdq></fingerprints></image></images></queryResult>`, `entry 1 (1-x): pdq value "f00d"`},
		{NCMEC, `<queryResult><images><image><member id="1"/><id>x</id><fingerprints><tmk_pdqf rel="self" href="https://example.invalid/x"/></fingerprints></image></images></queryResult>`, `tmk_pdqf fingerprint is to be fetched from "https://example.invalid/x"`},
	} {
		recs, err := readAll(t, strings.NewReader(c.in), c.f, nil)
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s %s: %v, %d records", c.f, c.in, err, len(recs))
		}
		if got := errText(t, recs[len(recs)-1]); !strings.Contains(got, c.want) {
			t.Errorf("%s %s: Err %q does not contain %q", c.f, c.in, got, c.want)
		}
	}
}
