package video

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// probeEntries are the fields ffprobe is asked for.
const probeEntries = "stream=index,codec_type,codec_name,width,height,pix_fmt,avg_frame_rate,r_frame_rate,nb_frames,duration" +
	":stream_disposition=attached_pic:format=format_name,duration"

// maxProbeOutput bounds the probe's JSON: one stream's entries are a few
// hundred bytes.
const maxProbeOutput = 64 << 10

// probeJSON is ffprobe's -of json output for probeEntries. ffprobe writes
// numbers as JSON numbers and rationals, counts and durations as strings.
type probeJSON struct {
	Streams []struct {
		Index        int    `json:"index"`
		CodecType    string `json:"codec_type"`
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		PixFmt       string `json:"pix_fmt"`
		AvgFrameRate string `json:"avg_frame_rate"`
		RFrameRate   string `json:"r_frame_rate"`
		NbFrames     string `json:"nb_frames"`
		Duration     string `json:"duration"`
		Disposition  struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// parseProbe reads ffprobe's JSON for the first video stream. Missing or
// "N/A" values are left zero, for the limits to judge; JSON that is not
// ffprobe's, or has no video stream, is ErrDecode.
func parseProbe(b []byte) (Info, error) {
	streams, err := parseStreams(b)
	return first(streams), err
}

// first is the first of streams, or the zero Info.
func first(streams []Info) Info {
	if len(streams) == 0 {
		return Info{}
	}
	return streams[0]
}

// parseStreams reads ffprobe's JSON for every video stream, in order.
// With no video stream, it returns ErrDecode and one Info holding only the
// container's name.
func parseStreams(b []byte) ([]Info, error) {
	var p probeJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, errorf(ErrDecode, "reading ffprobe's output: %v", err)
	}
	var streams []Info
	for _, s := range p.Streams {
		if s.CodecType != "" && s.CodecType != "video" {
			continue
		}
		info := Info{Container: p.Format.FormatName}
		info.Stream, info.Codec, info.Width, info.Height, info.PixFmt = s.Index, s.CodecName, s.Width, s.Height, s.PixFmt
		info.AttachedPic = s.Disposition.AttachedPic != 0
		info.FPSRational = s.AvgFrameRate
		info.FPS = parseRational(s.AvgFrameRate)
		if !(info.FPS > 0) {
			info.FPSRational, info.FPS = s.RFrameRate, parseRational(s.RFrameRate)
		}
		if n, err := strconv.ParseInt(s.NbFrames, 10, 64); err == nil && n > 0 {
			info.Frames = int(min(n, math.MaxInt32))
		}
		info.Duration = parseSeconds(p.Format.Duration)
		if info.Duration == 0 {
			info.Duration = parseSeconds(s.Duration)
		}
		streams = append(streams, info)
	}
	if len(streams) == 0 {
		return []Info{{Container: p.Format.FormatName}}, errorf(ErrDecode, "no video stream (container %q)", p.Format.FormatName)
	}
	return streams, nil
}

// parseRational reads "num/den" (or a plain number) as a float64, or 0
// when it is not one, has a zero part, or is negative.
func parseRational(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseInt(num, 10, 64)
	d, err2 := strconv.ParseInt(den, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || d <= 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// parseSeconds reads a duration in seconds ("4.331000"), or 0 when it is
// not a finite, non-negative number of them.
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0) || f > float64(math.MaxInt64/int64(time.Second)) {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}
