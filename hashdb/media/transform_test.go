package media

import (
	"errors"
	"testing"
)

func TestTransform(t *testing.T) {
	for _, tt := range []struct {
		t    Transform
		name string
	}{
		{Original, "original"}, {Rotate90, "rot90"}, {Rotate180, "rot180"}, {Rotate270, "rot270"},
		{FlipX, "flipx"}, {FlipY, "flipy"}, {FlipPlus1, "flipplus1"}, {FlipMinus1, "flipminus1"},
	} {
		if got := tt.t.String(); got != tt.name {
			t.Errorf("%d: String %q, want %q", tt.t, got, tt.name)
		}
		b, err := tt.t.MarshalText()
		if err != nil || string(b) != tt.name {
			t.Errorf("%d: MarshalText %q, %v", tt.t, b, err)
		}
		var back Transform = 99
		if err := back.UnmarshalText(b); err != nil || back != tt.t {
			t.Errorf("%q: UnmarshalText %d, %v", b, back, err)
		}
	}
	var tr Transform = Rotate90
	if err := tr.UnmarshalText(nil); err != nil || tr != Original {
		t.Errorf(`"": %d, %v, want Original`, tr, err)
	}
	if err := tr.UnmarshalText([]byte("rot45")); !errors.Is(err, ErrUnknownTransform) {
		t.Errorf("rot45: %v", err)
	}
	if _, err := Transform(8).MarshalText(); !errors.Is(err, ErrUnknownTransform) || Transform(8).String() != "Transform(8)" {
		t.Errorf("Transform(8): %v, %s", err, Transform(8))
	}
}

// FuzzTransformText: a name either fails or reads into a transform that
// writes it back, "" aside.
func FuzzTransformText(f *testing.F) {
	for _, s := range transformNames {
		f.Add(s)
	}
	f.Add("")
	f.Add("ROT90")
	f.Fuzz(func(t *testing.T, s string) {
		var tr Transform
		if err := tr.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if b, err := tr.MarshalText(); err != nil || (s != "" && string(b) != s) {
			t.Fatalf("%q read as %d, written as %q (%v)", s, tr, b, err)
		}
	})
}
