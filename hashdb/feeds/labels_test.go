package feeds

import (
	"slices"
	"testing"
)

// TestFetchLabels checks that FetchOptions.Labels lands on every item
// each API's fetch stores, beside the labels the format gives.
func TestFetchLabels(t *testing.T) {
	forEachFake(t, 3, func(t *testing.T, fake fakeAPI) {
		db := openDB(t)
		fetch(t, db, fake.feed(), &FetchOptions{Labels: []string{"bank:example_bank"}})
		for i := range 3 {
			it, err := db.Get(fake.key(i))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(it.Labels, "bank:example_bank") {
				t.Errorf("%s: labels %v, without the fetch's", it.Key, it.Labels)
			}
		}
	})
}
