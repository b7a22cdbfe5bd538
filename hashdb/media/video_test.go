package media

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/vpdq"
	"github.com/hashshare/hashshare/internal/testenv"
	"github.com/hashshare/hashshare/internal/video"
)

func TestSniffVideo(t *testing.T) {
	ts := make([]byte, 3*188+1)
	ts[0], ts[188], ts[376] = 0x47, 0x47, 0x47
	m2ts := make([]byte, 3*192)
	m2ts[4], m2ts[196], m2ts[388] = 0x47, 0x47, 0x47
	for _, tc := range []struct {
		name string
		head []byte
		want string
	}{
		{"mp4", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42"), "mp4"},
		{"mov", []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  "), "mov"},
		{"old mov", []byte("\x00\x00\x00\x08wide\x00\x00\x00\x00mdat"), "mov"},
		{"avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), ""},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), ""},
		{"mif1 compatible", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42mif1"), ""},
		{"avif sequence", []byte("\x00\x00\x00\x18ftypavis\x00\x00\x00\x00avismsf1"), ""},
		{"matroska", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x88matroska"), "matroska"},
		{"webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"), "webm"},
		{"avi", []byte("RIFF\x00\x10\x00\x00AVI LIST"), "avi"},
		{"webp is not avi", []byte("RIFF\x00\x10\x00\x00WEBPVP8 "), ""},
		{"flv", []byte("FLV\x01\x05\x00\x00\x00\x09"), "flv"},
		{"mpeg-ps", []byte("\x00\x00\x01\xba\x44\x00"), "mpeg"},
		{"asf", append(append([]byte{}, asfGUID...), 0, 0), "asf"},
		{"mpeg-ts", ts, "mpegts"},
		{"m2ts", m2ts, "mpegts"},
		{"one ts sync byte", []byte("\x47 is G"), ""},
		{"text", []byte("ftyp is a word in this text"), ""},
		{"empty", nil, ""},
	} {
		if got := sniffVideo(tc.head); got != tc.want {
			t.Errorf("%s: sniffVideo = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzSniffVideo(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42"))
	f.Add([]byte("\xff\xff\xff\xffftypavif"))
	f.Add([]byte("\x1a\x45\xdf\xa3"))
	f.Fuzz(func(t *testing.T, head []byte) {
		switch sniffVideo(head) {
		case "", "mp4", "mov", "matroska", "webm", "avi", "flv", "mpeg", "asf", "mpegts":
		default:
			t.Fatal("unknown container name")
		}
	})
}

// fakeSource delivers n frames of w×h, every k-th decoded frame, each
// filled with its number, and records the buffers it is handed.
type fakeSource struct {
	w, h, n, k, next int
	err              error
	mu               sync.Mutex
	bufs             map[*byte]bool
}

func (f *fakeSource) Size() (int, int) { return f.w, f.h }
func (f *fakeSource) Close() error     { return nil }
func (f *fakeSource) Next(buf []byte) (int, error) {
	f.mu.Lock()
	f.bufs[&buf[0]] = true
	f.mu.Unlock()
	if f.next == f.n {
		if f.err != nil {
			return 0, f.err
		}
		return 0, io.EOF
	}
	for i := range buf[:3*f.w*f.h] {
		buf[i] = byte(f.next*7 + i*(f.next+1))
	}
	f.next++
	return (f.next - 1) * f.k, nil
}

// TestHashFrames checks the concurrent hashing against hashing each frame
// alone: the features in frame order, with the reference's float32
// timestamps, through a fixed number of buffers whatever the length.
func TestHashFrames(t *testing.T) {
	src := &fakeSource{w: 40, h: 30, n: 500, k: 29, bufs: map[*byte]bool{}}
	fps := float32(30000.0 / 1001)
	got, err := hashFrames(context.Background(), src, fps, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 500 {
		t.Fatalf("%d features", len(got))
	}
	one := &fakeSource{w: 40, h: 30, n: 500, k: 29, bufs: map[*byte]bool{}}
	want, _ := hashFrames(context.Background(), one, fps, 1)
	for i, f := range got {
		if f != want[i] || f.Frame != uint32(i*29) || f.Seconds != float64(float32(i*29)/fps) {
			t.Fatalf("feature %d: %+v, alone %+v", i, f, want[i])
		}
	}
	if n := len(src.bufs); n > 2*3+1 {
		t.Errorf("%d frame buffers for 500 frames, want at most %d", n, 2*3+1)
	}
	// 29/29.97 is 0.9676…: the float32 division gives the reference's.
	if got[1].Seconds != float64(float32(29)/fps) || fmt.Sprintf("%.3f", got[1].Seconds) != "0.968" {
		t.Errorf("timestamp of frame 29: %v", got[1].Seconds)
	}

	bad := &fakeSource{w: 40, h: 30, n: 10, k: 1, err: video.ErrDecode, bufs: map[*byte]bool{}}
	if _, err := hashFrames(context.Background(), bad, 30, 2); !errors.Is(err, video.ErrDecode) {
		t.Errorf("a failing source: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := hashFrames(ctx, &fakeSource{w: 8, h: 8, n: 10, k: 1, bufs: map[*byte]bool{}}, 30, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
}

type refFrame struct {
	frame, quality int
	hash           [32]byte
}

func readRef(t *testing.T, path string) (string, map[int]refFrame, []int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]refFrame{}
	var order []int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) < 4 {
			t.Fatalf("%s: line %q", path, sc.Text())
		}
		var r refFrame
		r.frame, _ = strconv.Atoi(f[0])
		r.quality, _ = strconv.Atoi(f[1])
		if b, err := hex.DecodeString(f[2]); err != nil || len(b) != 32 {
			t.Fatalf("%s: hash %q: %v", path, f[2], err)
		} else {
			copy(r.hash[:], b)
		}
		m[r.frame] = r
		order = append(order, r.frame)
	}
	return string(b), m, order
}

// hashShared hashes a shared video once per set of options, for the
// conformance tests that compare the same output with several files.
func hashShared(t *testing.T, name string, o VideoOptions) *vpdq.Hash {
	t.Helper()
	key := fmt.Sprintf("%s %+v", name, o)
	if v, ok := sharedHashes.Load(key); ok {
		return v.(*vpdq.Hash)
	}
	h, err := HashFile(context.Background(), filepath.Join(testenv.Dir(t, "vpdq"), "videos", name+".mp4"), &Options{Video: o})
	if err != nil {
		t.Fatalf("%s %+v: %v", name, o, err)
	}
	sharedHashes.Store(key, h.Video)
	return h.Video
}

var sharedHashes sync.Map

var sharedVideos = []string{"doorknob-hd-no-bar", "pattern-sd-grey-bar", "pattern-hd-no-bar", "chair-20-sd-bar", "test-padded-dimensions"}

// TestConformanceReference hashes the five shared videos through HashFile
// and compares the output, as the reference's file format, with Meta's
// C++ vpdq-hash-video built on the same Debian FFmpeg 5.1: every frame,
// one a second, and every frame at 128×128 must be byte-identical (frame
// numbers, qualities, hashes and timestamps).
func TestConformanceReference(t *testing.T) {
	testenv.FFmpeg(t)
	dir := testenv.Dir(t, "vpdq")
	for _, name := range sharedVideos {
		for _, m := range []struct {
			suffix string
			opts   VideoOptions
		}{{"", VideoOptions{EveryFrame: true}}, {"-1s", VideoOptions{}}, {"-128x128", VideoOptions{EveryFrame: true, Downsample: 128}}} {
			ref := filepath.Join(dir, "reference-debian", name+m.suffix+".txt")
			if _, err := os.Stat(ref); err != nil {
				t.Errorf("%s: %v", ref, err)
				continue
			}
			v := hashShared(t, name, m.opts)
			want, wantFrames, _ := readRef(t, ref)
			got := string(v.AppendCPP(nil))
			same := 0
			for _, f := range v.Features {
				if r, ok := wantFrames[int(f.Frame)]; ok && r.hash == f.PDQ && r.quality == int(f.Quality) {
					same++
				}
			}
			if got != want {
				t.Errorf("%s%s: output differs from the reference: %d of %d frames identical (got %d)", name, m.suffix, same, len(wantFrames), len(v.Features))
			}
			t.Logf("%-24s %-9s %4d/%4d frames identical, file byte-identical: %v", name, m.suffix, same, len(wantFrames), got == want)
		}
	}
}

// TestConformanceNoSIMD compares every-frame full-resolution hashes made
// with VideoOptions.NoSIMD with the reference's made with FFmpeg's SIMD
// off (reference-debian-nosimd/): they must be byte-identical.
func TestConformanceNoSIMD(t *testing.T) {
	testenv.FFmpeg(t)
	dir := testenv.Dir(t, "vpdq")
	for _, name := range sharedVideos {
		v := hashShared(t, name, VideoOptions{EveryFrame: true, NoSIMD: true})
		want, wantFrames, _ := readRef(t, filepath.Join(dir, "reference-debian-nosimd", name+".txt"))
		same := 0
		for _, f := range v.Features {
			if r, ok := wantFrames[int(f.Frame)]; ok && r.hash == f.PDQ && r.quality == int(f.Quality) {
				same++
			}
		}
		got := string(v.AppendCPP(nil))
		if got != want {
			t.Errorf("%s: differs from reference-debian-nosimd: %d of %d frames identical", name, same, len(wantFrames))
		}
		t.Logf("%-24s nosimd %4d/%4d frames identical, file byte-identical: %v", name, same, len(wantFrames), got == want)
	}
}

// TestConformanceUpstream compares every-frame full-resolution hashes
// with upstream's sample files, made in 2022 by another decoder (the
// ffmpeg command line, on a machine whose swscale took its C path): the
// same frames and frame numbers, and distances within bounds wherever
// both qualities are ≥ 50. With NoSIMD, which takes the same C path, every
// such frame is within 8 bits. By default (x86-64 SIMD, as Meta's
// reference built on x86-64 converts), frames are within upstream's own
// test bound (< 31) and, at quality 100 on both sides, within Meta's
// stated aim of 8 bits; low-quality frames of doorknob-hd-no-bar drift
// further, exactly as the reference's own x86-64 output does.
func TestConformanceUpstream(t *testing.T) {
	testenv.FFmpeg(t)
	dir := testenv.Dir(t, "vpdq")
	for _, mode := range []struct {
		name   string
		noSIMD bool
	}{{"default", false}, {"nosimd", true}} {
		for _, name := range sharedVideos {
			v := hashShared(t, name, VideoOptions{EveryFrame: true, NoSIMD: mode.noSIMD})
			_, ref, order := readRef(t, filepath.Join(dir, "hashes", name+".txt"))
			if len(order) != len(v.Features) {
				t.Errorf("%s %s: %d frames, upstream %d", mode.name, name, len(v.Features), len(order))
				continue
			}
			var both50, max50, both100, max100, over8, identical int
			for i, f := range v.Features {
				r := ref[order[i]]
				if int(f.Frame) != order[i] {
					t.Fatalf("%s %s: feature %d is frame %d, upstream %d", mode.name, name, i, f.Frame, order[i])
				}
				d := 0
				for k := range f.PDQ {
					d += bits.OnesCount8(f.PDQ[k] ^ r.hash[k])
				}
				if d == 0 {
					identical++
				}
				if f.Quality >= 50 && r.quality >= 50 {
					both50++
					max50 = max(max50, d)
					if d > 8 {
						over8++
					}
					if d >= 31 || mode.noSIMD && d > 8 {
						t.Errorf("%s %s frame %d: distance %d", mode.name, name, f.Frame, d)
					}
				}
				if f.Quality == 100 && r.quality == 100 {
					both100++
					max100 = max(max100, d)
					if d > 8 {
						t.Errorf("%s %s frame %d: distance %d at quality 100, Meta's aim is ≤ 8", mode.name, name, f.Frame, d)
					}
				}
			}
			t.Logf("%-7s %-24s %4d frames, same numbers; identical %4d; both q≥50: %4d, max %2d, %2d over 8 bits; both q=100: %4d, max %2d",
				mode.name, name, len(order), identical, both50, max50, over8, both100, max100)
		}
	}
}

// TestVideoOneAPI checks a video through HashReader against HashFile: the
// same digests and vPDQ, the spool file removed, and the refusals that
// still return the digests.
func TestVideoOneAPI(t *testing.T) {
	testenv.FFmpeg(t)
	path := filepath.Join(testenv.Dir(t, "vpdq"), "videos", "test-padded-dimensions.mp4")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	opts := &Options{Video: VideoOptions{TempDir: tmp}}
	fromFile, err := HashFile(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	fromReader, err := HashReader(context.Background(), bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	if string(fromFile.Video.AppendCPP(nil)) != string(fromReader.Video.AppendCPP(nil)) || len(fromFile.Video.Features) != 5 {
		t.Errorf("HashReader's vPDQ differs from HashFile's")
	}
	s, _ := fromReader.Signal(signal.SHA256)
	if sum := sha256.Sum256(data); !bytes.Equal(s.Bytes(), sum[:]) || fromReader.Size != int64(len(data)) {
		t.Errorf("digests or size wrong")
	}
	v := fromReader.Video.Video
	if fromReader.ContentType != "video" || fromReader.Format != "mp4" || v.Width != 1080 || v.Height != 1080 || v.FPS != 30 ||
		v.FPSRational != "30/1" || v.Frames != 150 || v.Duration != 5 || v.SecondsPerHash != 1 || !strings.HasPrefix(v.Decoder, "ffmpeg ") {
		t.Errorf("video %+v, content %q format %q", v, fromReader.ContentType, fromReader.Format)
	}
	if fromReader.Skipped[signal.PDQ] != isVideo || fromReader.VideoSkipped != "" {
		t.Errorf("skipped %q, video skipped %q", fromReader.Skipped, fromReader.VideoSkipped)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spool files left behind: %v", left)
	}

	for _, tc := range []struct {
		name   string
		data   []byte
		opts   Options
		kind   error
		reason string
	}{
		{"no ffmpeg", data, Options{Video: VideoOptions{FFmpeg: "/nonexistent/ffmpeg"}}, ErrNoVideoDecoder, videoNoDecoder},
		{"over MaxBytes", data, Options{Video: VideoOptions{MaxBytes: 1000}}, ErrVideoTooLarge, videoOverLimit},
		{"over MaxDuration", data, Options{Video: VideoOptions{MaxDuration: 1e9}}, ErrVideoTooLarge, videoOverLimit},
		{"corrupt", []byte("\x00\x00\x00\x18ftypmp42 and then nothing a video needs"), Options{}, ErrVideoDecode, videoUndecodable},
		{"truncated", data[:len(data)/3], Options{}, ErrVideoDecode, videoUndecodable},
		{"timeout", data, Options{Video: VideoOptions{Timeout: 1}}, ErrVideoTimeout, videoTimedOut},
		{"PDQ not wanted", data, Options{Algorithms: []signal.Algorithm{signal.MD5}}, nil, videoNotRequested},
	} {
		tc.opts.Video.TempDir = tmp
		h, err := HashReader(context.Background(), bytes.NewReader(tc.data), &tc.opts)
		if !errors.Is(err, tc.kind) || (err == nil) != (tc.kind == nil) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.kind)
		}
		if h == nil {
			t.Errorf("%s: no hashes", tc.name)
			continue
		}
		m, _ := h.Signal(signal.MD5)
		if sum := md5.Sum(tc.data); !bytes.Equal(m.Bytes(), sum[:]) || h.Video != nil || h.VideoSkipped != tc.reason || h.ContentType != "video" {
			t.Errorf("%s: md5 %v, video %v, skipped %q", tc.name, m, h.Video, h.VideoSkipped)
		}
		t.Logf("%s: %v", tc.name, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spool files left behind: %v", left)
	}
}
