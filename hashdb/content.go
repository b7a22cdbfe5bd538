package hashdb

import (
	"fmt"
	"strings"
)

// A ContentType is the kind of media an item is. Digests are
// media-agnostic; the type says what they were taken of, so that an MD5 of
// a video goes to python-threatexchange as its video_md5, and comes back
// as the same item.
type ContentType uint8

// The content types. The zero value means the source did not say.
const (
	ContentUnknown ContentType = iota // the source did not say
	ContentPhoto                      // a still image
	ContentVideo                      // a video
	ContentOther                      // any other media: a PDF, an audio file, an archive
)

var contentNames = [...]string{"", "photo", "video", "other"}

// String returns "photo", "video" or "other", and "" for ContentUnknown.
func (c ContentType) String() string {
	if int(c) < len(contentNames) {
		return contentNames[c]
	}
	return fmt.Sprintf("ContentType(%d)", uint8(c))
}

// Valid reports whether c is one of the content types, ContentUnknown
// included.
func (c ContentType) Valid() bool { return c <= ContentOther }

// ParseContentType reads a content type's name, in any case; "" is
// ContentUnknown. python-threatexchange's "photo" and "video" are ours;
// other media names ("pdf", "file") are ContentOther.
func ParseContentType(s string) (ContentType, error) {
	switch strings.ToLower(s) {
	case "":
		return ContentUnknown, nil
	case "photo", "image":
		return ContentPhoto, nil
	case "video":
		return ContentVideo, nil
	case "other", "pdf", "file":
		return ContentOther, nil
	}
	return ContentUnknown, fmt.Errorf("%w: content type %q (want photo, video or other)", ErrInvalidItem, s)
}
