package video

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestFrameReader(t *testing.T) {
	for _, tc := range []struct {
		name                string
		n, size, every, max int
		frames              []int
		err                 error
	}{
		{"whole frames", 30, 10, 1, 10, []int{0, 1, 2}, io.EOF},
		{"every 30", 30, 10, 30, 10, []int{0, 30, 60}, io.EOF},
		{"short last frame", 25, 10, 1, 10, []int{0, 1}, ErrDecode},
		{"empty", 0, 10, 1, 10, nil, io.EOF},
		{"one too many", 40, 10, 2, 3, []int{0, 2, 4}, ErrTooLarge},
	} {
		fr := frameReader{r: bytes.NewReader(make([]byte, tc.n)), size: tc.size, every: tc.every, maxOut: tc.max, maxFrames: tc.max * tc.every}
		buf := make([]byte, tc.size)
		var got []int
		var err error
		for {
			var n int
			if n, err = fr.next(buf); err != nil {
				break
			}
			got = append(got, n)
		}
		if !errors.Is(err, tc.err) || !equal(got, tc.frames) {
			t.Errorf("%s: frames %v, %v; want %v, %v", tc.name, got, err, tc.frames, tc.err)
		}
	}
	fr := frameReader{r: strings.NewReader("abc"), size: 3, every: 1, maxOut: 1}
	if _, err := fr.next(make([]byte, 2)); err == nil {
		t.Error("a buffer smaller than a frame was accepted")
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzFrameReader feeds arbitrary streams, cut at arbitrary points, to the
// frame reader: every frame it returns is whole and numbered by the step,
// and it ends with io.EOF exactly when the stream held whole frames.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("0123456789"), uint8(5), uint8(1), uint8(3), uint8(4))
	f.Add([]byte("012345678"), uint8(3), uint8(30), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, size, every, chunk, maxOut uint8) {
		if size == 0 {
			return
		}
		fr := frameReader{r: &chunked{data: data, n: int(chunk) + 1}, size: int(size), every: int(every) + 1, maxOut: int(maxOut), maxFrames: int(maxOut)}
		buf := make([]byte, int(size))
		var n int
		for {
			frame, err := fr.next(buf)
			if err != nil {
				whole := len(data) % int(size)
				frames := len(data) / int(size)
				switch {
				case frames > int(maxOut) && n == int(maxOut):
					if !errors.Is(err, ErrTooLarge) {
						t.Fatalf("after %d frames of %d: %v, want ErrTooLarge", n, frames, err)
					}
				case whole == 0 && err != io.EOF, whole != 0 && !errors.Is(err, ErrDecode):
					t.Fatalf("%d bytes in frames of %d: ended with %v after %d frames", len(data), size, err, n)
				}
				return
			}
			if frame != n*(int(every)+1) || !bytes.Equal(buf, data[n*int(size):(n+1)*int(size)]) {
				t.Fatalf("frame %d numbered %d or has the wrong bytes", n, frame)
			}
			n++
		}
	})
}

// chunked returns data n bytes at a time, as a pipe might.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	m := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[m:]
	return m, nil
}

func TestRing(t *testing.T) {
	r := newRing(8)
	r.Write([]byte("abc"))
	if got := string(r.Bytes()); got != "abc" {
		t.Errorf("Bytes = %q", got)
	}
	r.Write([]byte("defghij"))
	if got := string(r.Bytes()); got != "cdefghij" {
		t.Errorf("after wrap: Bytes = %q", got)
	}
	r.Write([]byte("0123456789xyz"))
	if got := string(r.Bytes()); got != "56789xyz" {
		t.Errorf("after a write longer than the ring: Bytes = %q", got)
	}
	if r.total != 23 {
		t.Errorf("total = %d", r.total)
	}
	l := newRing(64)
	l.Write([]byte("first line\nsecond line\nthird line\n"))
	if got := l.tail(20); got != "…third line" {
		t.Errorf("tail = %q", got)
	}
}
