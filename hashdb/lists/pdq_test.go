package lists

import (
	"strings"
	"testing"
)

func TestPDQ(t *testing.T) {
	runFileCases(t, []fileCase{
		{"pdq_bare.txt", PDQ, nil, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
			"2 upsert /pdq:" + hexC + " pdq:" + hexC + " photo",
			"4 upsert /pdq:" + hexB + " pdq:" + hexB + " photo",
			`5 skip "malformed pdq value"`,
		}},
		{"pdq_quality.txt", PDQ, nil, []string{
			"1 upsert /images/example one.jpg pdq:" + hexP + " photo",
			"2 upsert /images/flat, dark.png pdq:" + hexC + " unreliable=[pdq:" + hexC + "] photo",
			"3 upsert /pdq:" + hexB + " pdq:" + hexB + " photo",
			`4 skip "malformed line"`,
			`5 skip "malformed pdq value"`,
		}},
		{"pdq_details.txt", PDQ, nil, []string{
			"1 upsert /images/example.jpg pdq:" + hexP + " photo",
			"2 upsert /images/a, b.jpg pdq:" + hexC + " unreliable=[pdq:" + hexC + "] photo",
			"3 upsert /images/dih.jpg pdq:" + hexB + " photo",
			`4 skip "malformed pdq value"`,
		}},
		{"pdq_filepath.csv", PDQ, nil, []string{
			"2 upsert /images/example.jpg pdq:" + hexP + " photo",
			"3 upsert /images/with, comma.png pdq:" + hexC + " photo",
			`4 skip "malformed pdq value"`,
		}},
		{"pdq_quality.csv", PDQ, nil, []string{
			"2 upsert /images/low.jpg pdq:" + hexP + " unreliable=[pdq:" + hexP + "] photo",
			`3 skip "malformed line"`,
		}},
	})
}

func TestPDQErrors(t *testing.T) {
	recs, err := readAll(t, strings.NewReader(hexP+",100,bad\x01name\n"+hexP+",101,x\n"), PDQ, nil)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v, %d records", err, len(recs))
	}
	if recs[0].Reason != "malformed filename" || recs[1].Reason != "malformed line" {
		t.Errorf("reasons %q, %q", recs[0].Reason, recs[1].Reason)
	}
	if got := errText(t, recs[1]); got != `line 2: quality "101" is not a number from 0 to 100` {
		t.Errorf("Err %q", got)
	}
}

// TestLineLimit checks the limit at its edge: a line of exactly
// MaxLineLen bytes is read, one more is skipped, whatever its line end.
func TestLineLimit(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		in := hexP + eol + hexP + "0" + eol + hexP
		recs, err := readAll(t, strings.NewReader(in), PDQ, &ReadOptions{MaxLineLen: 64})
		if err != nil || len(recs) != 3 || recs[0].Kind != Upsert || recs[1].Reason != "line too long" || recs[2].Kind != Upsert {
			t.Errorf("%q: %v, %d records", eol, err, len(recs))
		}
	}
}
