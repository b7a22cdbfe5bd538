package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signing"
	"github.com/hashshare/hashshare/hashdb/tlp"
)

func usageOf(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.usage
		}
	}
	return name
}

func runKeygen(e *env, args []string) int {
	fs := e.flags(usageOf("keygen"))
	out := fs.String("out", "", "the key `file` to create (never overwritten)")
	org := fs.String("org", "", "the `organisation` the key signs for, recorded in the file for export")
	asJSON := fs.Bool("json", false, "print the public key and key id as JSON")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *out == "" || len(rest) > 0 {
		return e.usageError(fs, "want --out KEYFILE and nothing else")
	}
	k, err := writeKeyFile(*out, *org)
	if err != nil {
		return e.fail(err)
	}
	pub := hex.EncodeToString(k.Public().(ed25519.PublicKey))
	if *asJSON {
		return encodeJSON(e, map[string]string{"public_key": pub, "key_id": k.ID, "file": *out})
	}
	fmt.Fprintf(e.stdout, "public key: %s\nkey id: %s\n", pub, k.ID)
	fmt.Fprintf(e.stderr, "%s: wrote %s; partners trust it with: hashdb peer add --id ORG --key %s\n", e.name, *out, pub)
	return exitOK
}

func runPeer(e *env, args []string) int {
	if len(args) == 0 {
		return e.errorf("want a sub-command: add, list or remove\nusage: hashdb %s", usageOf("peer"))
	}
	sub, args := args[0], args[1:]
	e.name += " " + sub
	switch sub {
	case "add":
		return peerAdd(e, args)
	case "list":
		return peerList(e, args)
	case "remove":
		return peerRemove(e, args)
	}
	return e.errorf("unknown sub-command %q\nusage: hashdb %s", sub, usageOf("peer"))
}

func peerAdd(e *env, args []string) int {
	fs := e.flags(usageOf("peer"))
	dbPath := dbFlag(fs)
	id := fs.String("id", "", "the partner's organisation `id` (required)")
	keyArg := fs.String("key", "", "the partner's public `key`, as its hashdb keygen printed it (required)")
	kid := fs.String("key-id", "", "the key's `id` in the partner's bundles (default: derived from the key, as keygen does)")
	name := fs.String("name", "", "a display `name`")
	accept := tlp.AmberStrict
	fs.Var(tlpFlag{&accept}, "accept", "the most restrictive sharing `level` accepted from the partner")
	share := tlp.Green
	fs.Var(tlpFlag{&share}, "share", "the most restrictive `level` exported to the partner")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *id == "" || *keyArg == "" || len(rest) > 0 {
		return e.usageError(fs, "want --id ORG and --key PUBKEY")
	}
	pub, err := signing.ParsePublicKey(*keyArg)
	if err != nil {
		return e.usageError(fs, "--key: %v", err)
	}
	if *kid == "" {
		*kid = signing.KeyID(pub)
	}
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	key := hashdb.PeerKey{ID: *kid, Public: pub}
	p, err := db.Peer(*id)
	switch {
	case errors.Is(err, hashdb.ErrNotFound):
		// A new partner.
		err = db.AddPeer(e.ctx, hashdb.Peer{ID: *id, Name: *name, Keys: []hashdb.PeerKey{key},
			Policy: hashdb.Policy{MaxTLP: accept, Share: share}})
		if err == nil {
			fmt.Fprintf(e.stdout, "added peer %s with key %s\n", *id, *kid)
		}
	case err != nil:
	case slices.ContainsFunc(p.Keys, func(k hashdb.PeerKey) bool { return k.ID == *kid && k.Public.Equal(pub) }):
		fmt.Fprintf(e.stdout, "peer %s already trusts key %s\n", *id, *kid)
	default:
		// A known partner's new key: keep its checkpoint and policy.
		err = db.AddPeerKey(e.ctx, *id, key)
		if err == nil {
			fmt.Fprintf(e.stdout, "added key %s to peer %s\n", *kid, *id)
		}
	}
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

// peerJSON is one peer in "peer list --json".
type peerJSON struct {
	ID     string        `json:"id"`
	Name   string        `json:"name,omitempty"`
	Keys   []peerKeyJSON `json:"keys"`
	Accept string        `json:"accept"`
	Share  string        `json:"share,omitempty"`
	Seq    uint64        `json:"checkpoint"`
}

type peerKeyJSON struct {
	ID      string `json:"id"`
	Public  string `json:"public_key"`
	Revoked bool   `json:"revoked,omitempty"`
}

func peerList(e *env, args []string) int {
	fs := e.flags(usageOf("peer"))
	dbPath := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per peer")
	db, code := e.openFlagsOnly(fs, dbPath, args)
	if db == nil {
		return code
	}
	peers, err := db.Peers()
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "PEER\tKEYS\tACCEPT\tSHARE\tCHECKPOINT")
	}
	for _, p := range peers {
		j := peerJSON{ID: p.ID, Name: p.Name, Accept: p.Policy.MaxTLP.String(), Seq: p.Checkpoint.Seq}
		if p.Policy.Share != 0 {
			j.Share = p.Policy.Share.String()
		}
		var ids []string
		for _, k := range p.Keys {
			j.Keys = append(j.Keys, peerKeyJSON{ID: k.ID, Public: hex.EncodeToString(k.Public), Revoked: !k.Revoked.IsZero()})
			if k.Revoked.IsZero() {
				ids = append(ids, k.ID)
			}
		}
		if *asJSON {
			if st := encodeJSON(e, j); st != exitOK {
				return closeDB(e, db, st)
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\n", p.ID, len(ids), j.Accept, j.Share, j.Seq)
	}
	if err := tw.Flush(); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

func peerRemove(e *env, args []string) int {
	fs := e.flags(usageOf("peer"))
	dbPath := dbFlag(fs)
	id := fs.String("id", "", "the partner's organisation `id`")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if *id == "" || len(rest) > 0 {
		return e.usageError(fs, "want --id ORG")
	}
	db, err := openDB(*dbPath, "", false)
	if err != nil {
		return e.fail(err)
	}
	if err := db.RemovePeer(e.ctx, *id); err != nil {
		return closeDB(e, db, e.fail(err))
	}
	return closeDB(e, db, exitOK)
}

func runExport(e *env, args []string) int {
	fs := e.flags(usageOf("export"))
	dbPath := dbFlag(fs)
	keyPath := fs.String("key", "", "the signing key `file` (hashdb keygen)")
	org := fs.String("org", "", "the exporting `organisation` (default: the key file's, else the one source that is not a peer)")
	since := fs.Uint64("since", 0, "export the changes after sequence number `N` (resending them)")
	full := fs.Bool("full", false, "export everything shareable, replacing what recipients hold from this database")
	gz := fs.Bool("gzip", false, "compress the bundle")
	out := fs.String("out", "", "the bundle `file` to write")
	rest, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	switch {
	case *keyPath == "" || *out == "" || len(rest) > 0:
		return e.usageError(fs, "want --key KEYFILE and --out BUNDLE")
	case *full && *since != 0:
		return e.usageError(fs, "--full and --since are exclusive")
	}
	key, err := readSigner(*keyPath, org, *dbPath)
	if err != nil {
		return e.fail(err)
	}
	db, err := openDB(*dbPath, *org, false)
	if err != nil {
		return e.fail(err)
	}
	cp, err := exportTo(e, db, *out, hashdb.ExportOptions{Full: *full, Since: *since, KeyID: key.ID, Signer: key.Key, Gzip: *gz})
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	kind := "delta"
	if *full {
		kind = "full"
	}
	fmt.Fprintf(e.stdout, "exported %s bundle from %s up to change %d to %s, digest %x\n", kind, *org, cp.Seq, *out, cp.BundleDigest)
	return closeDB(e, db, exitOK)
}

// exportTo writes the bundle to a temporary file beside out and renames it
// into place, so that out is either absent or a whole bundle. Export
// records what it sent only when writing succeeds. The temporary file's
// name is fixed, ".<out>.partial": one a killed export left is replaced
// by the next export to out, not left to pile up. The database, open for
// writing, is locked to this process, so no other export shares the name.
func exportTo(e *env, db *hashdb.DB, out string, opts hashdb.ExportOptions) (hashdb.Checkpoint, error) {
	f, err := os.OpenFile(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".partial"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return hashdb.Checkpoint{}, err
	}
	defer os.Remove(f.Name()) // fails once renamed
	defer f.Close()
	b := newBar(e, -1, true, "exporting")
	cp, err := db.Export(e.ctx, writer{f, b}, opts)
	b.done()
	if err != nil {
		return cp, err
	}
	if err = f.Sync(); err == nil {
		err = f.Close()
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		// The database has recorded the export; resending from the
		// previous checkpoint recovers.
		return cp, fmt.Errorf("the bundle up to change %d was recorded as exported but not written: %w (export again with --since)", cp.Seq, err)
	}
	return cp, nil
}

// readSigner reads the key file at keyPath and settles *org, the
// organisation that signs: as given, else the key file's, else the one
// the database at dbPath records.
func readSigner(keyPath string, org *string, dbPath string) (*signing.Key, error) {
	key, err := readKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	if *org == "" {
		*org = key.Organization
	}
	if *org == "" {
		if *org, err = guessOrg(dbPath); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// guessOrg names the organisation exporting from the database at path when
// neither --org nor the key file does: the one the file records (from an
// earlier --org), else the only source of live items that is not a peer.
func guessOrg(path string) (string, error) {
	db, err := openDB(path, "", true)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if org := db.Organization(); org != "" {
		return org, nil
	}
	st, err := db.Stats()
	if err != nil {
		return "", err
	}
	peers, err := db.Peers()
	if err != nil {
		return "", err
	}
	var own []string
	for src := range st.Sources {
		if !slices.ContainsFunc(peers, func(p hashdb.Peer) bool { return p.ID == src }) {
			own = append(own, src)
		}
	}
	slices.Sort(own)
	if len(own) == 1 {
		return own[0], nil
	}
	return "", fmt.Errorf("which organisation exports? %d sources are not peers %q: name it with --org ORG (or keygen --org)", len(own), own)
}

func runImport(e *env, args []string) int {
	fs := e.flags(usageOf("import"))
	dbPath := dbFlag(fs)
	org := fs.String("org", "", "this database's `organisation`, for bundles addressed to it")
	files, err := parse(fs, args)
	if err != nil {
		return exitError
	}
	if len(files) != 1 {
		return e.usageError(fs, "want one BUNDLE file")
	}
	f, err := os.Open(files[0])
	if err != nil {
		return e.fail(err)
	}
	defer f.Close()
	var size int64 = -1
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	db, err := openDB(*dbPath, *org, false)
	if err != nil {
		return e.fail(err)
	}
	b := newBar(e, size, true, "importing")
	res, err := db.Import(e.ctx, reader{f, b}, nil)
	b.done()
	if err != nil {
		if errors.Is(err, hashdb.ErrUnknownPeer) {
			err = fmt.Errorf("%w (trust the producer first: hashdb peer add --id ORG --key PUBKEY)", err)
		}
		return closeDB(e, db, e.fail(err))
	}
	kind := "delta"
	if res.Full {
		kind = "full"
	}
	if res.Unchanged {
		fmt.Fprintf(e.stdout, "%s: already imported (%s bundle from %s up to change %d)\n", files[0], kind, res.Peer, res.Checkpoint.Seq)
	} else {
		fmt.Fprintf(e.stdout, "imported %s bundle from %s up to change %d: %d entries, %d refused\n", kind, res.Peer, res.Checkpoint.Seq, res.Entries, res.Refused)
	}
	return closeDB(e, db, exitOK)
}

// encodeJSON prints v as one line of JSON.
func encodeJSON(e *env, v any) int {
	if err := json.NewEncoder(e.stdout).Encode(v); err != nil {
		return e.fail(err)
	}
	return exitOK
}
