package testenv_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashshare/hashshare/internal/testenv"
)

func TestDirFindsFolder(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "pdq"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(testenv.EnvVar, root)
	if got, want := testenv.Dir(t, "pdq"), filepath.Join(root, "pdq"); got != want {
		t.Fatalf("Dir = %q, want %q", got, want)
	}
}

func TestUnderCI(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{{"true", true}, {"", false}, {"false", false}} {
		t.Setenv("CI", tc.val)
		if got := testenv.UnderCI(); got != tc.want {
			t.Errorf("CI=%q: UnderCI() = %v, want %v", tc.val, got, tc.want)
		}
	}
}

func TestFFmpeg(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	t.Setenv("CI", "")
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		testenv.FFmpeg(t)
	})
	if !skipped {
		t.Error("FFmpeg with no ffmpeg in PATH did not skip")
	}
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ff, fp := testenv.FFmpeg(t)
	if ff != filepath.Join(dir, "ffmpeg") || fp != filepath.Join(dir, "ffprobe") {
		t.Errorf("FFmpeg() = %q, %q", ff, fp)
	}
}
