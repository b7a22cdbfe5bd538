package main

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob"

	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/replica/natswake"
)

// natsBucket is the JetStream key-value bucket publish and follow wake
// each other through; the key is the publishing organisation.
const natsBucket = "hashshare-replicas"

// publishJSON is publish's --json line.
type publishJSON struct {
	Seq       uint64   `json:"seq"`
	SetDigest string   `json:"set_digest"`
	Delta     string   `json:"delta,omitempty"`
	Full      string   `json:"full,omitempty"`
	Bytes     int64    `json:"bytes"`
	Unchanged bool     `json:"unchanged,omitempty"`
	Pruned    []string `json:"pruned,omitempty"`
}

func runPublish(e *env, args []string) int {
	fs := e.flags(usageOf("publish"))
	dbPath := dbFlag(fs)
	keyPath := fs.String("key", "", "the signing key `file` (hashdb keygen)")
	to := fs.String("to", "", "the bucket `URL`: s3://, gs://, azblob://, file:// or mem://")
	org := fs.String("org", "", "the publishing `organisation` (default: the key file's, else the one source that is not a peer)")
	fullEvery := fs.Int("full-every", 64, "write a FULL bundle every `N` deltas")
	keep := fs.Int("keep", 0, "deltas kept behind a new FULL bundle, for replicas that lag (default: --full-every)")
	natsURL := fs.String("nats", "", "NATS `URL` whose JetStream key wakes followers at once (optional)")
	asJSON := fs.Bool("json", false, "print what was published as one JSON line")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *keyPath == "" || *to == "" || len(rest) > 0 {
		return e.usageError(fs, "want --key KEYFILE and --to URL")
	}
	if *fullEvery <= 0 {
		return e.usageError(fs, "--full-every must be positive")
	}
	key, err := readSigner(*keyPath, org, *dbPath)
	if err != nil {
		return e.fail(err)
	}
	b, err := blob.OpenBucket(e.ctx, *to)
	if err != nil {
		return e.fail(err)
	}
	defer b.Close()
	db, err := openDB(*dbPath, *org, false)
	if err != nil {
		return e.fail(err)
	}
	p, err := replica.NewPublisher(db, b, replica.PublisherOptions{Signer: key, KeyID: key.ID, FullEvery: *fullEvery, KeepDeltas: *keep})
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	res, err := p.Publish(e.ctx)
	if err != nil && res.Manifest == nil {
		return closeDB(e, db, e.fail(err))
	}
	if err != nil {
		e.warnf("%v", err) // pruning only: the manifest is written
	}
	if *natsURL != "" && !res.Unchanged {
		if err := notify(e, *natsURL, *org, res.Manifest.Seq); err != nil {
			e.warnf("waking followers: %v (they will poll)", err)
		}
	}
	m := res.Manifest
	if *asJSON {
		j := publishJSON{Seq: m.Seq, SetDigest: m.SetDigest.String(), Delta: res.Delta.Name, Full: res.Full.Name,
			Bytes: res.Delta.Size + res.Full.Size, Unchanged: res.Unchanged, Pruned: res.Pruned}
		return closeDB(e, db, encodeJSON(e, j))
	}
	switch {
	case res.Unchanged:
		fmt.Fprintf(e.stdout, "%s: nothing new since change %d\n", *to, m.Seq)
	default:
		for _, bl := range []replica.Blob{res.Delta, res.Full} {
			if bl.Name != "" {
				fmt.Fprintf(e.stdout, "wrote %s (%d bytes)\n", bl.Name, bl.Size)
			}
		}
		fmt.Fprintf(e.stdout, "published %s up to change %d to %s, set digest %v; pruned %d blobs\n", *org, m.Seq, *to, m.SetDigest, len(res.Pruned))
	}
	return closeDB(e, db, exitOK)
}

// notify puts seq in org's wake-up key at the NATS server at url.
func notify(e *env, url, org string, seq uint64) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	w, err := natswake.Open(e.ctx, js, natsBucket, org)
	if err != nil {
		return err
	}
	return w.Notify(e.ctx, seq)
}
