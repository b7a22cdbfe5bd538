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
// matched, and "suppressed" is left out when nothing was. The result of a
// video hash reads
//
//	{"query":"vpdq","matches":[],"video_matches":[…]}
//
// each video match in [VideoMatch.MarshalJSON]'s form, with
// "video_suppressed" and "frame_images" (frames the image index knows:
// {"seconds":…,"frame":…,"result":{…}}) when there are any.
func (r MatchResult) MarshalJSON() ([]byte, error) {
	if r.Video != nil {
		return r.marshalVideo()
	}
	if r.TMK != nil {
		return r.marshalTMK()
	}
	j := resultJSON{Query: r.Query.String(), Matches: r.Matches, Suppressed: r.Suppressed}
	if j.Matches == nil {
		j.Matches = []Match{}
	}
	return json.Marshal(j)
}

// videoResultJSON is the JSON form of a MatchResult answering a video
// hash.
type videoResultJSON struct {
	Query           string           `json:"query"`
	Matches         []Match          `json:"matches"`
	VideoMatches    []VideoMatch     `json:"video_matches"`
	VideoSuppressed []VideoMatch     `json:"video_suppressed,omitempty"`
	FrameImages     []frameImageJSON `json:"frame_images,omitempty"`
}

type frameImageJSON struct {
	Seconds float64     `json:"seconds"`
	Frame   uint32      `json:"frame"`
	Result  MatchResult `json:"result"`
}

// videoMatchJSON is the JSON form of a VideoMatch.
type videoMatchJSON struct {
	Signal          string          `json:"signal"`
	QueryPercent    float64         `json:"query_match_percent"`
	ComparedPercent float64         `json:"compared_match_percent"`
	QueryFrames     int             `json:"query_frames"`
	ComparedFrames  int             `json:"compared_frames"`
	Items           []matchItemJSON `json:"items"`
	Segments        []segmentJSON   `json:"segments"`
	Pairs           []pairJSON      `json:"pairs"`
}

type segmentJSON struct {
	QueryStart    float64 `json:"query_start"`
	QueryEnd      float64 `json:"query_end"`
	ComparedStart float64 `json:"compared_start"`
	ComparedEnd   float64 `json:"compared_end"`
	Pairs         int     `json:"pairs"`
}

type pairJSON struct {
	QuerySeconds    float64 `json:"query_seconds"`
	ComparedSeconds float64 `json:"compared_seconds"`
	QueryFrame      uint32  `json:"query_frame"`
	ComparedFrame   uint32  `json:"compared_frame"`
	Distance        int     `json:"distance"`
}

// MarshalJSON writes m as the CLI and the match server print a video
// match:
//
//	{"signal":"vpdq","query_match_percent":100,"compared_match_percent":92.76,
//	 "query_frames":564,"compared_frames":614,
//	 "items":[{"source":"gifct","id":"123","labels":[],"tlp":"GREEN"}],
//	 "segments":[{"query_start":0,"query_end":18.8,"compared_start":0,"compared_end":18.8,"pairs":100}],
//	 "pairs":[{"query_seconds":0,"compared_seconds":0,"query_frame":0,"compared_frame":0,"distance":4},…]}
//
// the percentages as pytx's VPDQSimilarityInfo names them.
func (m VideoMatch) MarshalJSON() ([]byte, error) {
	labels := m.Item.Labels
	if labels == nil {
		labels = []string{}
	}
	j := videoMatchJSON{
		Signal: "vpdq", QueryPercent: m.QueryPercent, ComparedPercent: m.ComparedPercent,
		QueryFrames: m.Result.QueryFrames, ComparedFrames: m.Result.ComparedFrames,
		Items:    []matchItemJSON{{Source: m.Item.Source, ID: m.Item.ID, Labels: labels, TLP: m.Item.TLP.String()}},
		Segments: make([]segmentJSON, 0, len(m.Segments)),
		Pairs:    make([]pairJSON, 0, len(m.Pairs)),
	}
	for _, s := range m.Segments {
		j.Segments = append(j.Segments, segmentJSON{s.QueryStart, s.QueryEnd, s.ComparedStart, s.ComparedEnd, s.Pairs})
	}
	for _, p := range m.Pairs {
		j.Pairs = append(j.Pairs, pairJSON{p.Query.Seconds, p.Compared.Seconds, p.Query.Frame, p.Compared.Frame, p.Distance})
	}
	return json.Marshal(j)
}

// marshalVideo is MatchResult.MarshalJSON for a video hash's result:
//
//	{"query":"vpdq","matches":[],"video_matches":[…],"video_suppressed":[…],"frame_images":[…]}
func (r MatchResult) marshalVideo() ([]byte, error) {
	j := videoResultJSON{Query: "vpdq", Matches: []Match{}, VideoMatches: r.Video.Matches, VideoSuppressed: r.Video.Suppressed}
	if j.VideoMatches == nil {
		j.VideoMatches = []VideoMatch{}
	}
	for _, fi := range r.Video.Images {
		j.FrameImages = append(j.FrameImages, frameImageJSON{Seconds: fi.Frame.Seconds, Frame: fi.Frame.Frame, Result: fi.Result})
	}
	return json.Marshal(j)
}
