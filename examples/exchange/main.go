// Command exchange shows two organisations sharing hashes through signed
// bundles, each with its own database and Ed25519 key.
//
//  1. Organisation A hashes three pictures and exports a signed FULL bundle.
//  2. Organisation B registers A as a peer (A's public key), imports the
//     bundle and matches an altered copy of A's first picture.
//  3. A retracts that item and adds a fourth; it sends a DELTA bundle. B
//     imports it: the retracted picture no longer matches, the new one does.
//  4. A sends another delta with one byte flipped in transit: B refuses it
//     and its database is unchanged; the intact bundle then imports.
//
// Run it with: go run ./examples/exchange
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "exchange:", err)
		os.Exit(1)
	}
}

const keyID = "org-a-2026"

// org is one organisation: its database and, for the producer, its key.
type org struct {
	name string
	db   *hashdb.DB
	key  ed25519.PrivateKey
}

func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "hashshare-exchange-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a, err := open(dir, "org-a")
	if err != nil {
		return err
	}
	defer a.db.Close()
	b, err := open(dir, "org-b")
	if err != nil {
		return err
	}
	defer b.db.Close()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	a.key = priv
	// A knows B as a partner too: an export names its audience, and A's
	// peers table says how far it shares with each (GREEN by default).
	pubB, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	err = a.db.AddPeer(ctx, hashdb.Peer{ID: b.name, Name: "Organisation B", Keys: []hashdb.PeerKey{{ID: "org-b-2026", Public: pubB}}})
	if err != nil {
		return err
	}
	step := func(format string, args ...any) { fmt.Fprintf(out, "\n== "+format+"\n", args...) }

	step("1. %s hashes three pictures and exports a signed FULL bundle", a.name)
	for i := 1; i <= 3; i++ {
		if err := a.store(ctx, i, out); err != nil {
			return err
		}
	}
	full, cp, err := a.export(ctx, b.name, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "bundle: %d bytes, up to change %d, digest %x…\n", len(full), cp.Seq, cp.BundleDigest[:8])

	step("2. %s adds %s as a peer, imports the bundle and matches", b.name, a.name)
	err = b.db.AddPeer(ctx, hashdb.Peer{
		ID:     a.name,
		Name:   "Organisation A",
		Keys:   []hashdb.PeerKey{{ID: keyID, Public: pub}},
		Policy: hashdb.Policy{MaxTLP: tlp.Amber},
	})
	if err != nil {
		return err
	}
	if err := b.importBundle(ctx, full, out); err != nil {
		return err
	}
	if err := b.report(ctx, 1, out); err != nil {
		return err
	}

	step("3. %s retracts picture 1, adds picture 4 and sends a DELTA", a.name)
	if err := a.db.Retract(ctx, key(a.name, 1), "shared in error"); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s retracted %s\n", a.name, key(a.name, 1))
	if err := a.store(ctx, 4, out); err != nil {
		return err
	}
	delta, _, err := a.export(ctx, b.name, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "delta bundle: %d bytes\n", len(delta))
	if err := b.importBundle(ctx, delta, out); err != nil {
		return err
	}
	for _, n := range []int{1, 4} {
		if err := b.report(ctx, n, out); err != nil {
			return err
		}
	}

	step("4. a delta with one byte flipped in transit is refused")
	if err := a.store(ctx, 5, out); err != nil {
		return err
	}
	intact, _, err := a.export(ctx, b.name, false)
	if err != nil {
		return err
	}
	tampered := bytes.Clone(intact)
	tampered[len(tampered)/2] ^= 0x01
	before, err := b.db.Stats()
	if err != nil {
		return err
	}
	_, err = b.db.Import(ctx, bytes.NewReader(tampered), nil)
	if err == nil {
		return errors.New("the tampered bundle was accepted")
	}
	fmt.Fprintf(out, "%s refused it: %v\n", b.name, err)
	after, err := b.db.Stats()
	if err != nil {
		return err
	}
	if before.Items != after.Items || before.LastSeq != after.LastSeq {
		return fmt.Errorf("the refused bundle changed %s's database: %+v → %+v", b.name, before, after)
	}
	fmt.Fprintf(out, "%s unchanged: %d items, last change %d\n", b.name, after.Items, after.LastSeq)
	if err := b.importBundle(ctx, intact, out); err != nil {
		return err
	}
	if err := b.report(ctx, 5, out); err != nil {
		return err
	}
	ka, err := liveKeys(ctx, a.db, a.name)
	if err != nil {
		return err
	}
	kb, err := liveKeys(ctx, b.db, a.name)
	if err != nil {
		return err
	}
	if !slices.Equal(ka, kb) {
		return fmt.Errorf("the databases disagree: %s holds %v, %s holds %v", a.name, ka, b.name, kb)
	}
	fmt.Fprintf(out, "\ndone: both databases hold the same live items from %s: %v\n", a.name, ka)
	return nil
}

// liveKeys lists the ids of source's live items in db.
func liveKeys(ctx context.Context, db *hashdb.DB, source string) ([]string, error) {
	var ids []string
	for it, err := range db.Items(ctx, hashdb.Filter{Source: source}) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, it.Key.ID)
	}
	return ids, nil
}

func open(dir, name string) (*org, error) {
	opts := hashdb.DefaultOptions()
	opts.Organization = name
	db, err := hashdb.Open(filepath.Join(dir, name+".db"), opts)
	if err != nil {
		return nil, err
	}
	return &org{name: name, db: db}, nil
}

func key(source string, n int) hashdb.Key {
	return hashdb.Key{Source: source, ID: fmt.Sprintf("picture-%d", n)}
}

// store hashes picture n and stores it as one of the organisation's items.
func (o *org) store(ctx context.Context, n int, out io.Writer) error {
	h, err := media.HashImage(picture(n), nil)
	if err != nil {
		return err
	}
	it := hashdb.Item{
		Key:        key(o.name, n),
		Signals:    h.Signals,
		Unreliable: h.Unreliable,
		Labels:     []string{"type:image", "behaviour:glorification"},
		TLP:        tlp.Green,
	}
	if err := o.db.Put(ctx, it); err != nil {
		return err
	}
	pdq, _ := h.Signal(signal.PDQ)
	fmt.Fprintf(out, "%s stored %s  %s (quality %d)\n", o.name, it.Key, pdq, h.Quality)
	return nil
}

// export writes a bundle for audience, FULL or a delta since the previous one.
func (o *org) export(ctx context.Context, audience string, full bool) ([]byte, hashdb.Checkpoint, error) {
	var buf bytes.Buffer
	cp, err := o.db.Export(ctx, &buf, hashdb.ExportOptions{Audience: audience, Full: full, KeyID: keyID, Signer: o.key})
	return buf.Bytes(), cp, err
}

func (o *org) importBundle(ctx context.Context, bundle []byte, out io.Writer) error {
	res, err := o.db.Import(ctx, bytes.NewReader(bundle), nil)
	if err != nil {
		return err
	}
	kind := "DELTA"
	if res.Full {
		kind = "FULL"
	}
	fmt.Fprintf(out, "%s imported a %s bundle from %s: %d entries, now at change %d\n", o.name, kind, res.Peer, res.Entries, res.Checkpoint.Seq)
	return nil
}

// report matches a mirrored copy of picture n and says what matched.
func (o *org) report(ctx context.Context, n int, out io.Writer) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, mirror(picture(n))); err != nil {
		return err
	}
	_, results, err := o.db.MatchMedia(ctx, &buf, nil)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Query.Algorithm() != signal.PDQ {
			continue
		}
		if !r.Matched() {
			fmt.Fprintf(out, "%s: mirrored picture %d matches nothing\n", o.name, n)
			return nil
		}
		m := r.Matches[0]
		fmt.Fprintf(out, "%s: mirrored picture %d matches %s at PDQ distance %d (%s), labels %v\n",
			o.name, n, m.Items[0].Key, m.Distance, m.Transform, m.Items[0].Labels)
	}
	return nil
}

// picture draws a deterministic 320×240 picture: interfering waves whose
// frequencies and colours depend on n, distinct enough that two pictures
// never match.
func picture(n int) image.Image {
	const w, h = 320, 240
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	f := float64(n)
	for y := range h {
		for x := range w {
			u, v := float64(x)/w, float64(y)/h
			a := math.Sin((3+f)*u*math.Pi+f) * math.Cos((2+f*1.7)*v*math.Pi)
			c := math.Sin((5+f*2.3)*(u+v)*math.Pi + f*f)
			m.SetNRGBA(x, y, color.NRGBA{
				R: uint8(127 + 120*a),
				G: uint8(127 + 120*c),
				B: uint8(127 + 60*(a-c)),
				A: 255,
			})
		}
	}
	return m
}

func mirror(m image.Image) image.Image {
	b := m.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Set(b.Dx()-1-x, y, m.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}
