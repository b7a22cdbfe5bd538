package lists

import (
	"errors"
	"os"
	"testing"
)

func TestThreatExchange(t *testing.T) {
	runFileCases(t, []fileCase{
		{"te_updates.json", ThreatExchange, nil, []string{
			"1 upsert /1000000000000001 pdq:" + hexP + " [te:example_tag te:example_tag_two] photo last=2023-11-14T22:13:20Z",
			"1 opinion /1000000000000001 confirmed org=te-2000000000000001 time=2023-11-14T22:13:20Z reason=\"ThreatExchange descriptor 1000000000000002 status MALICIOUS\"",
			// The owner's status wins over its reaction to another's
			// descriptor.
			"1 opinion /1000000000000001 false-positive org=te-2000000000000003 reason=\"ThreatExchange descriptor 1000000000000004 status NON_MALICIOUS\"",
			"1 opinion /1000000000000001 confirmed org=te-2000000000000004 reason=\"ThreatExchange descriptor 1000000000000002 reaction HELPFUL\"",
			"1 opinion /1000000000000001 disputed org=te-2000000000000007 reason=\"ThreatExchange descriptor 1000000000000004 reaction DISAGREE_WITH_TAGS\"",
			"2 delete /1000000000000003",
			"3 delete /1000000000000005",
			"4 upsert /1000000000000006 md5:" + hexM + " [te:example_tag te:media_type_video] video last=2023-11-14T22:18:20Z",
			"5 upsert /1000000000000008 md5:" + hexM + " last=2023-11-14T22:20:00Z",
			"6 upsert /1000000000000009 sha1:f00df00df00df00df00df00df00df00df00df00d last=2023-11-14T22:21:40Z",
			`6 skip "malformed descriptor"`,
			`6 skip "malformed tag"`,
			`7 skip "malformed HASH_TMK value"`,
			`8 skip "unsupported type URI"`,
			`9 skip "unknown type"`,
			`10 skip "malformed HASH_PDQ value"`,
			`11 skip "malformed record"`,
			"12 upsert /1000000000000015 sha256:" + hexC + " video last=2023-11-14T22:30:00Z",
			"13 delete /1000000000000016",
			"14 upsert /1000000000000017 pdq:" + hexB + " photo last=2023-11-14T22:31:40Z",
		}},
		{"te_descriptors.json", ThreatExchange, nil, []string{
			"1 upsert /1000000000000002 pdq:" + hexP + " [te:example_tag] photo tlp=AMBER first=2023-11-14T22:13:20Z last=2023-11-14T22:15:00Z note=\"example description\"",
			"1 opinion /1000000000000002 confirmed org=te-2000000000000001 time=2023-11-14T22:13:20Z reason=\"ThreatExchange descriptor 1000000000000002 status MALICIOUS\"",
			// last_updated before added_on: the first seen time is dropped.
			"2 upsert /1000000000000020 md5:" + hexM + " [te:example_tag] video tlp=CLEAR last=2023-11-14T22:10:00Z",
			"2 opinion /1000000000000020 false-positive org=te-2000000000000008 time=2023-11-14T22:13:20Z reason=\"ThreatExchange descriptor 1000000000000020 status NON_MALICIOUS\"",
			`3 skip "malformed record"`,
			"4 upsert /1000000000000022 pdq:" + hexC + " photo",
			"5 upsert /1000000000000023 pdq:" + hexB + " photo tlp=GREEN",
			"5 opinion /1000000000000023 confirmed org=te-2000000000000001 reason=\"ThreatExchange descriptor 1000000000000023 status MALICIOUS\"",
		}},
	})
}

func TestThreatExchangeError(t *testing.T) {
	f, err := os.Open("testdata/te_error.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = readAll(t, f, Auto, nil)
	if !errors.Is(err, ErrFormat) || err.Error() != "lists: input is not in the expected format: ThreatExchange answered an error: Invalid OAuth access token." {
		t.Errorf("error %v", err)
	}
}
