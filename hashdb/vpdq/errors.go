package vpdq

import "errors"

// ErrInvalid reports a vPDQ hash that cannot be parsed or fails
// [Hash.Validate]: malformed text, a hash that is not 64 hex digits, a
// quality over 100, a negative or non-finite timestamp, too many
// features. The message names the feature and what was wrong.
var ErrInvalid = errors.New("invalid vpdq hash")

// MaxFeatures is the most features a hash may hold: about 12 days of video
// at one hash per second, or over nine hours of every frame at 30 fps.
const MaxFeatures = 1 << 20
