package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashshare/hashshare/hashdb/tmk"
)

// tmkType is tmk_pdqf, the TMK+PDQF video hash GIFCT members share, which
// python-threatexchange has no type for: the name is in pytx's style, the
// value ThreatExchange's HASH_TMK string, "TMK1FVECPDQF|" and the base64 of
// the rest of the reference's .tmk file (351,125 characters). It is
// matched as the reference's two-level search does (hashdb.DB.MatchTMK,
// level 1 and level 2 at the reference's 0.7), and its "distance" is the
// pair of scores as "hashdb match --tmk" prints them, level 1 then level
// 2: "0.985554/0.988220".
//
// It adds a second output to the video's decode, so media hashed
// without types= computes it only on a server started with -tmk.
var tmkType = signalType{name: "tmk_pdqf", content: "video", kind: videoTMK,
	parse: func(s string) (signalValue, error) {
		h, err := parseTMK(s)
		return signalValue{tmk: h}, err
	},
	format: func(v signalValue) string { return v.tmk.String() },
}

// errTMKParameters refuses a TMK+PDQF value made with other periods or
// Fourier coefficients than the reference's: hashdb neither stores nor
// matches one, and the reference does not score it against theirs.
var errTMKParameters = errors.New("a TMK+PDQF hash with other periods or Fourier coefficients than the reference's")

// parseTMK reads a tmk_pdqf value, as /v1 and the HMA routes take one.
func parseTMK(s string) (*tmk.Hash, error) {
	h, err := tmk.ParseString(s)
	if err != nil {
		if strings.Contains(strings.TrimSpace(s), " ") {
			// The base64 holds '+', which a URL's query reads as a space.
			err = fmt.Errorf("%w (a space: was a '+' of the base64 sent unescaped in a URL?)", err)
		}
		return nil, err
	}
	if h.Periods != tmk.Periods || h.Coefficients != tmk.Coefficients {
		return nil, fmt.Errorf("%w: %w", tmk.ErrInvalid, errTMKParameters)
	}
	return h, nil
}

// tmkDistance writes a TMK match's scores as HMA's distance strings go:
// level 1, then level 2, as "hashdb match --tmk" prints them.
func tmkDistance(s tmk.Score) string {
	return fmt.Sprintf("%.6f/%.6f", s.Level1, s.Level2)
}

// tmkSimilarityJSON is /m/compare's similarity of a tmk_pdqf pair: the
// reference's two scores (level 2 is 0 when level 1 did not pass, since
// the reference does not compute it then).
type tmkSimilarityJSON struct {
	Level1 pyFloat `json:"level1"`
	Level2 pyFloat `json:"level2"`
}

// compareTMK is /m/compare's answer for two tmk_pdqf values: whether the
// pair passes both levels at the reference's thresholds, and the scores.
func compareTMK(a, b *tmk.Hash) ([2]any, error) {
	s, ok, err := tmk.Compare(a, b, tmk.Thresholds{})
	if err != nil {
		return [2]any{}, err
	}
	return [2]any{ok, tmkSimilarityJSON{Level1: shortFloat(s.Level1), Level2: shortFloat(s.Level2)}}, nil
}

// shortFloat widens a float32 score to the float64 its shortest decimal
// form reads as, so that 0.985554 is written so rather than as
// 0.98555397987365723.
func shortFloat(f float32) pyFloat {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return pyFloat(v)
}
