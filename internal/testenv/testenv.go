// Package testenv locates the shared conformance data that tests read and
// decides what a test does when it is missing.
//
// The data lives outside the repository (it is Meta's and others', shipped
// beside the checkout) and is named by the HASHSHARE_TESTDATA environment
// variable. A developer without it gets a skip that says so; under CI
// (CI=true) a missing folder is a failure, so conformance can never be
// skipped silently where it matters.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvVar names the environment variable that points at the shared testdata
// folder (the one holding pdq/).
const EnvVar = "HASHSHARE_TESTDATA"

// Dir returns the path of sub inside the shared testdata folder. When the
// folder or sub is missing it skips t, or fails it when running under CI.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv(EnvVar)
	if root == "" {
		missing(t, EnvVar+" is not set; point it at the shared testdata folder (../shared/testdata)")
		return ""
	}
	dir := filepath.Join(root, sub)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		missing(t, EnvVar+"="+root+" has no "+sub+" folder")
		return ""
	}
	return dir
}

// UnderCI reports whether the tests run under CI, where missing testdata is
// an error rather than a reason to skip.
func UnderCI() bool { return os.Getenv("CI") == "true" }

func missing(t testing.TB, why string) {
	t.Helper()
	if UnderCI() {
		t.Fatal("testdata missing under CI: " + why)
	}
	t.Skip("skipping: " + why)
}

// FFmpeg returns the paths of the ffmpeg and ffprobe programs that video
// tests run. When either is missing it skips t, or fails it under CI,
// whose setup installs them.
func FFmpeg(t testing.TB) (ffmpeg, ffprobe string) {
	t.Helper()
	var err error
	if ffmpeg, err = exec.LookPath("ffmpeg"); err == nil {
		ffprobe, err = exec.LookPath("ffprobe")
	}
	if err != nil {
		why := "ffmpeg is not installed (Debian: apt-get install ffmpeg): " + err.Error()
		if UnderCI() {
			t.Fatal("ffmpeg missing under CI: " + why)
		}
		t.Skip("skipping: " + why)
	}
	return ffmpeg, ffprobe
}
