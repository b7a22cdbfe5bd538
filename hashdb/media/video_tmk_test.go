package media

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/tmk"
	"github.com/hashshare/hashshare/internal/testenv"
)

// TestTMKConformance hashes the shared videos, by TMKFile and by HashFile
// (where the same decode gives vPDQ too), and scores each against the
// reference's hash of it on the same FFmpeg (testdata/tmk/reference-debian).
func TestTMKConformance(t *testing.T) {
	testenv.FFmpeg(t)
	videos := testenv.Dir(t, "vpdq/videos")
	ref := testenv.Dir(t, "tmk/reference-debian")
	names, _ := filepath.Glob(filepath.Join(ref, "*.tmk"))
	if len(names) == 0 {
		t.Fatal("no reference hashes")
	}
	for _, n := range names {
		name := strings.TrimSuffix(filepath.Base(n), ".tmk")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			wh, err := tmk.Parse(want)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(videos, name+".mp4")
			alone, err := TMKFile(context.Background(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			both, err := HashFile(context.Background(), path, &Options{Video: VideoOptions{TMK: true}})
			if err != nil || both.TMK == nil || both.Video == nil {
				t.Fatalf("HashFile: %v", err)
			}
			for _, h := range []struct {
				how string
				h   *tmk.Hash
			}{{"TMKFile", alone}, {"HashFile", both.TMK}} {
				got, _ := h.h.MarshalBinary()
				s := tmk.Score{Level1: tmk.Level1(h.h, wh), Level2: tmk.Level2(h.h, wh)}
				t.Logf("%s %s: %d frames (reference %d), level-1 %.6f level-2 %.6f, identical bytes %v", h.how, name, h.h.Frames, wh.Frames, s.Level1, s.Level2, bytes.Equal(got, want))
				if h.h.Frames != wh.Frames || s.Level1 < 0.999 || s.Level2 < 0.999 || !bytes.Equal(got, want) {
					t.Errorf("%s: frames %d (want %d), scores %+v, want ≥ 0.999 and identical bytes", h.how, h.h.Frames, wh.Frames, s)
				}
			}
		})
	}
}

// HashFile with VideoOptions.TMK computes vPDQ and TMK of a video, and
// the JSON form carries the TMK in ThreatExchange's string form.
func TestHashFileTMK(t *testing.T) {
	testenv.FFmpeg(t)
	path := filepath.Join(testenv.Dir(t, "vpdq/videos"), "doorknob-hd-no-bar.mp4")
	want, err := os.ReadFile(filepath.Join(testenv.Dir(t, "tmk/reference-debian"), "doorknob-hd-no-bar.tmk"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := HashFile(context.Background(), path, &Options{Video: VideoOptions{TMK: true}})
	if err != nil {
		t.Fatal(err)
	}
	if h.Video == nil || h.TMK == nil {
		t.Fatalf("vpdq %v, tmk %v", h.Video != nil, h.TMK != nil)
	}
	if got, _ := h.TMK.MarshalBinary(); !bytes.Equal(got, want) {
		t.Fatal("tmk differs from the reference's")
	}
	j := h.JSON()
	if !strings.HasPrefix(j.TMKPDQF, tmk.StringPrefix) || len(j.TMKPDQF) != tmk.StringLen {
		t.Fatalf("tmk_pdqf of %d characters", len(j.TMKPDQF))
	}
	b, err := h.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Hashes
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if back.TMK == nil || back.TMK.String() != j.TMKPDQF {
		t.Fatal("tmk_pdqf does not round-trip through JSON")
	}
	plain, err := HashFile(context.Background(), path, nil)
	if err != nil || plain.TMK != nil {
		t.Fatalf("tmk computed unasked: %v", err)
	}
	if plain.Video.String() != h.Video.String() {
		t.Fatal("the vPDQ decoded beside TMK differs from the vPDQ alone")
	}
}
