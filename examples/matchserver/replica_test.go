package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

// With -follow, the server answers matches from the replica while it
// follows the primary's bucket: every item published becomes matchable,
// and a match of an earlier item never fails meanwhile.
func TestServeWhileFollowing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, err := signing.GenerateKey("acme")
	if err != nil {
		t.Fatal(err)
	}
	primary, err := hashdb.Open(filepath.Join(dir, "acme.db"), &hashdb.Options{Organization: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	rdb, err := hashdb.Open(filepath.Join(dir, "replica.db"), &hashdb.Options{Organization: "replica"})
	if err != nil {
		t.Fatal(err)
	}
	err = rdb.AddPeer(ctx, hashdb.Peer{ID: "acme", Keys: []hashdb.PeerKey{{ID: key.ID, Public: key.Key.Public().(ed25519.PublicKey)}},
		Policy: hashdb.Policy{MaxTLP: tlp.Green}})
	if err != nil || rdb.Close() != nil {
		t.Fatal(err)
	}
	bucketDir := filepath.Join(dir, "bucket")
	b, err := fileblob.OpenBucket(bucketDir, &fileblob.Options{CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pub, err := replica.NewPublisher(primary, b, replica.PublisherOptions{Signer: key, FullEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	put := func(i int) {
		s, _ := signal.Parse(fmt.Sprintf("md5:%032x", i))
		if err := primary.Put(ctx, hashdb.Item{Key: hashdb.Key{ID: fmt.Sprintf("case-%d", i)}, Signals: []signal.Signal{s}, TLP: tlp.Green}); err != nil {
			t.Fatal(err)
		}
		if _, err := pub.Publish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	put(0)

	addr := freeAddr(t)
	var log syncBuffer
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"-addr", addr, "-db", filepath.Join(dir, "replica.db"), "-tmp", dir,
			"-follow", "file://" + filepath.ToSlash(bucketDir), "-peer", "acme", "-follow-interval", "20ms"}, &log)
	}()
	match := func(i int) (int, bool) {
		body := fmt.Sprintf(`{"signals":["md5:%032x"]}`, i)
		resp, err := http.Post("http://"+addr+"/v1/match", "application/json", strings.NewReader(body))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.Contains(string(data), fmt.Sprintf(`"case-%d"`, i))
	}
	await := func(i int) {
		t.Helper()
		for range 500 {
			if code, ok := match(i); code == 200 && ok {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("item %d never matched at the replica\n%s", i, log.String())
	}
	await(0)

	// A reader matching item 0 all along.
	var reads, misses atomic.Int64
	stopReader := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stopReader:
				return
			default:
			}
			reads.Add(1)
			if code, ok := match(0); code != 200 || !ok {
				misses.Add(1)
			}
		}
	}()
	for i := 1; i <= 6; i++ {
		put(i)
		await(i)
	}
	close(stopReader)
	<-readerDone
	if misses.Load() != 0 || reads.Load() == 0 {
		t.Errorf("%d of %d matches of item 0 failed while following", misses.Load(), reads.Load())
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`hashshare_replica_seq{peer="acme"}`, `hashshare_replica_behind{peer="acme"}`, `hashshare_replica_age_seconds{peer="acme"}`, `hashshare_replica_current{peer="acme"} 1`} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
}

func TestFollowFlagsGoTogether(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "x.db"), "-follow", "mem://"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-peer") {
		t.Errorf("-follow without -peer: %v", err)
	}
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "y.db"), "-follow", "mem://", "-peer", "nobody"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("-follow of a non-peer: %v", err)
	}
}
