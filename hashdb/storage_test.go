package hashdb

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hashshare/hashshare/internal/store"
)

// TestFromStore checks that internal/store's errors come out wrapping the
// package's sentinel as well as the store's, with the package's prefix in
// the message where the store's stood.
func TestFromStore(t *testing.T) {
	tests := []struct {
		err      error
		sentinel error
		msg      string
	}{
		{fmt.Errorf("%w: journal of 3 bytes", store.ErrCorrupt), ErrCorrupt, "hashdb: database is corrupt: journal of 3 bytes"},
		{fmt.Errorf("rolling back: %w: x", store.ErrCorrupt), ErrCorrupt, "rolling back: hashdb: database is corrupt: x"},
		{fmt.Errorf("%w: version 9", store.ErrSchemaVersion), ErrSchemaVersion, "hashdb: unsupported schema version: version 9"},
		{fmt.Errorf("%w: no metadata", store.ErrNotDatabase), ErrNotDatabase, "hashdb: not a hashshare database: no metadata"},
		{errors.New("other"), nil, "other"},
	}
	for _, tt := range tests {
		err := fromStore(tt.err)
		if err.Error() != tt.msg {
			t.Errorf("fromStore(%q) = %q, want %q", tt.err, err, tt.msg)
		}
		if tt.sentinel != nil && (!errors.Is(err, tt.sentinel) || !errors.Is(err, tt.err)) {
			t.Errorf("fromStore(%q) does not wrap %v and the store's error", tt.err, tt.sentinel)
		}
	}
	if fromStore(nil) != nil {
		t.Error("fromStore(nil) != nil")
	}
}
