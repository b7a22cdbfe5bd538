package lists

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestNCMEC(t *testing.T) {
	runFileCases(t, []fileCase{
		{"ncmec.xml", NCMEC, nil, []string{
			"1 upsert /9990-example-1 md5:" + hexM + " sha1:f00df00df00df00df00df00df00df00df00df00d pdq:" + hexP + " [ncmec:a1] photo last=2023-11-14T22:13:20Z",
			`1 opinion /9990-example-1 confirmed org=ncmec-9991 reason="NCMEC affirmative feedback on Md5"`,
			`1 opinion /9990-example-1 disputed org=ncmec-9992 reason="NCMEC affirmative feedback on Md5; NCMEC negative feedback on Pdq (Not CSAM)"`,
			`1 skip "unsupported type pdna"`,
			`1 skip "unsupported type netclean"`,
			`1 skip "large fingerprint"`,
			"2 delete /9990-example-2",
			`3 skip "malformed pdq value"`,
			`3 skip "unsupported type pdna"`,
			`4 skip "malformed record"`,
			"5 upsert /9993-example-5 sha1:c0dec0dec0dec0dec0dec0dec0dec0dec0dec0de photo",
			`5 skip "unknown type"`,
			"6 upsert /9990-example-v1 md5:" + hexM + " [ncmec:a1] video last=2023-11-14T22:20:00Z",
			`6 skip "large fingerprint"`,
			`6 skip "large fingerprint"`,
			"7 delete /9990-example-v2",
			"8 upsert /9990-example-6 pdq:" + hexC + " [ncmec:sexual_exploitation_other] photo",
		}},
	})
}

func TestNCMECNotAnAnswer(t *testing.T) {
	for _, in := range []string{
		"", "<queryResult><images>", "<html/>", "<queryResult><image><id>x</image></queryResult>",
		"<queryResult>" + strings.Repeat("<a>", 100),
	} {
		if _, err := readAll(t, strings.NewReader(in), NCMEC, nil); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: error %v, want ErrFormat", in, err)
		}
	}
	f, err := os.Open("testdata/ncmec_notxml.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := readAll(t, f, Auto, nil); !errors.Is(err, ErrFormat) {
		t.Errorf("an HTML answer: error %v, want ErrFormat", err)
	}
}
