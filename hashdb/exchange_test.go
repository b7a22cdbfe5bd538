package hashdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/bundle"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

var (
	keyA1 = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	keyA2 = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	keyX  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
)

// orgPair opens org-a's and org-b's databases, each knowing the other as
// a peer: B trusts A's key k1 and accepts up to AMBER+STRICT; A shares up
// to AMBER with B.
func orgPair(t testing.TB) (a, b *DB) {
	t.Helper()
	oa, ob := testOptions(), testOptions()
	oa.Organization, ob.Organization = "org-a", "org-b"
	a, b = openTest(t, oa), openTest(t, ob)
	ctx := context.Background()
	if err := a.AddPeer(ctx, Peer{ID: "org-b", Policy: Policy{Share: tlp.Amber}}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddPeer(ctx, Peer{
		ID:     "org-a",
		Keys:   []PeerKey{{ID: "k1", Public: keyA1.Public().(ed25519.PublicKey)}},
		Policy: Policy{MaxTLP: tlp.AmberStrict},
	}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func orgItem(source, id string, n int, level tlp.Level) Item {
	it := testItem(id, n)
	it.Source, it.TLP = source, level
	return it
}

// exportTo exports from db to org-b with key k1.
func exportTo(t testing.TB, db *DB, full, gz bool) ([]byte, Checkpoint) {
	t.Helper()
	var buf bytes.Buffer
	cp, err := db.Export(context.Background(), &buf, ExportOptions{Audience: "org-b", Full: full, KeyID: "k1", Signer: keyA1, Gzip: gz})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), cp
}

func mustImport(t testing.TB, db *DB, b []byte) ImportResult {
	t.Helper()
	res, err := db.Import(context.Background(), bytes.NewReader(b), &ImportOptions{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// snapshot renders everything a database holds, to compare before and
// after a refused import.
func snapshot(t testing.TB, db *DB) string {
	t.Helper()
	var sb strings.Builder
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	st.FileSize = 0
	fmt.Fprintf(&sb, "%+v\n", st)
	ctx := context.Background()
	for it, err := range db.Items(ctx, Filter{Retracted: true}) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%+v\n", it)
		ops, _ := db.Opinions(it.Key)
		fmt.Fprintf(&sb, "  %+v\n", ops)
	}
	for c, err := range db.Changes(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%+v\n", c)
	}
	ps, _ := db.Peers()
	fmt.Fprintf(&sb, "%+v\n", ps)
	return sb.String()
}

func keysOf(t testing.TB, db *DB, f Filter) []string {
	t.Helper()
	var ks []string
	for it, err := range db.Items(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, it.Key.String())
	}
	return ks
}

func TestExchange(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.PutForeign(ctx, "test",
		orgItem("org-a", "green", 1, tlp.Green),
		orgItem("org-a", "amber", 2, tlp.Amber),
		orgItem("org-a", "strict", 3, tlp.AmberStrict), // above what A shares with B
		orgItem("org-a", "red", 4, tlp.Red),
		orgItem("org-a", "clear", 5, tlp.Clear),
		orgItem("org-c", "c-green", 6, tlp.Green), // re-shared: allowed
		orgItem("org-c", "c-amber", 7, tlp.Amber), // re-shared: not allowed
		orgItem("org-b", "b-own", 8, tlp.Green),   // B's own: not sent back
	))

	full, cp1 := exportTo(t, a, true, true)
	res := mustImport(t, b, full)
	if !res.Full || res.Entries != 4 || res.Checkpoint.Seq != cp1.Seq || !bytes.Equal(res.Checkpoint.BundleDigest, cp1.BundleDigest) {
		t.Fatalf("full import %+v, export checkpoint %+v", res, cp1)
	}
	want := []string{"org-a/amber", "org-a/clear", "org-a/green", "org-c/c-green via org-a"}
	if got := keysOf(t, b, Filter{}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("B holds %v, want %v", got, want)
	}
	if items, err := b.Lookup(testSignal(signal.PDQ, 1)); err != nil || len(items) != 1 || items[0].Source != "org-a" {
		t.Fatalf("B's Lookup: %v %v", items, err)
	}
	if last, _ := a.LastExport("org-b"); last.Seq != cp1.Seq {
		t.Errorf("LastExport %+v, want %+v", last, cp1)
	}

	// A changes things: an update, a retraction, a level raised beyond B,
	// and an opinion on B's item.
	upd := orgItem("org-a", "green", 1, tlp.Green)
	upd.Labels = []string{"type:image"}
	must(a.Put(ctx, upd))
	must(a.Retract(ctx, Key{Source: "org-a", ID: "clear"}, "duplicate"))
	must(a.Put(ctx, orgItem("org-a", "amber", 2, tlp.Red)))
	must(a.SetOpinion(ctx, Opinion{Key: Key{Source: "org-b", ID: "b-own"}, Verdict: FalsePositive, Reason: "a cat"}))
	must(a.SetOpinion(ctx, Opinion{Key: Key{Source: "org-c", ID: "c-amber"}, Verdict: Disputed})) // not B's, not sent to B
	d1, cp2 := exportTo(t, a, false, false)
	res = mustImport(t, b, d1)
	if res.Full || res.Entries != 4 || res.Checkpoint.Seq != cp2.Seq {
		t.Fatalf("delta import %+v", res)
	}
	if got := keysOf(t, b, Filter{}); fmt.Sprint(got) != "[org-a/green org-c/c-green via org-a]" {
		t.Fatalf("B holds %v", got)
	}
	if it, err := b.Get(Key{Source: "org-a", ID: "clear"}); err != nil || !it.Retracted || it.RetractReason != "duplicate" {
		t.Errorf("retracted item: %+v %v", it, err)
	}
	if it, _ := b.Get(Key{Source: "org-a", ID: "amber"}); !it.Retracted {
		t.Errorf("item raised to RED still live at B: %+v", it)
	}
	if it, _ := b.Get(Key{Source: "org-a", ID: "green"}); fmt.Sprint(it.Labels) != "[type:image]" {
		t.Errorf("update not applied: %+v", it)
	}
	if items, _ := b.Lookup(testSignal(signal.PDQ, 2)); len(items) != 0 {
		t.Errorf("retracted item still matches: %v", items)
	}
	ops, err := b.Opinions(Key{Source: "org-b", ID: "b-own"})
	if err != nil || len(ops) != 1 || ops[0].Org != "org-a" || ops[0].Verdict != FalsePositive || ops[0].Reason != "a cat" {
		t.Errorf("B's view of A's opinion: %+v %v", ops, err)
	}

	// The same bundle again changes nothing; an older one is a replay.
	before := snapshot(t, b)
	if res := mustImport(t, b, d1); !res.Unchanged {
		t.Errorf("re-import: %+v", res)
	}
	if _, err := b.Import(ctx, bytes.NewReader(full), nil); !errors.Is(err, ErrReplay) {
		t.Errorf("old full bundle: %v", err)
	}
	if after := snapshot(t, b); after != before {
		t.Errorf("re-import changed B:\n%s\n---\n%s", before, after)
	}

	// Two more deltas, presented out of order.
	must(a.Put(ctx, orgItem("org-a", "new1", 10, tlp.Green)))
	d2, _ := exportTo(t, a, false, false)
	must(a.Put(ctx, orgItem("org-a", "new2", 11, tlp.Amber)))
	d3, _ := exportTo(t, a, false, false)
	if _, err := b.Import(ctx, bytes.NewReader(d3), nil); !errors.Is(err, ErrSequenceGap) {
		t.Errorf("d3 before d2: %v", err)
	}
	mustImport(t, b, d2)
	mustImport(t, b, d3)
	if _, err := b.Import(ctx, bytes.NewReader(d2), nil); !errors.Is(err, ErrReplay) {
		t.Errorf("d2 after d3: %v", err)
	}

	// A full bundle replaces: what it lacks is retracted at B.
	must(a.Put(ctx, orgItem("org-a", "new1", 10, tlp.AmberStrict)))
	full2, _ := exportTo(t, a, true, false)
	res = mustImport(t, b, full2)
	if got := keysOf(t, b, Filter{}); fmt.Sprint(got) != "[org-a/green org-a/new2 org-c/c-green via org-a]" {
		t.Fatalf("after full: B holds %v (%+v)", got, res)
	}
	// And deltas follow it.
	must(a.Retract(ctx, Key{Source: "org-a", ID: "new2"}, "gone"))
	d4, _ := exportTo(t, a, false, false)
	mustImport(t, b, d4)
	if got := keysOf(t, b, Filter{}); fmt.Sprint(got) != "[org-a/green org-c/c-green via org-a]" {
		t.Fatalf("after d4: B holds %v", got)
	}
}

func TestImportPolicy(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	if err := b.AddPeer(ctx, Peer{ID: "org-a", Keys: []PeerKey{{ID: "k1", Public: keyA1.Public().(ed25519.PublicKey)}},
		Policy: Policy{MaxTLP: tlp.Green, Labels: []string{"type:video"}}}); err != nil {
		t.Fatal(err)
	}
	img := orgItem("org-a", "img", 2, tlp.Green)
	img.Labels = []string{"type:image"}
	if err := a.Put(ctx, orgItem("org-a", "vid", 1, tlp.Green), img, orgItem("org-a", "amber", 3, tlp.Amber)); err != nil {
		t.Fatal(err)
	}
	full, _ := exportTo(t, a, true, false)
	res := mustImport(t, b, full)
	if res.Refused != 2 {
		t.Errorf("refused %d, want 2", res.Refused)
	}
	if got := keysOf(t, b, Filter{}); fmt.Sprint(got) != "[org-a/vid]" {
		t.Errorf("B holds %v", got)
	}
	// The digest covers what A sent, refused or not, so deltas still follow.
	if err := a.Put(ctx, orgItem("org-a", "vid2", 4, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	d, _ := exportTo(t, a, false, false)
	mustImport(t, b, d)
}

func TestImportKeys(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	if err := a.Put(ctx, orgItem("org-a", "x", 1, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	export := func(keyID string, key ed25519.PrivateKey) []byte {
		var buf bytes.Buffer
		if _, err := a.Export(ctx, &buf, ExportOptions{Audience: "org-b", Full: true, KeyID: keyID, Signer: key}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	before := snapshot(t, b)
	tests := []struct {
		name string
		b    []byte
		want []error
	}{
		{"wrong key", export("k1", keyX), []error{ErrSignature}},
		{"unknown key id", export("k9", keyA1), []error{ErrUnknownKey}},
	}
	for _, tt := range tests {
		_, err := b.Import(ctx, bytes.NewReader(tt.b), nil)
		for _, w := range tt.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: %v, want %v", tt.name, err, w)
			}
		}
	}
	if after := snapshot(t, b); after != before {
		t.Errorf("refused imports changed B")
	}
	// Unknown peer.
	if err := b.RemovePeer(ctx, "org-a"); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, b)
	if _, err := b.Import(ctx, bytes.NewReader(export("k1", keyA1)), nil); !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrUnknownPeer) {
		t.Errorf("unknown peer: %v", err)
	}
	if after := snapshot(t, b); after != before {
		t.Errorf("refused import changed B")
	}
	// Rotation: a peer with two keys, then the old one revoked.
	if err := b.AddPeer(ctx, Peer{ID: "org-a", Keys: []PeerKey{{ID: "k1", Public: keyA1.Public().(ed25519.PublicKey)}}, Policy: Policy{MaxTLP: tlp.Red}}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddPeerKey(ctx, "org-a", PeerKey{ID: "k2", Public: keyA2.Public().(ed25519.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddPeerKey(ctx, "org-a", PeerKey{ID: "k2", Public: keyA2.Public().(ed25519.PublicKey)}); !errors.Is(err, ErrInvalidPeer) {
		t.Errorf("duplicate key id: %v", err)
	}
	mustImport(t, b, export("k2", keyA2))
	if err := b.RevokePeerKey(ctx, "org-a", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, bytes.NewReader(export("k1", keyA1)), nil); !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrKeyRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	mustImport(t, b, export("k2", keyA2))
	if err := b.RevokePeerKey(ctx, "org-a", "k7"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown key: %v", err)
	}
}

// signedBundle writes a bundle by hand, as a hostile or buggy producer
// might, properly signed with key k1.
func signedBundle(t testing.TB, h *pb.Header, set bundle.SetDigest, entries ...*pb.Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, h, keyA1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(set); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Signed bundles the database must still refuse, all or nothing.
func TestImportRefusesSigned(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	if err := a.Put(ctx, orgItem("org-a", "x", 1, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	full, _ := exportTo(t, a, true, false)
	mustImport(t, b, full)
	before := snapshot(t, b)

	good := itemToProto(&Item{Key: Key{Source: "org-a", ID: "y"}, Signals: []signal.Signal{testSignal(signal.PDQ, 9)}, TLP: tlp.Green})
	badLabel := itemToProto(&Item{Key: Key{Source: "org-a", ID: "z"}, Signals: []signal.Signal{testSignal(signal.PDQ, 10)}, TLP: tlp.Green, Labels: []string{"BAD LABEL"}})
	var goodSet bundle.SetDigest
	goodSet.Add(bundle.ItemHash(good))
	cp, _ := b.Peer("org-a")
	delta := func() *pb.Header {
		return &pb.Header{Producer: "org-a", KeyId: "k1", Kind: pb.BundleKind_BUNDLE_KIND_DELTA, FromSeq: cp.Checkpoint.Seq, ToSeq: cp.Checkpoint.Seq + 5, PreviousDigest: cp.Checkpoint.BundleDigest, Audience: "org-b"}
	}
	// The set after the delta: x (from the full bundle) and y.
	var afterSet bundle.SetDigest
	// x as A sent it.
	ax, _ := a.Get(Key{Source: "org-a", ID: "x"})
	afterSet.Add(bundle.ItemHash(itemToProto(&ax)))
	afterSet.Add(bundle.ItemHash(good))
	upsert := func(it *pb.Item) *pb.Entry { return &pb.Entry{Change: &pb.Entry_Upsert{Upsert: it}} }
	otherAud := delta()
	otherAud.Audience = "org-z"
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"bad label", signedBundle(t, delta(), afterSet, upsert(good), upsert(badLabel)), ErrInvalidItem},
		{"diverged", signedBundle(t, delta(), goodSet, upsert(good)), ErrDiverged},
		{"other audience", signedBundle(t, otherAud, afterSet, upsert(good)), ErrAudience},
		{"opinion for another org", signedBundle(t, delta(), afterSet, upsert(good), &pb.Entry{Change: &pb.Entry_Opinion{Opinion: &pb.Opinion{
			Target: &pb.Opinion_Item{Item: &pb.ItemKey{Source: "org-b", Id: "q"}}, Verdict: pb.Verdict_VERDICT_CONFIRMED, Org: "org-c"}}}), ErrInvalidOpinion},
	}
	for _, tt := range tests {
		if _, err := b.Import(ctx, bytes.NewReader(tt.b), nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		if after := snapshot(t, b); after != before {
			t.Fatalf("%s changed the database", tt.name)
		}
	}
	// The same delta done right applies.
	mustImport(t, b, signedBundle(t, delta(), afterSet, upsert(good)))
	if _, err := b.Get(Key{Source: "org-a", ID: "y"}); err != nil {
		t.Error(err)
	}
}

// Every single-byte change and every truncation of a bundle is refused,
// and leaves the recipient exactly as it was.
func TestImportTamper(t *testing.T) {
	ctx := context.Background()
	a, b := orgPair(t)
	if err := a.Put(ctx, orgItem("org-a", "x", 1, tlp.Green), orgItem("org-a", "y", 2, tlp.Amber)); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOpinion(ctx, Opinion{Signal: testSignal(signal.MD5, 9), Verdict: FalsePositive}); err != nil {
		t.Fatal(err)
	}
	plain, _ := exportTo(t, a, true, false)
	if err := a.Put(ctx, orgItem("org-a", "z", 3, tlp.Green)); err != nil {
		t.Fatal(err)
	}
	gz, _ := exportTo(t, a, false, true)
	mustImport(t, b, plain)
	before := snapshot(t, b)
	dir := t.TempDir()
	{
		in := gz
		for i := range in {
			c := bytes.Clone(in)
			c[i] ^= 0xff
			if _, err := b.Import(ctx, bytes.NewReader(c), &ImportOptions{TempDir: dir}); err == nil {
				t.Fatalf("byte %d of %d flipped: imported", i, len(in))
			}
		}
		for n := range len(in) {
			if _, err := b.Import(ctx, bytes.NewReader(in[:n]), &ImportOptions{TempDir: dir}); err == nil {
				t.Fatalf("first %d of %d bytes: imported", n, len(in))
			}
		}
	}
	// The plain full bundle, tampered, on a fresh recipient.
	_, b2 := orgPair(t)
	before2 := snapshot(t, b2)
	for i := range plain {
		c := bytes.Clone(plain)
		c[i] ^= 0xff
		if _, err := b2.Import(ctx, bytes.NewReader(c), &ImportOptions{TempDir: dir}); err == nil {
			t.Fatalf("byte %d of %d flipped: imported", i, len(plain))
		}
	}
	for n := range len(plain) {
		if _, err := b2.Import(ctx, bytes.NewReader(plain[:n]), &ImportOptions{TempDir: dir}); err == nil {
			t.Fatalf("first %d of %d bytes: imported", n, len(plain))
		}
	}
	if snapshot(t, b) != before || snapshot(t, b2) != before2 {
		t.Fatal("a refused import changed the database")
	}
	mustImport(t, b, gz)
	mustImport(t, b2, plain)
}

func TestExportRefuses(t *testing.T) {
	ctx := context.Background()
	a, _ := orgPair(t)
	var buf bytes.Buffer
	tests := []struct {
		name string
		opts ExportOptions
		want error
	}{
		{"no key", ExportOptions{Audience: "org-b", KeyID: "k1"}, ErrInvalidOptions},
		{"short key", ExportOptions{Audience: "org-b", Signer: keyA1[:20]}, ErrInvalidOptions},
		{"empty signing key", ExportOptions{Audience: "org-b", Signer: &signing.Key{ID: "k1"}}, ErrInvalidOptions},
		{"unknown audience", ExportOptions{Audience: "org-q", KeyID: "k1", Signer: keyA1}, ErrNotFound},
		{"own org", ExportOptions{Audience: "org-a", KeyID: "k1", Signer: keyA1}, ErrInvalidOptions},
		{"since the future", ExportOptions{Audience: "org-b", KeyID: "k1", Signer: keyA1, Since: 99}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		if _, err := a.Export(ctx, &buf, tt.opts); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if cp, _ := a.LastExport("org-b"); cp.Seq != 0 || cp.BundleDigest != nil {
		t.Errorf("refused exports recorded %+v", cp)
	}
}

// A public bundle carries only CLEAR and GREEN, whatever the policies.
func TestExportPublic(t *testing.T) {
	ctx := context.Background()
	a, _ := orgPair(t)
	if err := a.Put(ctx, orgItem("org-a", "g", 1, tlp.Green), orgItem("org-a", "a", 2, tlp.Amber), orgItem("org-a", "c", 3, tlp.Clear)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := a.Export(ctx, &buf, ExportOptions{KeyID: "k1", Signer: keyA1}); err != nil {
		t.Fatal(err)
	}
	r, err := bundle.NewReader(&buf, func(string, string) (ed25519.PublicKey, error) { return keyA1.Public().(ed25519.PublicKey), nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		ids = append(ids, e.GetUpsert().GetId())
	}
	if fmt.Sprint(ids) != "[g c]" || r.Header().GetAudience() != "" {
		t.Errorf("public bundle carries %v", ids)
	}
}
