package lists

import (
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func TestReadBatchMapsAsIngestDoes(t *testing.T) {
	pdq := func(c string) string { return strings.Repeat(c, 64) }
	page := `{"count": 4, "next": null, "checkpoint": "5,4", "results": [
	  {"hash_digest": "` + pdq("a") + `", "algorithm": "PDQ", "deleted": false, "updated_on": 1, "id": 1},
	  {"hash_digest": "` + pdq("a") + `", "algorithm": "PDQ", "deleted": true, "updated_on": 2, "id": 1},
	  {"hash_digest": "` + pdq("b") + `", "algorithm": "PDQ", "deleted": true, "updated_on": 3, "id": 2},
	  {"hash_digest": "` + pdq("b") + `", "algorithm": "PDQ", "deleted": false, "updated_on": 4, "id": 2},
	  {"hash_digest": "` + pdq("c") + `", "algorithm": "PDQ", "deleted": true, "updated_on": 5, "id": 3},
	  {"hash_digest": "x", "algorithm": "SHA512", "deleted": false, "updated_on": 5, "id": 4}]}`
	r, err := NewReader(strings.NewReader(page), TCAP, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, sum, err := ReadBatch(r, &IngestOptions{Labels: []string{"feed:x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Items) != 2 || len(b.Retract) != 1 || b.Retract[0] != (hashdb.Key{Source: "tcap", ID: "3"}) {
		t.Fatalf("batch: %d items, retract %v", len(b.Items), b.Retract)
	}
	one, two := b.Items[0], b.Items[1]
	if one.ID != "1" || !one.Retracted || one.RetractReason != "deleted from the tcap list" || one.Source != "tcap" || one.TLP != tlp.Amber {
		t.Errorf("item 1 (added, then deleted): %+v", one)
	}
	if two.ID != "2" || two.Retracted || !strings.Contains(strings.Join(two.Labels, ","), "feed:x") {
		t.Errorf("item 2 (deleted, then added): %+v", two)
	}
	if sum.Items != 2 || sum.Retracted != 2 || sum.Skipped["unsupported type SHA512"] != 1 {
		t.Errorf("summary %+v", sum)
	}
	// What the database did is counted as Ingest counts it.
	sum.Count(b, hashdb.Applied{Unknown: []hashdb.Key{b.Retract[0]}, Refused: []hashdb.Refusal{{Kind: "item", Index: 1, Err: hashdb.ErrInvalidLabel}}})
	if sum.Items != 1 || sum.Retracted != 1 || sum.Skipped["delete of unknown item"] != 1 || sum.Skipped["invalid label"] != 1 {
		t.Errorf("counted %+v", sum)
	}
}
