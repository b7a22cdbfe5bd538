package bundle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"google.golang.org/protobuf/proto"
)

// TestSpool spools bundles and checks that a good one comes back entry for
// entry, and that one that does not verify fails and leaves no file.
func TestSpool(t *testing.T) {
	gz, _ := write(t, testEntries(), true)
	plain, _ := write(t, testEntries(), false)
	tampered := bytes.Clone(plain)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"gzip", gz, true},
		{"plain", plain, true},
		{"tampered", tampered, false},
		{"truncated", plain[:len(plain)-5], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			br, err := NewReader(bytes.NewReader(tc.b), testKeys, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSpool(context.Background(), br, dir)
			if !tc.ok {
				if err == nil {
					s.Close()
					t.Fatal("a bundle that does not verify spooled")
				}
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("a failed spool left %d files", len(left))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := testEntries()
			for i := range want {
				frame, err := s.Next()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				e, err := s.Decode(frame)
				if err != nil || !proto.Equal(e, want[i]) {
					t.Fatalf("entry %d = %v, %v; want %v", i, e, err, want[i])
				}
			}
			if _, err := s.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("after the last frame: %v, want EOF", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("Close left %d files", len(left))
			}
		})
	}
}
