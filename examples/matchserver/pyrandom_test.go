package main

import "testing"

// The draws are Python 3.11's random.Random(seed).random().
func TestPyRandom(t *testing.T) {
	long := ""
	for range 200 {
		long += "x"
	}
	for _, tc := range []struct {
		seed string
		want float64
	}{
		{"", 0.9602256525641875},
		{"a", 0.2720295377534757},
		{"seed", 0.1382359792209653},
		{"content-42", 0.9466662998019202},
		{"ü✓", 0.4350016552157161},
		{long, 0.8500063097913054},
	} {
		if got := pyRandom(tc.seed); got != tc.want {
			t.Errorf("pyRandom(%q) = %v, Python's %v", tc.seed, got, tc.want)
		}
	}
}
