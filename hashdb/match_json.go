package hashdb

import (
	"encoding/json"

	"github.com/hashshare/hashshare/hashdb/media"
)

// The JSON form of match results, the one form the CLI's "match --json"
// and the match server's POST /v1/match print. Its keys are a contract:
// they are added to, never renamed or dropped.

// matchJSON is the JSON form of a Match.
type matchJSON struct {
	Signal    string          `json:"signal"`
	Distance  int             `json:"distance"`
	Transform media.Transform `json:"transform,omitempty"` // left out for the original
	Items     []matchItemJSON `json:"items"`
}

// matchItemJSON is the JSON form of an item that matched: enough to find
// it and to know what it is and how far it may be shared.
type matchItemJSON struct {
	Source string   `json:"source"`
	ID     string   `json:"id"`
	Labels []string `json:"labels"`
	TLP    string   `json:"tlp"`
}

// resultJSON is the JSON form of a MatchResult.
type resultJSON struct {
	Query      string  `json:"query"`
	Matches    []Match `json:"matches"`
	Suppressed []Match `json:"suppressed,omitempty"`
}

// MarshalJSON writes m as the CLI and the match server print a match:
//
//	{"signal":"pdq:…","distance":4,"transform":"rot90",
//	 "items":[{"source":"gifct","id":"123","labels":["violence"],"tlp":"GREEN"}]}
//
// "transform" is left out for the image as it is; "items" and each item's
// "labels" are [] rather than null when empty.
func (m Match) MarshalJSON() ([]byte, error) {
	j := matchJSON{Signal: m.Signal.String(), Distance: m.Distance, Transform: m.Transform, Items: make([]matchItemJSON, 0, len(m.Items))}
	for _, it := range m.Items {
		labels := it.Labels
		if labels == nil {
			labels = []string{}
		}
		j.Items = append(j.Items, matchItemJSON{Source: it.Source, ID: it.ID, Labels: labels, TLP: it.TLP.String()})
	}
	return json.Marshal(j)
}

// MarshalJSON writes r as the match server's POST /v1/match lists its
// results:
//
//	{"query":"pdq:…","matches":[…],"suppressed":[…]}
//
// each match in [Match.MarshalJSON]'s form; "matches" is [] when nothing
// matched, and "suppressed" is left out when nothing was.
func (r MatchResult) MarshalJSON() ([]byte, error) {
	j := resultJSON{Query: r.Query.String(), Matches: r.Matches, Suppressed: r.Suppressed}
	if j.Matches == nil {
		j.Matches = []Match{}
	}
	return json.Marshal(j)
}
