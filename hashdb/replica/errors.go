package replica

import "errors"

// Errors of publishing and following. Whatever the error, a follower's
// database is left as the last good import left it.
var (
	// ErrNoManifest reports a bucket with no manifest yet.
	ErrNoManifest = errors.New("no manifest in the bucket")
	// ErrManifest reports a manifest that cannot be used: malformed,
	// signed by a key the peers table does not trust, or badly signed.
	ErrManifest = errors.New("bad manifest")
	// ErrSignature reports a manifest whose signature does not verify.
	ErrSignature = errors.New("manifest signature does not verify")
	// ErrStaleManifest reports a manifest older than what the replica
	// holds: a replayed or rolled-back manifest, refused.
	ErrStaleManifest = errors.New("manifest older than the replica")
	// ErrBlob reports a bundle the manifest names that is missing, or
	// whose bytes are not those the manifest names.
	ErrBlob = errors.New("bad or missing blob")
	// ErrDiverged reports a replica whose set digest differs from the
	// manifest's even after loading the FULL bundle.
	ErrDiverged = errors.New("replica diverged from the manifest")
	// ErrPrune reports blobs a publisher could not delete after writing
	// its manifest; the manifest is written and the blobs are harmless.
	ErrPrune = errors.New("pruning old blobs")
)
