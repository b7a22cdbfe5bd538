package media

import "fmt"

// Transform names one of the eight rotations and reflections of an image
// (the dihedral group), in the order of [Hashes.Dihedral]. Its names are
// those of Meta's PDQ reference.
type Transform uint8

// The eight transforms. The zero Transform is the image as it is.
const (
	Original   Transform = iota // the image as it is
	Rotate90                    // rotated 90° counter-clockwise: "rot90"
	Rotate180                   // rotated 180°: "rot180"
	Rotate270                   // rotated 270° counter-clockwise: "rot270"
	FlipX                       // flipped top to bottom: "flipx"
	FlipY                       // flipped left to right: "flipy"
	FlipPlus1                   // transposed, about the main diagonal: "flipplus1"
	FlipMinus1                  // transposed about the anti-diagonal: "flipminus1"
)

var transformNames = [...]string{"original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"}

// String returns the reference's name of t: "rot90", "flipx", …, and
// "original" for the image as it is (printed nowhere: the CLI and the
// server leave an Original transform out).
func (t Transform) String() string {
	if int(t) < len(transformNames) {
		return transformNames[t]
	}
	return fmt.Sprintf("Transform(%d)", uint8(t))
}

// MarshalText encodes t as its name.
func (t Transform) MarshalText() ([]byte, error) {
	if int(t) >= len(transformNames) {
		return nil, fmt.Errorf("%w: %d", ErrUnknownTransform, uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText decodes a name String returns; "" is Original too, as a
// JSON form that leaves the original out reads back.
func (t *Transform) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*t = Original
		return nil
	}
	for i, n := range transformNames {
		if string(text) == n {
			*t = Transform(i)
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrUnknownTransform, truncate(string(text)))
}

// truncate shortens untrusted input quoted in an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
