package hashdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// A video stored from its C++ per-frame hash file matches a shorter copy
// given in pytx's string form.
func ExampleDB_MatchVideo() {
	dir, _ := os.MkdirTemp("", "hashshare-example")
	defer os.RemoveAll(dir)
	db, err := hashdb.Open(filepath.Join(dir, "v.db"), &hashdb.Options{Organization: "local"})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx := context.Background()

	frame := func(b byte) string { return strings.Repeat(fmt.Sprintf("%02x", b), 32) }
	var file strings.Builder
	for i := range 10 {
		fmt.Fprintf(&file, "%d,100,%s,%d.000\n", 30*i, frame(byte(17*i)), i)
	}
	stored, _ := vpdq.ParseCPP([]byte(file.String()))
	_ = db.Put(ctx, hashdb.Item{Key: hashdb.Key{ID: "clip-1"}, Video: stored, TLP: tlp.Green})

	// Seconds 2 to 5 of the video, hashed by pytx.
	query, _ := vpdq.Parse(fmt.Sprintf(`vpdq:["%s,100,0.0", "%s,100,1.0", "%s,100,2.0", "%s,100,3.0"]`,
		frame(34), frame(51), frame(68), frame(85)))
	res, err := db.MatchVideo(ctx, query, nil)
	if err != nil {
		panic(err)
	}
	for _, m := range res.Matches {
		fmt.Printf("%s: query %.0f%%, compared %.0f%%\n", m.Item.Key, m.QueryPercent, m.ComparedPercent)
		for _, s := range m.Segments {
			fmt.Printf("query %.0f–%.0f s is the video's %.0f–%.0f s\n", s.QueryStart, s.QueryEnd, s.ComparedStart, s.ComparedEnd)
		}
	}
	// Output:
	// local/clip-1: query 100%, compared 40%
	// query 0–3 s is the video's 2–5 s
}
