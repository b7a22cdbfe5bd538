package hashdb

import "encoding/json"

// tmkMatchJSON is the JSON form of a TMKMatch.
type tmkMatchJSON struct {
	Signal string          `json:"signal"`
	Level1 float32         `json:"level1"`
	Level2 float32         `json:"level2"`
	Items  []matchItemJSON `json:"items"`
}

// MarshalJSON writes m as the CLI prints a TMK+PDQF match:
//
//	{"signal":"tmk_pdqf","level1":0.989083,"level2":0.991138,
//	 "items":[{"source":"gifct","id":"123","labels":[],"tlp":"GREEN"}]}
func (m TMKMatch) MarshalJSON() ([]byte, error) {
	labels := m.Item.Labels
	if labels == nil {
		labels = []string{}
	}
	return json.Marshal(tmkMatchJSON{
		Signal: "tmk_pdqf", Level1: m.Score.Level1, Level2: m.Score.Level2,
		Items: []matchItemJSON{{Source: m.Item.Source, ID: m.Item.ID, Labels: labels, TLP: m.Item.TLP.String()}},
	})
}

// tmkResultJSON is the JSON form of a MatchResult answering a TMK hash.
type tmkResultJSON struct {
	Query         string     `json:"query"`
	Matches       []Match    `json:"matches"`
	TMKMatches    []TMKMatch `json:"tmk_matches"`
	TMKSuppressed []TMKMatch `json:"tmk_suppressed,omitempty"`
}

// marshalTMK is MatchResult.MarshalJSON for a TMK hash's result:
//
//	{"query":"tmk_pdqf","matches":[],"tmk_matches":[…],"tmk_suppressed":[…]}
func (r MatchResult) marshalTMK() ([]byte, error) {
	j := tmkResultJSON{Query: "tmk_pdqf", Matches: []Match{}, TMKMatches: r.TMK.Matches, TMKSuppressed: r.TMK.Suppressed}
	if j.TMKMatches == nil {
		j.TMKMatches = []TMKMatch{}
	}
	return json.Marshal(j)
}
