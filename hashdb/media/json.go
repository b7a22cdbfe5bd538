package media

import (
	"encoding/json"
	"fmt"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// JSON is the JSON form of [Hashes]: what the match server returns from
// POST /v1/hash and, after a "file" key, each line of "hashdb hash --json"
// (see [HashedFile.MarshalJSON]). Hashes' MarshalJSON writes it; embed it
// in a struct of your own to add keys beside it.
//
// Each signal is bare hex under its algorithm's name; one that does not
// apply (no PDQ for a file that is not an image) is absent:
//
//	{"pdq":"…","pdq_quality":100,"phash":"…","md5":"…","sha1":"…","sha256":"…",
//	 "format":"png","width":640,"height":480,"size":52731}
//
// A video's vPDQ is python-threatexchange's string form (without its
// "vpdq:" prefix) under "vpdq", with what was decoded under "video":
//
//	{"md5":"…","sha1":"…","sha256":"…","vpdq":"[\"f00d…,100,0.0\", …]",
//	 "video":{"frames":614,"fps":30,"width":480,"height":720,"duration":20.5},"size":1048576}
type JSON struct {
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality *int   `json:"pdq_quality,omitempty"`
	PHash      string `json:"phash,omitempty"`
	DHash      string `json:"dhash,omitempty"`
	AHash      string `json:"ahash,omitempty"`
	MD5        string `json:"md5,omitempty"`
	SHA1       string `json:"sha1,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	// PDQDihedral are the PDQ hashes of the eight rotations and
	// reflections, when they were asked for, in Transform order.
	PDQDihedral []string `json:"pdq_dihedral,omitempty"`
	// Unreliable names the algorithms whose signal carries too little
	// information to match on (PDQ quality under 50, a flat image).
	Unreliable []string `json:"unreliable,omitempty"`
	// Format is the image format, if the bytes were an image.
	Format string `json:"format,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	// VPDQ is a video's vPDQ in pytx's form, and Video what was decoded.
	VPDQ  string     `json:"vpdq,omitempty"`
	Video *VideoJSON `json:"video,omitempty"`
	// TMKPDQF is a video's TMK+PDQF in ThreatExchange's string form,
	// "TMK1FVECPDQF|" and base64, when it was asked for.
	TMKPDQF string `json:"tmk_pdqf,omitempty"`
	// Size is the number of bytes hashed.
	Size int64 `json:"size"`
}

// VideoJSON is what was decoded of a video, in [JSON].
type VideoJSON struct {
	Frames   int     `json:"frames"`
	FPS      float64 `json:"fps"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Duration float64 `json:"duration"`
}

// hexOf returns where the hex of algorithm a goes in j.
func (j *JSON) hexOf(a signal.Algorithm) *string {
	switch a {
	case signal.PDQ:
		return &j.PDQ
	case signal.PHash:
		return &j.PHash
	case signal.DHash:
		return &j.DHash
	case signal.AHash:
		return &j.AHash
	case signal.MD5:
		return &j.MD5
	case signal.SHA1:
		return &j.SHA1
	case signal.SHA256:
		return &j.SHA256
	}
	return nil
}

// JSON returns the JSON form of h.
func (h *Hashes) JSON() JSON {
	j := JSON{Format: h.Format, Width: h.Width, Height: h.Height, Size: h.Size}
	for _, s := range h.Signals {
		if p := j.hexOf(s.Algorithm()); p != nil {
			*p = s.Hex()
		}
		if s.Algorithm() == signal.PDQ {
			q := h.Quality
			j.PDQQuality = &q
		}
	}
	for _, s := range h.Dihedral {
		j.PDQDihedral = append(j.PDQDihedral, s.Hex())
	}
	for _, s := range h.Unreliable {
		j.Unreliable = append(j.Unreliable, s.Algorithm().String())
	}
	if v := h.Video; v != nil {
		j.VPDQ = v.PyTX()
		j.Video = &VideoJSON{Frames: v.Video.Frames, FPS: v.Video.FPS, Width: v.Video.Width, Height: v.Video.Height, Duration: v.Video.Duration}
	}
	if h.TMK != nil {
		j.TMKPDQF = h.TMK.String()
	}
	return j
}

// MarshalJSON writes h in its [JSON] form.
func (h *Hashes) MarshalJSON() ([]byte, error) { return json.Marshal(h.JSON()) }

// UnmarshalJSON reads the [JSON] form of hashes, such as a partner's
// "hashdb hash --json" output, into h. Skipped, which the form does not
// carry, is left nil. A value that is not the hex of its algorithm, an
// unknown algorithm under "unreliable" or one without a signal, and a
// quality without PDQ, are errors wrapping [signal.ErrInvalid].
func (h *Hashes) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // as encoding/json leaves a value at null
	}
	var j JSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("media: hashes: %w", err)
	}
	v := Hashes{Format: j.Format, Width: j.Width, Height: j.Height, Size: j.Size}
	for _, a := range signal.Algorithms() {
		x := *j.hexOf(a)
		if x == "" {
			continue
		}
		s, err := signal.ParseHex(a, x)
		if err != nil {
			return fmt.Errorf("media: hashes: %s: %w", a, err)
		}
		v.Signals = append(v.Signals, s)
	}
	if j.PDQQuality != nil {
		if j.PDQ == "" || *j.PDQQuality < 0 || *j.PDQQuality > 100 {
			return fmt.Errorf("media: hashes: %w: pdq_quality %d without a PDQ from 0 to 100", signal.ErrInvalid, *j.PDQQuality)
		}
		v.Quality = *j.PDQQuality
	}
	for i, x := range j.PDQDihedral {
		s, err := signal.ParseHex(signal.PDQ, x)
		if err != nil {
			return fmt.Errorf("media: hashes: pdq_dihedral[%d]: %w", i, err)
		}
		v.Dihedral = append(v.Dihedral, s)
	}
	for _, name := range j.Unreliable {
		a, err := signal.ParseAlgorithm(name)
		if err != nil {
			return fmt.Errorf("media: hashes: unreliable: %w", err)
		}
		s, ok := v.Signal(a)
		if !ok {
			return fmt.Errorf("media: hashes: %w: unreliable %s has no signal", signal.ErrInvalid, a)
		}
		v.Unreliable = append(v.Unreliable, s)
	}
	if j.VPDQ != "" || j.Video != nil {
		vh, err := vpdq.ParsePyTX(j.VPDQ)
		if err != nil {
			return fmt.Errorf("media: hashes: vpdq: %w", err)
		}
		if d := j.Video; d != nil {
			vh.Video = vpdq.Video{Frames: d.Frames, FPS: d.FPS, Width: d.Width, Height: d.Height, Duration: d.Duration}
		}
		v.Video = vh
	}
	if j.TMKPDQF != "" {
		t, err := tmk.ParseString(j.TMKPDQF)
		if err != nil {
			return fmt.Errorf("media: hashes: tmk_pdqf: %w", err)
		}
		v.TMK = t
	}
	*h = v
	return nil
}

// fileJSON is the JSON form of a HashedFile.
type fileJSON struct {
	File string `json:"file"`
	JSON
}

// MarshalJSON writes f as "hashdb hash --json" prints a file: its path
// under "file", then its hashes' [JSON] form; only the path for a file
// that could not be read.
func (f HashedFile) MarshalJSON() ([]byte, error) {
	if f.Hashes == nil {
		return json.Marshal(struct {
			File string `json:"file"`
		}{f.Path})
	}
	return json.Marshal(fileJSON{f.Path, f.Hashes.JSON()})
}

// UnmarshalJSON reads the form MarshalJSON writes, as [Hashes.UnmarshalJSON]
// reads hashes; a line with nothing but "file" leaves Hashes nil. (Without
// this method, the one Hashes promotes would drop the path.)
func (f *HashedFile) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("media: hashed file: %w", err)
	}
	var p struct {
		File string `json:"file"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("media: hashed file: %w", err)
	}
	v := HashedFile{Path: p.File}
	if _, ok := keys["file"]; len(keys) > 1 || !ok && len(keys) > 0 {
		v.Hashes = new(Hashes)
		if err := v.Hashes.UnmarshalJSON(b); err != nil {
			return err
		}
	}
	*f = v
	return nil
}
