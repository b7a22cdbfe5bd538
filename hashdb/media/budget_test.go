package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// pngHeader returns a PNG that declares a w×h image of the given bit depth
// and colour type but holds no pixels: its header is all a decoder reads
// before it allocates them.
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	chunk("IHDR", append(ihdr, depth, colorType, 0, 0, 0))
	chunk("IDAT", nil)
	chunk("IEND", nil)
	return b.Bytes()
}

// TestBudgetRefusesWideImages replays the attack of issue #18: a 498 kB PNG
// of 8000×8000 16-bit RGBA pixels took 1.5 GB and 9.5 s to hash. It is
// now refused from its header, with its digests.
func TestBudgetRefusesWideImages(t *testing.T) {
	tests := []struct {
		name      string
		w, h      uint32
		depth, ct byte
		refused   bool
	}{
		{"8000×8000 16-bit RGBA", 8000, 8000, 16, 6, true},
		{"8000×8000 8-bit RGBA", 8000, 8000, 8, 6, false}, // within the default budget: fails later, as a corrupt image
		{"8192×8192 8-bit grey", 8192, 8192, 8, 0, false},
		{"7000×7000 16-bit RGBA", 7000, 7000, 16, 6, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := media.HashReader(context.Background(), bytes.NewReader(pngHeader(tc.w, tc.h, tc.depth, tc.ct)), nil)
			if got := errors.Is(err, media.ErrImageTooLarge); got != tc.refused {
				t.Fatalf("err %v, refused %v, want %v", err, got, tc.refused)
			}
			if h == nil {
				t.Fatal("no Hashes")
			}
			if _, ok := h.Signal(signal.SHA256); !ok {
				t.Error("no digests for a refused image")
			}
		})
	}
}

func TestBudgetSmall(t *testing.T) {
	img := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	// 60,000 pixels of 8 bytes, converted (4) and hashed (8): 1.2 MB.
	if _, err := media.HashReader(context.Background(), bytes.NewReader(buf.Bytes()), &media.Options{Budget: media.NewBudget(1 << 20)}); !errors.Is(err, media.ErrImageTooLarge) {
		t.Errorf("over a 1 MiB budget: %v", err)
	}
	b := media.NewBudget(2 << 20)
	h, err := media.HashReader(context.Background(), bytes.NewReader(buf.Bytes()), &media.Options{Budget: b})
	if err != nil || len(h.Signals) < 4 {
		t.Fatalf("within a 2 MiB budget: %v %v", h, err)
	}
	if b.InUse() != 0 {
		t.Errorf("%d bytes of the budget still held after hashing", b.InUse())
	}
	gray := image.NewGray(image.Rect(0, 0, 300, 200))
	buf.Reset()
	png.Encode(&buf, gray)
	if _, err := media.HashReader(context.Background(), bytes.NewReader(buf.Bytes()), &media.Options{Budget: media.NewBudget(1 << 20)}); err != nil {
		t.Errorf("a grey image of the same size, 1 byte a pixel: %v", err)
	}
}

// TestBudgetWaits checks hashing waits for the budget, gives up when its
// context ends, and frees what it held.
func TestBudgetWaits(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256)) // 256×256×(4+8) = 768 KiB
	var buf bytes.Buffer
	png.Encode(&buf, img)
	b := media.NewBudget(1 << 20)
	// Two hashes at once within a budget for one: both finish, in turn.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := media.HashReader(context.Background(), bytes.NewReader(buf.Bytes()), &media.Options{Budget: b})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if b.InUse() != 0 {
		t.Errorf("%d bytes still held", b.InUse())
	}
	// A hash whose context has ended while it waits gives up.
	busy := media.NewBudget(1 << 20)
	release := media.HoldBudget(busy, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := media.HashReader(ctx, bytes.NewReader(buf.Bytes()), &media.Options{Budget: busy})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on a full budget past the deadline: %v", err)
	}
	release()
	if busy.InUse() != 0 {
		t.Errorf("%d bytes held after the waiter gave up", busy.InUse())
	}
}
