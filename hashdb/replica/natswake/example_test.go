package natswake_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashshare/hashshare/hashdb/replica/natswake"
)

// A publisher puts each new manifest's sequence in a JetStream key; a
// follower watching the key wakes at once. The server here is embedded;
// a deployment points nats.Connect at its own.
func Example() {
	dir, err := os.MkdirTemp("", "natswake-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		log.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		log.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wake, err := natswake.Open(ctx, js, "hashshare", "example-org")
	if err != nil {
		log.Fatal(err)
	}
	woken, err := wake.Watch(ctx) // the follower's side: replica.FollowerOptions.Wake
	if err != nil {
		log.Fatal(err)
	}
	if err := wake.Notify(ctx, 42); err != nil { // the publisher's, after writing manifest 42
		log.Fatal(err)
	}
	select {
	case <-woken:
		fmt.Println("woken: sync now")
	case <-ctx.Done():
		fmt.Println("no wake-up")
	}
	// Output: woken: sync now
}
