package lists

import (
	"strings"
	"testing"
)

const (
	hexP = "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d"
	hexC = "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
	hexB = "beefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeef"
	hexM = "f00df00df00df00df00df00df00df00d"
)

func TestPyTX(t *testing.T) {
	runFileCases(t, []fileCase{
		{"pytx_local.txt", PyTX, nil, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
			"2 upsert /md5:" + hexM + " md5:" + hexM + " video",
			"4 upsert /sha256:" + hexC + " sha256:" + hexC + " video",
			// Upper case is accepted and normalised; the same value
			// again has the same id, so it collapses onto one item.
			"5 upsert /md5:" + hexM + " md5:" + hexM + " video",
			"6 upsert /pdq:" + hexC + " pdq:" + hexC + " photo",
			`7 skip "unsupported type url"`,
			`8 skip "unsupported type raw_text"`,
			`9 skip "unknown type"`,
			`10 skip "malformed pdq value"`,
			`11 skip "malformed line"`,
			`12 skip "malformed line"`,
			"13 upsert /md5:" + hexM + " md5:" + hexM + " video",
		}},
		{"pytx_typed.txt", PyTX, &ReadOptions{SignalType: "pdq"}, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
			"3 upsert /pdq:" + hexC + " pdq:" + hexC + " photo",
			"4 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
			`5 skip "malformed pdq value"`,
		}},
		{"pytx_typed.txt", PyTX, &ReadOptions{SignalType: "url"}, []string{
			`1 skip "unsupported type url"`,
			`3 skip "unsupported type url"`,
			`4 skip "unsupported type url"`,
			`5 skip "unsupported type url"`,
		}},
		{"pytx_dataset.txt", PyTX, nil, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " [pytx:collab:example-collab pytx:example_tag pytx:second_tag] photo",
			"2 upsert /md5:" + hexM + " md5:" + hexM + " [pytx:collab:example_s_list pytx:investigation_seed] video",
			`3 opinion pdq:` + hexC + ` false-positive org= reason="pytx NEGATIVE_CLASS in \"example-collab\", tags example_tag"`,
			"4 upsert /pdq:" + hexB + " pdq:" + hexB + " [pytx:collab:example_list_second pytx:disputed pytx:example_tag pytx:u00dcnu00efcode] photo",
			"5 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
			`6 skip "malformed line"`,
			`7 skip "malformed line"`,
			`8 skip "unsupported type url"`,
			"9 upsert /pdq:" + hexB + " pdq:" + hexB + " [pytx:collab:example-collab pytx:ok_tag] photo",
			`9 skip "malformed tag"`,
		}},
		{"pytx_dataset_typed.txt", PyTX, &ReadOptions{SignalType: "pdq"}, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " [pytx:collab:example-collab pytx:example_tag] photo",
			"2 upsert /pdq:" + hexC + " pdq:" + hexC + " [pytx:investigation_seed] photo",
		}},
		{"pytx_hash.txt", PyTX, nil, []string{
			"1 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
			"2 upsert /pdq:" + hexC + " pdq:" + hexC + " photo",
			"3 upsert /pdq:" + hexB + " pdq:" + hexB + " photo",
			"4 upsert /md5:" + hexM + " md5:" + hexM + " video",
			"5 upsert /sha256:" + hexC + " sha256:" + hexC + " video",
			`6 skip "malformed pdq value"`,
		}},
		{"pytx.csv", PyTXCSV, nil, []string{
			"2 upsert /pdq:" + hexP + " pdq:" + hexP + " [pytx:collab:example-collab pytx:example_tag pytx:second_tag] photo",
			"3 upsert /md5:" + hexM + " md5:" + hexM + " [pytx:collab:example_list_second pytx:investigation_seed] video",
			`4 opinion pdq:` + hexC + ` false-positive org= reason="pytx NEGATIVE_CLASS in \"example-collab\""`,
			`5 skip "unsupported type url"`,
			`6 skip "malformed pdq value"`,
			`7 skip "malformed record"`,
			`9 skip "malformed record"`,
			`10 skip "malformed record"`,
			"11 upsert /sha256:" + hexC + " sha256:" + hexC + " [pytx:collab:example-collab pytx:disputed] video",
		}},
		{"pytx_reordered.csv", PyTXCSV, nil, []string{
			"2 upsert /pdq:" + hexP + " pdq:" + hexP + " photo",
		}},
	})
}

// TestPyTXErrors checks that a Skip's Err names the value and what was
// wrong with it.
func TestPyTXErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pdq f00d\n", `pdq value "f00d"`},
		{"pdq " + strings.Repeat("g", 64) + "\n", `not a hex digit`},
		{"example_type x\n", `"example_type"`},
		{"url https://example.invalid\n", "url has no hashshare algorithm"},
		{hexP + "\n", "ReadOptions.SignalType"},
		{"pdq " + hexP + " 'c' BOGUS\n", `"BOGUS"`},
		{"pdq " + hexP + " 'c' POSITIVE_CLASS ???\n", `tag "???"`},
	} {
		recs, err := readAll(t, strings.NewReader(c.in), PyTX, nil)
		if err != nil || len(recs) == 0 {
			t.Fatalf("%q: %v, %d records", c.in, err, len(recs))
		}
		last := recs[len(recs)-1]
		if got := errText(t, last); !strings.Contains(got, c.want) {
			t.Errorf("%q: Err %q does not contain %q", c.in, got, c.want)
		}
	}
}

func TestPyTXLongLine(t *testing.T) {
	in := "pdq " + strings.Repeat("f", 300) + "\npdq " + hexP + "\n" + strings.Repeat("x", 5000)
	recs, err := readAll(t, strings.NewReader(in), PyTX, &ReadOptions{MaxLineLen: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, render(r))
	}
	want := []string{`1 skip "line too long"`, "2 upsert /pdq:" + hexP + " pdq:" + hexP + " photo", `3 skip "line too long"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPyRepr(t *testing.T) {
	for _, c := range []struct{ in, val, rest string }{
		{`'abc' X`, "abc", " X"},
		{`"it's" X`, "it's", " X"},
		{`'a\'b\\c\x41\u00e9\n' X`, "a'b\\cAé\n", " X"},
		{`'\q'`, `\q`, ""},
	} {
		val, rest, ok := parsePyRepr(c.in)
		if !ok || val != c.val || rest != c.rest {
			t.Errorf("parsePyRepr(%q) = %q, %q, %v; want %q, %q", c.in, val, rest, ok, c.val, c.rest)
		}
	}
	if _, _, ok := parsePyRepr(`'abc`); ok {
		t.Error("unterminated string parsed")
	}
}
