package hashdb

import (
	"context"
	"errors"
	"testing"

	"github.com/hashshare/hashshare/hashdb/tlp"
)

func TestParseContentType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ContentType
		err  bool
	}{
		{"", ContentUnknown, false},
		{"photo", ContentPhoto, false},
		{"Image", ContentPhoto, false},
		{"VIDEO", ContentVideo, false},
		{"other", ContentOther, false},
		{"pdf", ContentOther, false},
		{"text", 0, true},
		{"vid", 0, true},
	} {
		got, err := ParseContentType(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseContentType(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrInvalidItem) {
			t.Errorf("ParseContentType(%q): %v does not wrap ErrInvalidItem", tc.in, err)
		}
		if err == nil && tc.in != "" && tc.want.String() != tc.in && tc.in != "Image" && tc.in != "VIDEO" && tc.in != "pdf" {
			t.Errorf("%v.String() = %q", tc.want, tc.want.String())
		}
	}
	if s := ContentType(9).String(); s != "ContentType(9)" {
		t.Errorf("ContentType(9).String() = %q", s)
	}
}

// TestContentTypeStoredAndExchanged checks that a content type is stored,
// counts as a change, is refused when out of range, and travels in a
// bundle.
func TestContentTypeStoredAndExchanged(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	it := orgItem("org-a", "v1", 1, tlp.Green)
	it.ContentType = ContentVideo
	if err := a.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	got, err := a.Get(it.Key)
	if err != nil || got.ContentType != ContentVideo {
		t.Fatalf("Get = %v, %v; want content type video", got.ContentType, err)
	}
	lastSeq := func() uint64 {
		st, err := a.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return st.LastSeq
	}
	seq := lastSeq()
	if err := a.Put(ctx, it); err != nil || lastSeq() != seq {
		t.Fatalf("the same item again: %v, seq %d → %d", err, seq, lastSeq())
	}
	it.ContentType = ContentPhoto
	if err := a.Put(ctx, it); err != nil || lastSeq() != seq+1 {
		t.Fatalf("a new content type: %v, seq %d → %d", err, seq, lastSeq())
	}
	bad := it
	bad.ContentType = 4
	if err := a.Put(ctx, bad); !errors.Is(err, ErrInvalidItem) {
		t.Fatalf("content type 4: %v, want ErrInvalidItem", err)
	}
	bundle, _ := exportTo(t, a, true, false)
	mustImport(t, b, bundle)
	got, err = b.Get(it.Key)
	if err != nil || got.ContentType != ContentPhoto {
		t.Fatalf("imported: %v, %v; want content type photo", got.ContentType, err)
	}
}
