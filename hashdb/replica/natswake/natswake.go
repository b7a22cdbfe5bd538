// Package natswake wakes replicas as soon as a publisher writes a new
// manifest, through a NATS JetStream key-value key: the publisher puts
// the manifest's sequence number in the key, followers watch it and sync
// at once instead of waiting for their next poll.
//
// The key carries no data a follower trusts: the manifest and bundles
// still come from the bucket and are verified there, so a lost or forged
// wake-up costs at most a poll interval or a needless read. It lives in
// its own package so that hashdb/replica links no NATS client.
package natswake

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// A Wake is one key in a JetStream key-value bucket.
type Wake struct {
	kv  jetstream.KeyValue
	key string
}

// Open returns the wake-up key named key in the key-value bucket named
// bucket, creating the bucket if it does not exist. Key names are NATS
// subject tokens: letters, digits and "-_=/.".
func Open(ctx context.Context, js jetstream.JetStream, bucket, key string) (*Wake, error) {
	if bucket == "" || key == "" {
		return nil, errors.New("natswake: want a bucket and a key")
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 1})
	if err != nil {
		return nil, fmt.Errorf("natswake: key-value bucket %q: %w", bucket, err)
	}
	return &Wake{kv: kv, key: key}, nil
}

// Notify puts seq, a new manifest's sequence number, in the key.
func (w *Wake) Notify(ctx context.Context, seq uint64) error {
	if _, err := w.kv.Put(ctx, w.key, []byte(strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("natswake: notify %q: %w", w.key, err)
	}
	return nil
}

// Watch returns a channel that receives when the key is put, as
// [replica.FollowerOptions.Wake] takes it; wake-ups that arrive while
// one is pending merge into it. The channel is closed once ctx ends.
func (w *Wake) Watch(ctx context.Context) (<-chan struct{}, error) {
	kw, err := w.kv.Watch(ctx, w.key, jetstream.UpdatesOnly())
	if err != nil {
		return nil, fmt.Errorf("natswake: watch %q: %w", w.key, err)
	}
	c := make(chan struct{}, 1)
	go func() {
		defer close(c)
		defer kw.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-kw.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				select {
				case c <- struct{}{}:
				default:
				}
			}
		}
	}()
	return c, nil
}
