package hashdb

import (
	"encoding/json"
	"testing"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// TestMatchJSON pins the bytes of the match form the CLI and the server
// print: its keys are a contract.
func TestMatchJSON(t *testing.T) {
	pdq, _ := signal.Parse("pdq:f8f8f0cee0f4a84f06370a22028f67f0b36e2ed596621e1d33e6b39c4e9c9b22")
	md5, _ := signal.Parse("md5:d41d8cd98f00b204e9800998ecf8427e")
	it := Item{Key: Key{Source: "acme", ID: "17"}, Labels: []string{"x", "y"}, TLP: tlp.Green}
	bare := Item{Key: Key{Source: "acme", ID: "18"}}
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"match", Match{Signal: pdq, Distance: 2, Transform: media.Rotate270, Items: []Item{it}},
			`{"signal":"pdq:f8f8f0cee0f4a84f06370a22028f67f0b36e2ed596621e1d33e6b39c4e9c9b22","distance":2,"transform":"rot270","items":[{"source":"acme","id":"17","labels":["x","y"],"tlp":"GREEN"}]}`},
		{"original, no labels", Match{Signal: md5, Items: []Item{bare}},
			`{"signal":"md5:d41d8cd98f00b204e9800998ecf8427e","distance":0,"items":[{"source":"acme","id":"18","labels":[],"tlp":"` + bare.TLP.String() + `"}]}`},
		{"no items", Match{Signal: md5},
			`{"signal":"md5:d41d8cd98f00b204e9800998ecf8427e","distance":0,"items":[]}`},
		{"no match", MatchResult{Query: md5},
			`{"query":"md5:d41d8cd98f00b204e9800998ecf8427e","matches":[]}`},
		{"suppressed", MatchResult{Query: md5, Suppressed: []Match{{Signal: md5}}},
			`{"query":"md5:d41d8cd98f00b204e9800998ecf8427e","matches":[],"suppressed":[{"signal":"md5:d41d8cd98f00b204e9800998ecf8427e","distance":0,"items":[]}]}`},
		{"slice", []MatchResult{{Query: md5, Matches: []Match{{Signal: md5, Items: []Item{it}}}}},
			`[{"query":"md5:d41d8cd98f00b204e9800998ecf8427e","matches":[{"signal":"md5:d41d8cd98f00b204e9800998ecf8427e","distance":0,"items":[{"source":"acme","id":"17","labels":["x","y"],"tlp":"GREEN"}]}]}]`},
	} {
		b, err := json.Marshal(tt.v)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(b) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, b, tt.want)
		}
	}
}
