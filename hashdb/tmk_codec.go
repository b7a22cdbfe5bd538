package hashdb

import (
	"bytes"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/hashdb/vpdq"
)

// maxVideoWithTMKBytes bounds an item's packed vPDQ when it also has a
// TMK+PDQF hash (about 263 KB), so that the item still fits in a bundle
// frame (1 MiB by default).
const maxVideoWithTMKBytes = maxVideoBytes - 300_000

// normalizeTMK returns the copy of h an item stores, or why it cannot:
// parameters other than the reference's, or, beside video, a vPDQ too
// long for both to fit in a bundle frame.
func normalizeTMK(h *tmk.Hash, video *vpdq.Hash) (*tmk.Hash, error) {
	if h == nil {
		return nil, nil
	}
	if h.Periods != tmk.Periods || h.Coefficients != tmk.Coefficients || h.Frames < 0 {
		return nil, fmt.Errorf("tmk hash: periods %v, coefficients or frame count %d are not the reference's", h.Periods, h.Frames)
	}
	if video != nil {
		if n := proto.Size(videoToProto(video)); n > maxVideoWithTMKBytes {
			return nil, fmt.Errorf("video hash: %d frames pack into %d bytes, more than %d beside a TMK hash", len(video.Features), n, maxVideoWithTMKBytes)
		}
	}
	c := *h
	return &c, nil
}

// sameTMK reports whether a and b are the same TMK hash, bit for bit.
func sameTMK(a, b *tmk.Hash) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, _ := a.MarshalBinary()
	y, _ := b.MarshalBinary()
	return bytes.Equal(x, y)
}
