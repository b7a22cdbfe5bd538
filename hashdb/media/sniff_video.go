package media

import (
	"bytes"
	"encoding/binary"
)

// videoSniffLen is how many leading bytes sniffVideo needs: three MPEG-TS
// packets of 188 bytes, or two of M2TS's 192, and the sync byte after.
const videoSniffLen = 3*188 + 1

// imageBrands are the ISO-BMFF brands of still images (HEIF, AVIF and
// their sequences), which begin with an ftyp box like a video's.
var imageBrands = []string{"mif1", "msf1", "heic", "heix", "avif", "avis"}

// asfGUID begins every ASF (WMV, WMA) file.
var asfGUID = []byte{0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c}

// sniffVideo returns the video container head begins with: "mp4" or "mov"
// (ISO-BMFF and QuickTime), "matroska" or "webm", "avi", "flv", "mpegts",
// "mpeg" (program stream) or "asf", and "" for anything else, HEIF and
// AVIF images included. The bytes decide what is tried; ffprobe still
// decides what the file is.
func sniffVideo(head []byte) string {
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return isoBMFF(head)
	case len(head) >= 8 && (string(head[4:8]) == "moov" || string(head[4:8]) == "mdat" || string(head[4:8]) == "wide"):
		return "mov" // QuickTime files older than the ftyp box
	case bytes.HasPrefix(head, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		if bytes.Contains(head[:min(len(head), 64)], []byte("webm")) {
			return "webm"
		}
		return "matroska"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "AVI ":
		return "avi"
	case len(head) >= 9 && string(head[:3]) == "FLV" && head[3] == 1:
		return "flv"
	case bytes.HasPrefix(head, []byte{0, 0, 1, 0xba}):
		return "mpeg"
	case bytes.HasPrefix(head, asfGUID):
		return "asf"
	case syncEvery(head, 0, 188), syncEvery(head, 4, 192):
		return "mpegts"
	}
	return ""
}

// isoBMFF names an ISO-BMFF file by its ftyp box, or "" for an image
// brand, major or compatible.
func isoBMFF(head []byte) string {
	size := int(binary.BigEndian.Uint32(head))
	if size < 16 || size > len(head) {
		size = len(head)
	}
	brands := head[8:size]
	for i := 0; i+4 <= len(brands); i += 4 {
		if i == 4 {
			continue // the minor version, not a brand
		}
		for _, b := range imageBrands {
			if string(brands[i:i+4]) == b {
				return ""
			}
		}
	}
	if string(head[8:12]) == "qt  " {
		return "mov"
	}
	return "mp4"
}

// syncEvery reports whether head has the MPEG-TS sync byte 0x47 at off and
// at the start of the next two packets of n bytes.
func syncEvery(head []byte, off, n int) bool {
	if len(head) <= off+2*n {
		return false
	}
	return head[off] == 0x47 && head[off+n] == 0x47 && head[off+2*n] == 0x47
}
