package video

import (
	"fmt"
	"strconv"
	"strings"
)

// filterGraph selects every every-th decoded frame and converts it to
// RGB24 at w×h as the reference's swscale context does.
func filterGraph(info Info, w, h, every int) string {
	var vf []string
	if every > 1 {
		vf = append(vf, "select='not(mod(n\\,"+strconv.Itoa(every)+"))'")
	}
	scale := fmt.Sprintf("scale=%d:%d:flags=area", w, h)
	if r := inRange(info.PixFmt); r != "" {
		scale += ":in_color_matrix=bt601:in_range=" + r
	}
	return strings.Join(append(vf, scale, "format=rgb24"), ",")
}

// inRange is the input range swscale assumes for a pixel format when no
// one sets it, as in the reference: full ("pc") for the JPEG formats
// (yuvj*) and grey, limited ("tv") for other YUV. "" leaves an RGB
// format's conversion as it is.
func inRange(pixFmt string) string {
	switch {
	case strings.HasPrefix(pixFmt, "yuvj"), strings.HasPrefix(pixFmt, "gray"), strings.HasPrefix(pixFmt, "ya"):
		return "pc"
	case strings.HasPrefix(pixFmt, "yuv"), strings.HasPrefix(pixFmt, "nv"), strings.HasPrefix(pixFmt, "p0"),
		strings.HasPrefix(pixFmt, "p2"), strings.HasPrefix(pixFmt, "y2"), strings.HasPrefix(pixFmt, "uyv"):
		return "tv"
	}
	return ""
}
