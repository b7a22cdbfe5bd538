package hashdb

import (
	"strconv"

	"github.com/hashshare/hashshare/internal/store"
)

// SentSetDigest returns the set digest of what audience ("" for public
// bundles) holds from this database as of the last export to it: the
// digest that export's bundle carried. It is zero before any export.
func (db *DB) SentSetDigest(audience string) (_ [32]byte, err error) {
	defer wrapErrOf(&err, func() string { return "set digest sent to " + strconv.Quote(audience) })
	return db.exchangeSetDigest(store.BucketSent, store.AudienceKey(audience))
}

// ReceivedSetDigest returns the set digest of what the database holds
// from peer, as of the last bundle imported from it: after a successful
// import it equals the digest the producer signed. It is zero before any
// import. A replica compares it with what its producer published.
func (db *DB) ReceivedSetDigest(peer string) (_ [32]byte, err error) {
	defer wrapErrOf(&err, func() string { return "set digest received from " + strconv.Quote(peer) })
	return db.exchangeSetDigest(store.BucketReceived, []byte(peer))
}

func (db *DB) exchangeSetDigest(bucket, name []byte) ([32]byte, error) {
	var d [32]byte
	err := db.view(func(v *view) error {
		b := v.Bucket(bucket, name)
		if b == nil {
			return nil
		}
		var err error
		d, err = store.ParseSetDigest(b.Get(store.KeySetDigest))
		return err
	})
	return d, err
}
