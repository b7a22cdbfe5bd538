package signing_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signing"
)

// A signing key is made once, kept as PEM (hashdb keygen writes such a
// file), and given to Export as its Signer; partners trust its public
// half under the id KeyID derives.
func ExampleKey() {
	k, err := signing.GenerateKey("org-a")
	if err != nil {
		panic(err)
	}
	pemBytes, _ := k.MarshalPEM()
	back, err := signing.ParseKey(pemBytes)
	if err != nil {
		panic(err)
	}
	pub := back.Public().(ed25519.PublicKey)
	fmt.Println(back.Organization, back.ID == signing.KeyID(pub), len(signing.KeyID(pub)))
	_ = hashdb.ExportOptions{Audience: "org-b", Signer: back} // KeyID defaults to back.ID
	// Output: org-a true 16
}
