package hashdb

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
)

// itemsOf yields items, then err if not nil.
func itemsOf(items []Item, err error) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			yield(Item{}, err)
		}
	}
}

func TestPutAll(t *testing.T) {
	ctx := context.Background()
	many := make([]Item, 3*putAllChunk+17)
	for i := range many {
		many[i] = testItem(fmt.Sprintf("item-%06d", (i*7919)%len(many)), i)
	}
	bad := testItem("bad", 1)
	bad.Signals = nil
	errRead := errors.New("the list ends early")
	tests := []struct {
		name    string
		origin  string
		items   iter.Seq2[Item, error]
		want    int
		wantErr error
	}{
		{"many", "", itemsOf(many, nil), len(many), nil},
		{"repeated key replaces", "", itemsOf([]Item{testItem("a", 1), testItem("b", 2), testItem("a", 3)}, nil), 3, nil},
		{"invalid item last", "", itemsOf(append(many[:putAllChunk+5:putAllChunk+5], bad), nil), 0, ErrInvalidItem},
		{"sequence fails", "", itemsOf(many, errRead), 0, errRead},
		{"foreign without origin", "", itemsOf([]Item{orgItem("partner", "x", 1, 2)}, nil), 0, ErrForeignSource},
		{"foreign with origin", "test", itemsOf([]Item{orgItem("partner", "x", 1, 2)}, nil), 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, nil)
			before := snapshot(t, db)
			n, err := db.PutAll(ctx, tc.origin, tc.items)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if n != tc.want {
				t.Errorf("stored %d, want %d", n, tc.want)
			}
			if err != nil {
				if after := snapshot(t, db); after != before {
					t.Error("a failed PutAll changed the database")
				}
				return
			}
			st, _ := db.Stats()
			if tc.name == "many" && st.Items != len(many) {
				t.Errorf("%d items stored, want %d", st.Items, len(many))
			}
			if tc.name == "repeated key replaces" {
				if it, _ := db.Get(Key{Source: "local", ID: "a"}); it.Signals[0] != testItem("a", 3).Signals[0] {
					t.Errorf("the repeated key holds %v", it.Signals)
				}
			}
			if problems, err := db.Check(ctx); err != nil || len(problems) != 0 {
				t.Errorf("check: %v %v", problems, err)
			}
		})
	}
}
