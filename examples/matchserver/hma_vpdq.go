package main

import (
	"errors"

	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// vpdqType is pytx's vpdq: a video's frames, written as pytx's JSON list
// of "<pdq hex>,<quality>,<timestamp>" strings (vpdq.Hash.PyTX). It is
// matched by the share of frames that agree (hashdb.DB.MatchVideo, pytx's
// rule and thresholds), and HMA writes its "distance" as pytx's
// VPDQSimilarityInfo.pretty_str: "100%[93%]", query then compared.
var vpdqType = signalType{name: "vpdq", content: "video", kind: videoVPDQ,
	parse: func(s string) (signalValue, error) {
		h, err := vpdq.ParsePyTX(s)
		if err != nil {
			return signalValue{}, err
		}
		if len(h.Features) == 0 {
			return signalValue{}, errNoFrames
		}
		return signalValue{video: h}, nil
	},
	format: func(v signalValue) string { return v.video.PyTX() },
}

// errNoFrames refuses an empty vpdq value: it matches nothing, and as
// bank content it would be a video with no frames to match on.
var errNoFrames = errors.New("a vpdq signal of no frames")

// videoSimilarityJSON is pytx's VPDQSimilarityInfo, as Flask writes the
// dataclass.
type videoSimilarityJSON struct {
	QueryPercent    pyFloat `json:"query_match_percent"`
	ComparedPercent pyFloat `json:"compared_match_percent"`
}

// compareVideos is /m/compare's answer for two vpdq values, the first the
// query, as pytx's VPDQSignal.compare_hash: the match by pytx's rule and
// thresholds, and both percentages.
func compareVideos(a, b *vpdq.Hash) [2]any {
	r := vpdq.Compare(a, b, nil)
	return [2]any{r.Match, videoSimilarityJSON{QueryPercent: pyFloat(r.QueryPercent), ComparedPercent: pyFloat(r.ComparedPercent)}}
}
