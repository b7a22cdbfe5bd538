// Package hashjson is the JSON form of hashdb.Hashes that the example
// programs print and serve: "hashdb hash --json" writes it a line per
// file, the match server returns it from POST /v1/hash. Keeping it in one
// place keeps the two the same.
//
// Each signal is bare hex under its algorithm's name; one that does not
// apply (no PDQ for a file that is not an image) is absent:
//
//	{"pdq":"…","pdq_quality":100,"phash":"…","md5":"…","sha1":"…","sha256":"…",
//	 "format":"png","width":640,"height":480,"size":52731}
package hashjson

import (
	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// Hashes is the JSON form of a [hashdb.Hashes].
type Hashes struct {
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality *int   `json:"pdq_quality,omitempty"`
	PHash      string `json:"phash,omitempty"`
	DHash      string `json:"dhash,omitempty"`
	AHash      string `json:"ahash,omitempty"`
	MD5        string `json:"md5,omitempty"`
	SHA1       string `json:"sha1,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	// PDQDihedral are the PDQ hashes of the eight rotations and
	// reflections, when they were asked for.
	PDQDihedral []string `json:"pdq_dihedral,omitempty"`
	// Unreliable names the algorithms whose signal carries too little
	// information to match on (PDQ quality under 50, a flat image).
	Unreliable []string `json:"unreliable,omitempty"`
	// Format is the image format, if the bytes were an image.
	Format string `json:"format,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	// Size is the number of bytes hashed.
	Size int64 `json:"size"`
}

// New returns the JSON form of h.
func New(h *hashdb.Hashes) Hashes {
	j := Hashes{Format: h.Format, Width: h.Width, Height: h.Height, Size: h.Size}
	for _, s := range h.Signals {
		x := s.Hex()
		switch s.Algorithm() {
		case signal.PDQ:
			j.PDQ = x
			q := h.Quality
			j.PDQQuality = &q
		case signal.PHash:
			j.PHash = x
		case signal.DHash:
			j.DHash = x
		case signal.AHash:
			j.AHash = x
		case signal.MD5:
			j.MD5 = x
		case signal.SHA1:
			j.SHA1 = x
		case signal.SHA256:
			j.SHA256 = x
		}
	}
	for _, s := range h.Dihedral {
		j.PDQDihedral = append(j.PDQDihedral, s.Hex())
	}
	for _, s := range h.Unreliable {
		j.Unreliable = append(j.Unreliable, s.Algorithm().String())
	}
	return j
}
