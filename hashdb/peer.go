package hashdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// A Peer is a partner organisation the local one exchanges bundles with.
type Peer struct {
	// ID is the partner's organisation id, the source of the items it
	// shares (same form as [Key.Source]).
	ID string
	// Name is a display name.
	Name string
	// Keys are the partner's signing keys, current and revoked.
	Keys []PeerKey
	// Policy is what the local organisation accepts from the partner.
	Policy Policy
	// Checkpoint is how far the local database has followed the partner.
	Checkpoint Checkpoint
}

// A PeerKey is one of a partner's Ed25519 signing keys.
type PeerKey struct {
	// ID is the partner's name for the key, as bundles cite it.
	ID string
	// Public is the 32-byte public key.
	Public ed25519.PublicKey
	// Added is when the key was trusted.
	Added time.Time
	// Revoked is when the key stopped being trusted; zero while in force.
	Revoked time.Time
}

// A Policy is what the local organisation accepts from a partner.
type Policy struct {
	// MaxTLP is the most restrictive level accepted; zero accepts nothing.
	MaxTLP tlp.Level
	// Labels, if not empty, accepts only items carrying one of them.
	Labels []string
	// Share is the most restrictive level exported to the partner: zero
	// means tlp.Green; tlp.Amber or tlp.AmberStrict let AMBER items go to this
	// partner by name. RED items are never exported.
	Share tlp.Level
}

// A Checkpoint records the last bundle imported from a partner.
type Checkpoint struct {
	// Seq is the partner's last change sequence number imported.
	Seq uint64
	// BundleDigest is the digest of that bundle, which the next must cite.
	BundleDigest []byte
	// Time is when it was imported.
	Time time.Time
}

// maxNameLen bounds peer names and key ids.
const maxNameLen = 256

func validatePeer(p *Peer) error {
	if err := validateOrg(p.ID); err != nil {
		return err
	}
	if len(p.Name) > maxNameLen || !utf8.ValidString(p.Name) {
		return fmt.Errorf("name: longer than %d bytes or not UTF-8", maxNameLen)
	}
	ids := make(map[string]bool)
	for i, k := range p.Keys {
		switch {
		case k.ID == "" || len(k.ID) > maxNameLen || !utf8.ValidString(k.ID):
			return fmt.Errorf("key %d: id must be 1 to %d bytes of UTF-8", i, maxNameLen)
		case ids[k.ID]:
			return fmt.Errorf("key %d: id %q appears twice", i, k.ID)
		case len(k.Public) != ed25519.PublicKeySize:
			return fmt.Errorf("key %q: %d bytes, want a %d-byte Ed25519 public key", k.ID, len(k.Public), ed25519.PublicKeySize)
		}
		ids[k.ID] = true
		for _, t := range []time.Time{k.Added, k.Revoked} {
			if _, err := canonicalTime("key time", t); err != nil {
				return fmt.Errorf("key %q: %v", k.ID, err)
			}
		}
	}
	if p.Policy.MaxTLP != 0 && !p.Policy.MaxTLP.Valid() {
		return fmt.Errorf("policy: %w: %d", tlp.ErrInvalid, uint8(p.Policy.MaxTLP))
	}
	if p.Policy.Share != 0 && (!p.Policy.Share.Valid() || p.Policy.Share == tlp.Red) {
		return fmt.Errorf("policy: share level %v (want CLEAR to AMBER+STRICT; RED is never exported)", p.Policy.Share)
	}
	for _, l := range p.Policy.Labels {
		if err := validateLabel(l); err != nil {
			return fmt.Errorf("policy: %w", err)
		}
	}
	if _, err := canonicalTime("checkpoint time", p.Checkpoint.Time); err != nil {
		return err
	}
	return nil
}

func peerToProto(p *Peer) *pb.Peer {
	m := &pb.Peer{
		Id:   p.ID,
		Name: p.Name,
		Policy: &pb.Policy{
			MaxTlp:      pb.TLP(p.Policy.MaxTLP),
			Labels:      p.Policy.Labels,
			ShareMaxTlp: pb.TLP(p.Policy.Share),
		},
		Checkpoint: &pb.Checkpoint{
			Seq:          p.Checkpoint.Seq,
			BundleDigest: p.Checkpoint.BundleDigest,
			TimeUnixNano: unixNano(p.Checkpoint.Time),
		},
	}
	for _, k := range p.Keys {
		m.Keys = append(m.Keys, &pb.PeerKey{
			KeyId:           k.ID,
			PublicKey:       k.Public,
			AddedUnixNano:   unixNano(k.Added),
			RevokedUnixNano: unixNano(k.Revoked),
		})
	}
	return m
}

// decodePeer decodes a peers bucket entry. Errors wrap [ErrCorrupt].
func decodePeer(key, val []byte) (Peer, error) {
	var m pb.Peer
	if err := proto.Unmarshal(val, &m); err != nil {
		return Peer{}, fmt.Errorf("%w: peer %q: %v", ErrCorrupt, key, err)
	}
	p := Peer{
		ID:   m.GetId(),
		Name: m.GetName(),
		Policy: Policy{
			Labels: m.GetPolicy().GetLabels(),
		},
		Checkpoint: Checkpoint{
			Seq:          m.GetCheckpoint().GetSeq(),
			BundleDigest: m.GetCheckpoint().GetBundleDigest(),
			Time:         fromUnixNano(m.GetCheckpoint().GetTimeUnixNano()),
		},
	}
	if t := m.GetPolicy().GetMaxTlp(); t >= 0 && t < 256 {
		p.Policy.MaxTLP = tlp.Level(t)
	} else {
		p.Policy.MaxTLP = 255 // invalid: validatePeer rejects it
	}
	if t := m.GetPolicy().GetShareMaxTlp(); t >= 0 && t < 256 {
		p.Policy.Share = tlp.Level(t)
	} else {
		p.Policy.Share = 255
	}
	for _, k := range m.GetKeys() {
		p.Keys = append(p.Keys, PeerKey{
			ID:      k.GetKeyId(),
			Public:  ed25519.PublicKey(k.GetPublicKey()),
			Added:   fromUnixNano(k.GetAddedUnixNano()),
			Revoked: fromUnixNano(k.GetRevokedUnixNano()),
		})
	}
	if err := validatePeer(&p); err != nil {
		return Peer{}, fmt.Errorf("%w: peer %q: %v", ErrCorrupt, key, err)
	}
	if !bytes.Equal(key, []byte(p.ID)) {
		return Peer{}, fmt.Errorf("%w: peer %q stored under key %q", ErrCorrupt, p.ID, key)
	}
	return p, nil
}

// AddPeer stores p, replacing the peer with the same ID. Peers are local
// configuration, not part of the exchanged data, so the change log does not
// record them. Errors for a bad peer wrap [ErrInvalidPeer].
func (db *DB) AddPeer(ctx context.Context, p Peer) error {
	op := fmt.Sprintf("add peer %q", p.ID)
	if err := validatePeer(&p); err != nil {
		return opError(op, fmt.Errorf("%w: %v", ErrInvalidPeer, err))
	}
	v, err := marshal.Marshal(peerToProto(&p))
	if err != nil {
		return opError(op, err)
	}
	return opError(op, db.update(ctx, func(w *writer) error {
		return w.peers().Put([]byte(p.ID), v)
	}))
}

// Peer returns the peer with the given id; the error wraps [ErrNotFound] if
// there is none.
func (db *DB) Peer(id string) (Peer, error) {
	var p Peer
	err := db.view(func(v *view) error {
		var err error
		p, err = loadPeer(v.Bucket(store.BucketPeers), id)
		return err
	})
	return p, opError("peer", err)
}

// Peers returns every peer, ordered by id.
func (db *DB) Peers() ([]Peer, error) {
	var ps []Peer
	err := db.view(func(v *view) error {
		return v.Bucket(store.BucketPeers).ForEach(func(k, v []byte) error {
			p, err := decodePeer(k, v)
			ps = append(ps, p)
			return err
		})
	})
	return ps, opError("peers", err)
}

// RemovePeer deletes the peer with the given id; the error wraps
// [ErrNotFound] if there is none.
func (db *DB) RemovePeer(ctx context.Context, id string) error {
	return opError(fmt.Sprintf("remove peer %q", id), db.update(ctx, func(w *writer) error {
		b := w.peers()
		if b.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(id))
	}))
}

// AddPeerKey adds a signing key to the peer with the given id, keeping its
// other keys, policy and checkpoint: how a partner rotates keys. Bundles
// name the key they are signed with by its ID, so old and new keys may
// overlap. The error wraps [ErrNotFound] if there is no such peer and
// [ErrInvalidPeer] if the key's ID is taken or the key is malformed.
func (db *DB) AddPeerKey(ctx context.Context, peer string, k PeerKey) error {
	if k.Added.IsZero() {
		k.Added = db.opts.now()
	}
	err := db.editPeer(ctx, peer, func(p *Peer) error {
		p.Keys = append(p.Keys, k)
		return nil
	})
	return opError(fmt.Sprintf("add key %q to peer %q", k.ID, peer), err)
}

// RevokePeerKey marks a peer's key revoked: bundles signed with it are
// refused from now on, whenever they were signed (a stolen key could
// backdate them). The error wraps [ErrNotFound] if there is no such peer
// or key.
func (db *DB) RevokePeerKey(ctx context.Context, peer, keyID string) error {
	now := db.opts.now()
	err := db.editPeer(ctx, peer, func(p *Peer) error {
		for i := range p.Keys {
			if p.Keys[i].ID == keyID {
				if p.Keys[i].Revoked.IsZero() {
					p.Keys[i].Revoked = now
				}
				return nil
			}
		}
		return fmt.Errorf("%w: peer %q has no key %q", ErrNotFound, peer, keyID)
	})
	return opError(fmt.Sprintf("revoke key %q of peer %q", keyID, peer), err)
}

// editPeer changes a stored peer in one transaction.
func (db *DB) editPeer(ctx context.Context, id string, edit func(p *Peer) error) error {
	return db.update(ctx, func(w *writer) error {
		p, err := loadPeer(w.peers(), id)
		if err != nil {
			return err
		}
		if err := edit(&p); err != nil {
			return err
		}
		return storePeer(w.peers(), &p)
	})
}

// peers returns the peers bucket of the write.
func (w *writer) peers() *store.Bucket { return w.t.Bucket(store.BucketPeers) }

func loadPeer(peers getter, id string) (Peer, error) {
	v := peers.Get([]byte(id))
	if v == nil {
		return Peer{}, fmt.Errorf("%w: no peer %q", ErrNotFound, id)
	}
	return decodePeer([]byte(id), v)
}

func storePeer(peers *store.Bucket, p *Peer) error {
	if err := validatePeer(p); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPeer, err)
	}
	v, err := marshal.Marshal(peerToProto(p))
	if err != nil {
		return err
	}
	return peers.Put([]byte(p.ID), v)
}

// key returns the public key p signs with under keyID.
func (p *Peer) key(keyID string) (ed25519.PublicKey, error) {
	for _, k := range p.Keys {
		if k.ID != keyID {
			continue
		}
		if !k.Revoked.IsZero() {
			return nil, fmt.Errorf("%w: since %v", ErrKeyRevoked, k.Revoked.Format(time.RFC3339))
		}
		return k.Public, nil
	}
	return nil, fmt.Errorf("peer %q has no key %q", p.ID, keyID)
}
