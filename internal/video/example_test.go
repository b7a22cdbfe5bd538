package video_test

import (
	"fmt"

	"github.com/hashshare/hashshare/internal/video"
)

// The sampling step of one hash a second, as the reference computes it:
// truncated, so NTSC video is sampled every 29 frames.
func ExampleStep() {
	fmt.Println(video.Step(1, 30), video.Step(1, 30000.0/1001), video.Step(0, 30))
	// Output: 30 29 1
}
