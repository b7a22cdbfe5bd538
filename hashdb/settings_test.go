package hashdb

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSettings(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/s.db"
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting("app/a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Setting of nothing: %v, want ErrNotFound", err)
	}
	if got, err := db.Settings("app/"); err != nil || len(got) != 0 {
		t.Fatalf("Settings before any: %v, %v", got, err)
	}
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{"", []byte("x")},
		{"a\x00b", []byte("x")},
		{strings.Repeat("n", maxIDLen+1), []byte("x")},
		{"app/big", make([]byte, MaxSettingLen+1)},
	} {
		if err := db.PutSetting(ctx, tc.name, tc.value); !errors.Is(err, ErrInvalidSetting) {
			t.Errorf("PutSetting(%.20q, %d bytes) = %v, want ErrInvalidSetting", tc.name, len(tc.value), err)
		}
	}
	for _, kv := range [][2]string{{"app/b", "2"}, {"app/a", "1"}, {"other/c", "3"}, {"app/a", "one"}} {
		if err := db.PutSetting(ctx, kv[0], []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteSetting(ctx, "app/b"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSetting(ctx, "app/none"); err != nil {
		t.Fatalf("deleting a setting that is not there: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Settings("app/")
	if err != nil || len(got) != 1 || got[0].Name != "app/a" || !bytes.Equal(got[0].Value, []byte("one")) {
		t.Fatalf("Settings after reopening = %+v, %v; want app/a=one only", got, err)
	}
	if v, err := db.Setting("other/c"); err != nil || string(v) != "3" {
		t.Fatalf("Setting(other/c) = %q, %v", v, err)
	}
}

func TestForgetFeed(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, testOptions())
	st := FeedState{API: "tcap", Source: "tcap", Checkpoint: "5,1", Full: true}
	if _, err := db.Apply(ctx, &Batch{Feed: &st}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FeedState("tcap", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetFeed(ctx, "tcap", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FeedState("tcap", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FeedState after ForgetFeed: %v, want ErrNotFound", err)
	}
	if err := db.ForgetFeed(ctx, "ncmec", "industry"); err != nil {
		t.Fatalf("forgetting a feed never fetched: %v", err)
	}
}

// TestSettingsAreNotChanges checks that settings stay out of the change
// log, which partners' deltas are made from.
func TestSettingsAreNotChanges(t *testing.T) {
	db := openTest(t, testOptions())
	before, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutSetting(context.Background(), "app/x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	after, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.LastSeq != before.LastSeq {
		t.Errorf("a setting moved the change log from %d to %d", before.LastSeq, after.LastSeq)
	}
}
