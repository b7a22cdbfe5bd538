package tlp

import (
	"errors"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		in   string
		want Level
		ok   bool
	}{
		{"CLEAR", Clear, true},
		{"white", Clear, true},
		{" tlp:green ", Green, true},
		{"TLP: AMBER", Amber, true},
		{"amber+strict", AmberStrict, true},
		{"RED", Red, true},
		{"", 0, false},
		{"amber strict", 0, false},
		{"TLP:", 0, false},
	}
	for _, tc := range tests {
		var got Level
		err := got.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("error %v does not wrap ErrInvalid", err)
		}
		if text, _ := got.MarshalText(); tc.ok && string(text) != got.String() {
			t.Errorf("MarshalText(%v) = %q", got, text)
		}
	}
	if Level(0).Valid() || Level(6).Valid() {
		t.Error("invalid levels claim validity")
	}
	if _, err := Level(0).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("MarshalText of the zero Level = %v, want ErrInvalid", err)
	}
	if s := Level(9).String(); s != "TLP(9)" {
		t.Errorf("String of an invalid level = %q", s)
	}
}

// FuzzParse checks that whatever Parse accepts prints as a name it
// accepts again.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"CLEAR", "white", "TLP:AMBER+STRICT", "red ", "", "tlp:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if back, err := Parse(v.String()); err != nil || back != v || !v.Valid() {
			t.Fatalf("%q parsed to %v, which reparses to %v, %v", s, v, back, err)
		}
	})
}
