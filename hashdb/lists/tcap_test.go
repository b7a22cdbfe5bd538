package lists

import "testing"

func TestTCAP(t *testing.T) {
	runFileCases(t, []fileCase{
		{"tcap.json", TCAP, nil, []string{
			"1 upsert /900001 pdq:" + hexP + " [filetype:jpg ideology:far-right] photo first=2023-11-14T22:13:20Z last=2023-11-14T22:13:20.25Z",
			"2 delete /900002",
			"3 upsert /900003 md5:" + hexM + " [filetype:mov ideology:islamist] video last=2023-11-14T22:16:40Z",
			"4 upsert /900004 sha256:" + hexC + " [filetype:pdf ideology:islamist] other",
			"5 upsert /900005 pdq:" + hexC,
			`6 skip "unsupported type SHA512"`,
			`7 skip "unknown type"`,
			`8 skip "malformed PDQ value"`,
			`9 skip "malformed record"`,
			`10 skip "malformed record"`,
			// updated_on before created_on: the first seen time is dropped.
			"11 upsert /900010 pdq:" + hexB + " [filetype:png ideology:far_right] photo last=2020-09-13T12:26:40Z",
		}},
	})
}

func TestContentOfFileType(t *testing.T) {
	for ext, want := range map[string]string{"": "", "mp4": "video", "webm": "video", "avi": "video", "gif": "photo", "webp": "photo", "pdf": "other", "zip": "other"} {
		if got := contentOfFileType(ext).String(); got != want {
			t.Errorf("%q: %q, want %q", ext, got, want)
		}
	}
}
