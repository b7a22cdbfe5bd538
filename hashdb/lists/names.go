package lists

import (
	"fmt"
	"slices"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// A sigType is what a format's name for a signal type means here: our
// algorithm, and the content type the name implies (zero if none).
type sigType struct {
	alg     signal.Algorithm
	content hashdb.ContentType
}

// pytxTypes are the pytx signal types with an algorithm of ours. pytx's
// digests are of videos only, so they bring the content type that sends
// them back out as the same names.
var pytxTypes = map[string]sigType{
	"pdq":          {signal.PDQ, hashdb.ContentPhoto},
	"video_md5":    {signal.MD5, hashdb.ContentVideo},
	"video_sha256": {signal.SHA256, hashdb.ContentVideo},
}

// pytxUnsupported are the other pytx signal types, core and extension:
// known, so skipped as "unsupported type <name>", where an unknown name
// is an "unknown type".
var pytxUnsupported = []string{
	"raw_text", "url", "url_md5", "trend_query", "vpdq", "text_tlsh", "pdq_ocr", "photodna",
}

func knownPyTXType(name string) bool {
	_, ok := pytxTypes[name]
	return ok || slices.Contains(pytxUnsupported, name)
}

// teTypes are the ThreatExchange indicator types with an algorithm of
// ours. HASH_MD5 and HASH_SHA256 say nothing of the media: the tag
// media_type_video makes them videos (see teContent).
var teTypes = map[string]sigType{
	"HASH_PDQ":          {signal.PDQ, hashdb.ContentPhoto},
	"HASH_VIDEO_MD5":    {signal.MD5, hashdb.ContentVideo},
	"HASH_VIDEO_SHA256": {signal.SHA256, hashdb.ContentVideo},
	"HASH_MD5":          {signal.MD5, hashdb.ContentUnknown},
	"HASH_SHA256":       {signal.SHA256, hashdb.ContentUnknown},
	"HASH_SHA1":         {signal.SHA1, hashdb.ContentUnknown},
	// A TMK+PDQF in TE's string form, stored as the item's TMK hash.
	"HASH_TMK": {0, hashdb.ContentVideo},
}

var teUnsupported = []string{
	"HASH_PHOTODNA", "HASH_IMPHASH", "HASH_SSDEEP", "HASH_URL_MD5",
	"HASH_TEXT_TLSH", "HASH_PDQ_OCR", "URI", "RAW_URI", "TEXT_STRING", "TREND_QUERY",
}

// tcapAlgorithms are TCAP's algorithm names with an algorithm of ours;
// the content type comes from the entry's file_type.
var tcapAlgorithms = map[string]signal.Algorithm{
	"PDQ": signal.PDQ, "MD5": signal.MD5, "SHA256": signal.SHA256, "SHA1": signal.SHA1,
}

var tcapUnsupported = []string{"SHA512"}

// ncmecFingerprints are NCMEC's fingerprint element names with an
// algorithm of ours; the content type is the entry's (image or video).
var ncmecFingerprints = map[string]signal.Algorithm{
	"md5": signal.MD5, "sha1": signal.SHA1, "pdq": signal.PDQ,
}

var ncmecUnsupported = []string{
	"pdna", "netclean", "videntifier", "tmk_pdqf", "ssvh_pdna", "ssvh_safer_hash",
}

// stopNCIITypes are StopNCII's signal types with an algorithm of ours.
var stopNCIITypes = map[string]sigType{
	"ImagePDQ": {signal.PDQ, hashdb.ContentPhoto},
	"VideoMD5": {signal.MD5, hashdb.ContentVideo},
}

var stopNCIIUnsupported = []string{"VideoTMK", "Text", "URL", "Unknown"}

// typeSkip returns the Skip record for a type name that has no algorithm
// here: "unsupported type <name>" for a name of the format's vocabulary,
// "unknown type" (the name in Err) for any other, so that the reasons a
// caller counts stay few whatever the input.
func typeSkip(line int, name string, known []string) Record {
	if slices.Contains(known, name) {
		return skipRecord(line, "unsupported type "+name, fmt.Errorf("signal type %s has no hashshare algorithm", name))
	}
	return skipRecord(line, "unknown type", fmt.Errorf("unknown signal type %q", clipText(name)))
}

// contentOfFileType is the content type of a file extension, as TCAP's
// file_type gives it: "" is unknown, and any extension not known as a
// photo's or a video's is other media.
func contentOfFileType(ext string) hashdb.ContentType {
	switch ext {
	case "":
		return hashdb.ContentUnknown
	case "mp4", "mov", "m4v", "webm", "avi", "mkv", "flv", "wmv", "mpg", "mpeg", "3gp", "ts", "ogv":
		return hashdb.ContentVideo
	case "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif":
		return hashdb.ContentPhoto
	}
	return hashdb.ContentOther
}
