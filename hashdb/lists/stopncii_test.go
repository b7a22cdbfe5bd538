package lists

import "testing"

func TestStopNCII(t *testing.T) {
	runFileCases(t, []fileCase{
		{"stopncii.json", StopNCII, nil, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " [stopncii:exampletag stopncii:second_tag] photo last=2023-11-14T22:13:20Z",
			`1 opinion /pdq:` + hexP + ` confirmed org=stopncii-examplecsp reason="StopNCII feedback Blocked from ExampleCSP"`,
			`1 opinion /pdq:` + hexP + ` false-positive org=stopncii-other_csp reason="StopNCII feedback NotBlocked from Other CSP"`,
			`1 skip "malformed feedback"`,
			"2 delete /md5:" + hexM,
			"3 delete /pdq:" + hexC,
			"4 upsert /md5:" + hexM + " md5:" + hexM + " video last=2023-11-14T22:15:20Z",
			`5 skip "unsupported type VideoTMK"`,
			`6 skip "unsupported type Text"`,
			`7 skip "unsupported type URL"`,
			`8 skip "unsupported type Unknown"`,
			`9 skip "unknown type"`,
			`10 skip "malformed ImagePDQ value"`,
			`11 skip "malformed record"`,
			`12 skip "malformed ImagePDQ value"`,
		}},
	})
}
