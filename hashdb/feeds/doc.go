// Package feeds fetches hash lists from the live exchanges
// trust-and-safety teams belong to (Meta's ThreatExchange, Tech Against
// Terrorism's TCAP, NCMEC's hash sharing API and StopNCII) into a
// hashdb database, resumably, and reports the local organisation's
// opinions back to them.
//
// # Fetching
//
// [Fetch] follows one [Feed] (a [ThreatExchange], [TCAP], [NCMEC] or
// [StopNCII] client) page by page. Each page is read by the hashdb/lists
// reader of its format, so that what a fetch stores is what ingesting
// the saved answer would store, and applied with [hashdb.DB.Apply]: the
// page's items, deletes and opinions and the feed's new
// [hashdb.FeedState] in one transaction. A fetch that fails, crashes or
// is cancelled leaves the database as the last complete page left it,
// and the next one goes on from there: nothing lost, nothing twice.
//
// Each API's checkpoint follows its own rules. ThreatExchange's is the
// largest last_updated of the records, TCAP's the checkpoint of its
// last page (entries come in ascending order), StopNCII's the
// nextSetTimestamp of a finished set; NCMEC's entries come in no time
// order, so its largest timestamp is trusted only once a query is
// exhausted, and its stored next page only for 12 hours and the same
// from/to. A ThreatExchange checkpoint not advanced for 85 days (TE
// keeps deletes for 90) and a StopNCII one not advanced for 30 are stale:
// the feed is fetched again from the start. Deletes are tombstones,
// which never expire.
//
// # Full fetches
//
// A fetch from the start (the first, or after staleness) is full: once
// it is exhausted, what the feed delivered before and no longer lists is
// retracted, as a FULL bundle retracts only what its producer sent
// before and no longer carries. Several feeds may file items under one
// source (two collaborations of an API both default to the API's name),
// and so may lists ingested under it: a feed speaks only for its own.
// The database keeps each feed's membership, the items it delivered and
// has not deleted since ([hashdb.DB.FeedMembers]), in the transaction of
// each page. The end of a full fetch takes out of the membership every
// member the fetch did not see, and retracts it unless another feed's
// membership holds it (that feed still lists it). Items the feed never
// delivered are never retracted by its full fetch. A delete the exchange
// sends is another matter: it names its item, and retracts it whoever
// delivered it.
//
// A fetch interrupted mid-way leaves the membership as its last complete
// page left it, and the fetch resumed goes on with the same full fetch.
// Forgetting a feed ([hashdb.DB.ForgetFeed]) forgets its membership: its
// next fetch is a new feed's and retracts nothing stored before. A
// database written before memberships were kept has none for its feeds:
// the items they stored before are never retracted as unlisted (nothing
// proves which feed delivered them), and each membership grows from the
// feed's first page fetched after, so that it is whole once a full fetch
// has delivered again everything the feed lists.
//
// # Transport
//
// Every request goes through a [Transport] over a caller-supplied
// *http.Client: a timeout per request, retries with exponential backoff
// and jitter after network errors, truncated bodies and 5xx answers, 429
// answers waited out as their Retry-After says, a cap on an answer's
// bytes and a bounded page size. TLS is always verified; [NewClient]
// adds a private CA. Credentials never appear in errors: URLs are
// written without their query, and every secret is scrubbed from the
// text. Next-page URLs must stay on the base URL's host, so that a
// hostile answer cannot send the credentials elsewhere.
//
// # Reporting back
//
// [Report] sends the local organisation's opinions on a feed's items
// (confirmed, disputed, false positive) to the exchange: NCMEC
// fingerprint feedback, StopNCII SubmitFeedback, ThreatExchange
// reactions. Each is recorded as sent ([hashdb.DB.MarkReported]) once
// the exchange has taken it, so a retry does not send it twice; it is
// sent again only if the opinion changes. TCAP takes no feedback.
package feeds

import "errors"

// Sentinel errors, for errors.Is.
var (
	// ErrNetwork reports a request that failed in transit, after its
	// retries: no answer, or one cut short.
	ErrNetwork = errors.New("feeds: network error")
	// ErrStatus reports an answer with a failing HTTP status.
	ErrStatus = errors.New("feeds: failing HTTP status")
	// ErrAuth reports credentials the exchange refused (401, 403).
	ErrAuth = errors.New("feeds: credentials refused")
	// ErrRateLimited reports 429 answers beyond the retries.
	ErrRateLimited = errors.New("feeds: rate limited")
	// ErrTooLarge reports an answer longer than Transport.MaxBody.
	ErrTooLarge = errors.New("feeds: answer too large")
	// ErrProtocol reports an answer that does not follow the API: not
	// its format, a next page elsewhere than the base URL, a missing
	// token.
	ErrProtocol = errors.New("feeds: answer does not follow the protocol")
	// ErrInsecure reports a TLS setup that would not verify servers.
	ErrInsecure = errors.New("feeds: insecure TLS")
	// ErrCredentials reports credentials missing a field the API needs.
	ErrCredentials = errors.New("feeds: incomplete credentials")
	// ErrNoFeedback reports a report to an API that takes none (TCAP).
	ErrNoFeedback = errors.New("feeds: the API takes no feedback")
)
