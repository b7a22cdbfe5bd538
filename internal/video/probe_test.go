package video

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestParseProbe(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       Info
		err        error
	}{
		{"mp4", `{"programs":[],"streams":[{"index":0,"codec_name":"h264","codec_type":"video","width":1280,"height":720,"pix_fmt":"yuv420p",
			"r_frame_rate":"30/1","avg_frame_rate":"30/1","duration":"4.000000","nb_frames":"120","disposition":{"attached_pic":0}}],
			"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"4.331000"}}`,
			Info{Codec: "h264", Width: 1280, Height: 720, PixFmt: "yuv420p", FPS: 30, FPSRational: "30/1", Frames: 120,
				Duration: 4331 * time.Millisecond, Container: "mov,mp4,m4a,3gp,3g2,mj2"}, nil},
		{"ntsc, no avg rate, no count, stream duration only", `{"streams":[{"index":1,"codec_name":"vp9","width":64,"height":48,
			"r_frame_rate":"30000/1001","avg_frame_rate":"0/0","nb_frames":"N/A","duration":"2.5","disposition":{"attached_pic":1}}],
			"format":{"format_name":"matroska,webm","duration":"N/A"}}`,
			Info{Stream: 1, Codec: "vp9", Width: 64, Height: 48, FPS: 30000.0 / 1001, FPSRational: "30000/1001",
				Duration: 2500 * time.Millisecond, Container: "matroska,webm", AttachedPic: true}, nil},
		{"audio only", `{"streams":[{"index":0,"codec_type":"audio","codec_name":"aac"}],"format":{"format_name":"mp3"}}`,
			Info{Container: "mp3"}, ErrDecode},
		{"no streams", `{"streams":[],"format":{}}`, Info{}, ErrDecode},
		{"not JSON", `[mov @ 0x1] moov atom not found`, Info{}, ErrDecode},
		{"hostile numbers", `{"streams":[{"codec_name":"h264","width":-5,"height":99999999,"avg_frame_rate":"-30/1",
			"r_frame_rate":"1/0","nb_frames":"-1","duration":"1e300"}],"format":{"duration":"NaN"}}`,
			Info{Codec: "h264", Width: -5, Height: 99999999, FPSRational: "1/0"}, nil},
	} {
		got, err := parseProbe([]byte(tc.json))
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
		}
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestParseRational(t *testing.T) {
	for s, want := range map[string]float64{
		"30/1": 30, "30000/1001": 30000.0 / 1001, "25": 25, "0/0": 0, "1/0": 0, "-1/2": 0, "a/b": 0, "": 0, "9223372036854775807/1": math.MaxInt64,
	} {
		if got := parseRational(s); got != want {
			t.Errorf("parseRational(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		sec, fps float64
		want     int
	}{
		{1, 30, 30}, {1, 30000.0 / 1001, 29}, {0, 30, 1}, {0.01, 30, 1}, {2, 25, 50}, {0.5, 59.94, 29},
		{1, 0, 1}, {math.NaN(), 30, 1}, {math.Inf(1), 30, math.MaxInt32}, {1e300, 30, math.MaxInt32},
	} {
		if got := Step(tc.sec, tc.fps); got != tc.want {
			t.Errorf("Step(%v, %v) = %d, want %d", tc.sec, tc.fps, got, tc.want)
		}
	}
}

func TestLimitsCheck(t *testing.T) {
	ok := Info{Codec: "h264", Width: 640, Height: 480, FPS: 30, FPSRational: "30/1", Frames: 300,
		Duration: 10 * time.Second, Container: "mov,mp4,m4a,3gp,3g2,mj2"}
	lim := Limits{}.withDefaults()
	for _, tc := range []struct {
		name   string
		change func(*Info)
		lim    Limits
		want   error
	}{
		{"ok", func(*Info) {}, lim, nil},
		{"webm", func(i *Info) { i.Container = "matroska,webm" }, lim, nil},
		{"playlist", func(i *Info) { i.Container = "hls" }, lim, ErrUnsupported},
		{"concat", func(i *Info) { i.Container = "concat" }, lim, ErrUnsupported},
		{"image2", func(i *Info) { i.Container = "image2" }, lim, ErrUnsupported},
		{"png codec", func(i *Info) { i.Codec = "png" }, lim, ErrUnsupported},
		{"no size", func(i *Info) { i.Width = 0 }, lim, ErrDecode},
		{"4 px", func(i *Info) { i.Height = 4 }, lim, ErrDecode},
		{"side", func(i *Info) { i.Width = 8193 }, lim, ErrTooLarge},
		{"pixels", func(i *Info) { i.Width, i.Height = 8192, 8192 }, lim, ErrTooLarge},
		{"no fps", func(i *Info) { i.FPS = 0 }, lim, ErrDecode},
		{"fps", func(i *Info) { i.FPS = 1001 }, lim, ErrTooLarge},
		{"duration", func(i *Info) { i.Duration = 5 * time.Hour }, lim, ErrTooLarge},
		{"frames declared", func(i *Info) { i.Frames = 1_000_001 }, lim, ErrTooLarge},
		{"frames estimated", func(i *Info) { i.Frames, i.FPS, i.Duration = 0, 999, 4*time.Hour }, lim, ErrTooLarge},
		{"own limit", func(*Info) {}, Limits{MaxFrames: 299}.withDefaults(), ErrTooLarge},
	} {
		i := ok
		tc.change(&i)
		err := tc.lim.check(i)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: check = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestInRange(t *testing.T) {
	for f, want := range map[string]string{
		"yuv420p": "tv", "yuvj420p": "pc", "yuvj444p": "pc", "yuv420p10le": "tv", "nv12": "tv", "gray": "pc", "rgb24": "", "gbrp": "", "": "",
	} {
		if got := inRange(f); got != want {
			t.Errorf("inRange(%q) = %q, want %q", f, got, want)
		}
	}
}

func FuzzParseProbe(f *testing.F) {
	f.Add([]byte(`{"streams":[{"index":0,"codec_name":"h264","width":1280,"height":720,"pix_fmt":"yuv420p","avg_frame_rate":"30/1","nb_frames":"120","duration":"4.0"}],"format":{"format_name":"mov","duration":"4.3"}}`))
	f.Add([]byte(`{"streams":[{"codec_type":"audio"}]}`))
	f.Add([]byte(`{"streams":[{"r_frame_rate":"30000/1001","avg_frame_rate":"0/0","nb_frames":"99999999999999999999"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseProbe(b)
		if err != nil && !errors.Is(err, ErrDecode) {
			t.Fatalf("error %v does not wrap ErrDecode", err)
		}
		if info.FPS < 0 || math.IsNaN(info.FPS) || info.Frames < 0 || info.Duration < 0 {
			t.Fatalf("parsed impossible values: %+v", info)
		}
		// Whatever was parsed, the limits judge it without panicking.
		Limits{}.withDefaults().check(info)
		_ = info.EstimatedFrames()
	})
}
