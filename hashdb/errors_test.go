package hashdb

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
)

// TestErrorMessages makes each exported operation fail and checks that
// its error wraps the sentinel a caller tests for, and says "hashdb: "
// once, at the start, then the operation.
func TestErrorMessages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, nil)
	if err := db.Put(ctx, testItem("a", 1)); err != nil {
		t.Fatal(err)
	}
	closed, err := Open(filepath.Join(t.TempDir(), "closed.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	missing := Key{Source: "local", ID: "missing"}
	bad := testItem("b", 2)
	bad.Labels = []string{"Not A Label"}

	tests := []struct {
		name string
		call func() error
		want error
		op   string
	}{
		{"get", func() error { _, err := db.Get(missing); return err }, ErrNotFound, "get local/missing"},
		{"retract", func() error { return db.Retract(ctx, missing, "") }, ErrNotFound, "retract local/missing"},
		{"put invalid", func() error { return db.Put(ctx, bad) }, ErrInvalidItem, "put"},
		{"put invalid label", func() error { return db.Put(ctx, bad) }, ErrInvalidLabel, "put"},
		{"put duplicate", func() error { return db.Put(ctx, testItem("c", 3), testItem("c", 3)) }, ErrInvalidItem, "put"},
		{"history", func() error { _, err := db.History(missing); return err }, ErrNotFound, "history of local/missing"},
		{"lookup zero", func() error { _, err := db.Lookup(signal.Signal{}); return err }, signal.ErrInvalid, "lookup"},
		{"match zero", func() error { _, err := db.Match(ctx, []signal.Signal{{}}, nil); return err }, signal.ErrInvalid, "match"},
		{"match threshold", func() error {
			_, err := db.Match(ctx, []signal.Signal{testSignal(signal.PDQ, 1)}, &MatchOptions{Thresholds: map[signal.Algorithm]int{signal.PDQ: 999}})
			return err
		}, ErrInvalidOptions, "match"},
		{"opinion", func() error { return db.SetOpinion(ctx, Opinion{Key: missing}) }, ErrInvalidOpinion, "set opinion"},
		{"peer", func() error { _, err := db.Peer("nobody"); return err }, ErrNotFound, "peer"},
		{"add peer", func() error { return db.AddPeer(ctx, Peer{ID: "Bad Id"}) }, ErrInvalidPeer, `add peer "Bad Id"`},
		{"remove peer", func() error { return db.RemovePeer(ctx, "nobody") }, ErrNotFound, `remove peer "nobody"`},
		{"revoke key", func() error { return db.RevokePeerKey(ctx, "nobody", "k1") }, ErrNotFound, `revoke key "k1" of peer "nobody"`},
		{"export", func() error { _, err := db.Export(ctx, &bytes.Buffer{}, ExportOptions{}); return err }, ErrInvalidOptions, "export"},
		{"import", func() error { _, err := db.Import(ctx, strings.NewReader("junk"), nil); return err }, ErrTruncated, "import"},
		{"stats closed", func() error { _, err := closed.Stats(); return err }, ErrClosed, "stats"},
		{"check closed", func() error { _, err := closed.Check(ctx); return err }, ErrClosed, "check"},
		{"put closed", func() error { return closed.Put(ctx, testItem("d", 4)) }, ErrClosed, "put"},
		{"last export closed", func() error { _, err := closed.LastExport(""); return err }, ErrClosed, "last export"},
		{"changes closed", func() error {
			for _, err := range closed.Changes(ctx, 0) {
				return err
			}
			return nil
		}, ErrClosed, "changes"},
		{"items closed", func() error {
			for _, err := range closed.Items(ctx, Filter{}) {
				return err
			}
			return nil
		}, ErrClosed, "items"},
		{"validate label", func() error { return ValidateLabel("A") }, ErrInvalidLabel, "invalid label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			checkPrefix(t, err)
			if !strings.HasPrefix(err.Error(), errPrefix+tc.op) {
				t.Errorf("error %q does not name the operation %q", err, tc.op)
			}
		})
	}
}
