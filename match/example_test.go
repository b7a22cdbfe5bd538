package match_test

import (
	"context"
	"fmt"

	"github.com/hashshare/hashshare/match"
)

func Example() {
	idx, err := match.NewMIH(64, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Bulk-load at start-up, then keep in step one code at a time.
	ids := []uint64{1, 2, 3}
	codes := []uint64{0xF0F0F0F0F0F0F0F0, 0xF0F0F0F0F0F0F0F1, 0x0F0F0F0F0F0F0F0F}
	if err := idx.Build(context.Background(), ids, codes); err != nil {
		fmt.Println(err)
		return
	}
	idx.Add(4, []uint64{0xF0F0F0F0F0F0F0F3})
	idx.Remove(2)

	found, _ := idx.Search([]uint64{0xF0F0F0F0F0F0F0F0}, 10)
	for _, r := range found {
		fmt.Printf("id %d at distance %d\n", r.ID, r.Distance)
	}
	// Output:
	// id 1 at distance 0
	// id 4 at distance 2
}

func ExampleMIH_Nearest() {
	idx, _ := match.NewMIH(256, nil)
	for id := range uint64(5) {
		// code id has its id's bits set in the first word
		idx.Add(id, []uint64{id, 0, 0, 0})
	}
	near, _ := idx.Nearest([]uint64{0, 0, 0, 0}, 3)
	fmt.Println(near)
	// Output:
	// [{0 0} {1 1} {2 1}]
}

func ExampleMIH_Update() {
	idx, _ := match.NewMIH(64, nil)
	idx.Build(context.Background(), []uint64{1, 2, 3}, []uint64{0b0001, 0b0011, 0b0111})
	// Remove 2, give 3 a new code and add 4, as one change.
	err := idx.Update(context.Background(), []uint64{2}, []uint64{3, 4}, []uint64{0b1111, 0b0000})
	if err != nil {
		fmt.Println(err)
		return
	}
	found, _ := idx.Search([]uint64{0}, 2)
	fmt.Println(found)
	// Output:
	// [{4 0} {1 1}]
}

func ExampleSearchBatch() {
	idx, _ := match.NewLinear(64)
	idx.Add(7, []uint64{0b1011})
	queries := [][]uint64{{0b1011}, {0b0011}, {0xFFFF}}
	results, err := match.SearchBatch(context.Background(), idx, queries, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, r := range results {
		fmt.Println(i, r)
	}
	// Output:
	// 0 [{7 0}]
	// 1 [{7 1}]
	// 2 []
}
