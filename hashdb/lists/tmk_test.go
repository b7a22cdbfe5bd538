package lists

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/tmk"
)

func testTMK() *tmk.Hash {
	h := &tmk.Hash{Frames: 2, Periods: tmk.Periods, Coefficients: tmk.Coefficients}
	h.Average[0], h.Cos[0][0][0] = 1, 0.25
	return h
}

// TE's HASH_TMK indicators and NCMEC's inline tmk_pdqf fingerprints
// become items holding the TMK hash, as videos.
func TestTMKEntries(t *testing.T) {
	h := testTMK()
	file, _ := h.MarshalBinary()
	te := `{"data": [{"id": "1000000000000011", "indicator": "` + h.String() + `", "type": "HASH_TMK", "last_updated": 1700000600, "descriptors": {"data": []}}]}`
	ncmec := func(value string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><videos count="1">` +
			`<video><member id="9990">Example ESP</member><timestamp>2023-11-14T22:20:00Z</timestamp><id>v1</id><fingerprints>` +
			`<tmk_pdqf>` + value + `</tmk_pdqf></fingerprints></video></videos></queryResult>`
	}
	for _, tc := range []struct {
		name, in string
		f        Format
		ok       bool
	}{
		{"te", te, ThreatExchange, true},
		{"te bad", strings.Replace(te, tmk.StringPrefix, "TMK1FVECPDQ_|", 1), ThreatExchange, false},
		{"ncmec te form", ncmec(h.String()), NCMEC, true},
		{"ncmec base64 file", ncmec(base64.StdEncoding.EncodeToString(file)), NCMEC, true},
		{"ncmec bad", ncmec("AAAA"), NCMEC, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := readAll(t, strings.NewReader(tc.in), tc.f, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got *tmk.Hash
			skipped := false
			for _, r := range recs {
				switch r.Kind {
				case Upsert:
					got = r.Item.TMK
					if r.Item.ContentType != hashdb.ContentVideo || len(r.Item.Signals) != 0 {
						t.Errorf("item: content %v, %d signals", r.Item.ContentType, len(r.Item.Signals))
					}
				case Skip:
					skipped = strings.Contains(r.Reason, "malformed") && strings.Contains(r.Reason, "tmk") || strings.Contains(r.Reason, "TMK")
				}
			}
			if tc.ok != (got != nil) || !tc.ok && !skipped {
				t.Fatalf("records %+v", recs)
			}
			if got != nil && got.String() != h.String() {
				t.Fatal("the hash read differs")
			}
		})
	}
}

// Ingest stores a HASH_TMK indicator as a video item that MatchTMK finds.
func TestIngestTMK(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "acme")
	h := testTMK()
	te := `{"data": [{"id": "1000000000000011", "indicator": "` + h.String() + `", "type": "HASH_TMK", "last_updated": 1700000600, "descriptors": {"data": []}}]}`
	r, err := NewReader(strings.NewReader(te), ThreatExchange, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Ingest(ctx, db, r, &IngestOptions{Source: "te"}); err != nil {
		t.Fatal(err)
	}
	it, err := db.Get(hashdb.Key{Source: "te", ID: "1000000000000011"})
	if err != nil || it.TMK == nil || it.TMK.String() != h.String() || it.ContentType != hashdb.ContentVideo {
		t.Fatalf("stored %+v, %v", it.Key, err)
	}
	res, err := db.MatchTMK(ctx, h, &hashdb.TMKMatchOptions{Thresholds: tmk.Thresholds{Level1: 0.99, Level2: -1}})
	if err != nil || len(res.Matches) != 1 {
		t.Fatalf("MatchTMK: %+v %v", res, err)
	}
}
