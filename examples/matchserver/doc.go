// Command matchserver serves a hashshare database over HTTP and JSON in
// two forms: a drop-in for Meta's Hasher-Matcher-Actioner (HMA) 2.0 API,
// so that an integration written for HMA works unchanged, and
// hashshare's own /v1 API, which carries everything the database knows.
//
//	matchserver -db hashes.db -tokens tokens.txt -addr :5100
//	matchserver token --name NAME --roles R[,R…] [--peer ORG]
//
// # The HMA routes
//
// Paths, parameters, key names, value types (distances as strings,
// content ids as integers), error texts ({"message": …}) and status codes
// are HMA's:
//
//	GET  /status, /status/live          "I-AM-ALIVE"
//	GET  /site-map                      the route paths
//	GET  /h/hash?url=…  POST /h/hash    hash media: {"pdq": "<hex>"}
//	GET  /m/lookup?signal_type=…&signal=…, ?url=…   POST /m/lookup (media)
//	GET  /m/raw_lookup  POST /m/compare  GET /m/index/status
//	GET  /c/banks  POST /c/banks  GET|PUT|DELETE /c/bank/<bank>
//	POST /c/bank/<bank>/signal  POST /c/bank/<bank>/content (media)
//	GET|PUT|DELETE /c/bank/<bank>/content/<id>
//	GET  /c/signal_type  GET /c/content_type
//	GET  /c/exchanges  POST /c/exchanges  GET /c/exchanges/apis
//	GET|POST /c/exchanges/api/<api>  GET /c/exchanges/api/<api>/schema
//	GET|PUT|DELETE /c/exchange/<name>  GET /c/exchange/<name>/status
//
// Signal types are python-threatexchange's: pdq (stored as hashshare's
// pdq), video_md5 (stored as md5) and vpdq (a video's frames, in pytx's
// string form, the JSON list of "<pdq hex>,<quality>,<seconds>" strings;
// stored as the item's video hash, [hashdb.Item.Video]); and tmk_pdqf,
// which pytx lacks, named in its style: the TMK+PDQF hash GIFCT members
// share, in ThreatExchange's string form ("TMK1FVECPDQF|" and base64,
// 351,125 characters; stored as [hashdb.Item.TMK]). /h/hash of a video
// gives video_md5 and vpdq, and tmk_pdqf too when types= names it or the
// server runs with -tmk: it adds a second output to the video's decode
// (about 1.2× the time of vPDQ alone), so it is not a default type
// otherwise. Without types= a video ffmpeg cannot
// decode (or a server without ffmpeg) still gets its video_md5, where
// types=vpdq (or tmk_pdqf) fails with the reason. A vpdq lookup is
// [hashdb.DB.MatchVideo] by pytx's rule and thresholds (frames agree at
// distance 31 or less, quality 50 or more; 80 % of the query's frames
// must agree), and its distance is pytx's pretty_str, as HMA writes it:
// "100%[93%]", the query's share of agreeing frames, then the stored
// video's. /m/compare of vpdq pairs answers pytx's compare_hash: [<match>,
// {"query_match_percent": …, "compared_match_percent": …}], the first
// hash the query. A tmk_pdqf lookup is [hashdb.DB.MatchTMK] at the
// reference's thresholds (level 1 and level 2 both 0.7), its distance the
// two scores as "hashdb match --tmk" prints them, "0.985554/0.988220";
// /m/compare of tmk_pdqf pairs answers [<match>, {"level1": …, "level2":
// …}] (level 2 is 0 when level 1 fails, as the reference skips it). A GET
// lookup carries the value in its URL: escape it (its base64 '+' would
// read as a space), and mind proxies' URL limits (the server takes 1 MiB
// of header). /m/index/status has no vpdq or tmk_pdqf entry: the database
// keeps no count of videos or TMK+PDQF hashes to give their sizes. Media is POSTed as a multipart form
// whose one file's field name is its content type, photo or video; url=
// fetches it, only when the operator allows it (-fetch-hosts) and only
// from allowed hosts, never from a loopback, private or link-local
// address unless -fetch-private says so. The address is checked when the
// connection is made, after name resolution, so a name that resolves
// differently the second time (DNS rebinding) gains nothing.
//
// # Banks
//
// A bank is a named collection of the local organisation's items
// ([hashdb.Bank]): an item is in bank EXAMPLE_BANK when it carries the
// label bank:example_bank, the name lower-cased (HMA's names are
// [A-Z_][A-Z0-9_]*, so the mapping is one to one). A label rather than a
// source, because a source says who vouches for an item, which is this
// organisation whatever the bank; and rather than a field of the server's
// own, because labels are what hashshare already filters, matches, shows
// (/v1 and the command line print them) and exchanges, so bank content
// is ordinary hashshare content. The bank record keeps HMA's
// matching_enabled_ratio; renaming a bank relabels its items in the same
// transaction, deleting it retracts them (tombstones, so partners that
// hold them learn they are withdrawn). New content is an item of the
// local organisation with a random id, the bank's label, and the sharing
// level -bank-tlp (AMBER unless set).
//
// A content id is the item's number ([hashdb.DB.Numbers]): a stable
// integer, never reused, the same after a restart. disable_until_ts and
// HMA's metadata are the item's [hashdb.LocalState], which is never
// exchanged: a disabled item does not match in /m/lookup but does in
// /m/raw_lookup, as in HMA. DELETE of content retracts the item. A lookup
// draws one number per request (from seed, if given, the number Python's
// random.Random(seed).random() gives, as in HMA) and keeps the banks
// whose ratio is at least that draw; GET lookups always draw, POST
// lookups skip it with bypass_coinflip=true, as HMA does.
//
// # Exchanges
//
// The /c/exchanges routes configure live exchanges, which the server
// fetches with hashdb/feeds. The APIs are python-threatexchange's names
// for them: fb_threatexchange (api_json {"privacy_group": <int>}), ncmec
// ({"environment": <pytx's NCMECEnvironment URL>}), stop_ncii and tat
// (TCAP), with no collaboration config. Credentials are set per API,
// POST /c/exchanges/api/<api> {"credential_json": {…}} with pytx's
// field names (api_token; user, password; fetch_function_key,
// subscription_key, base_url_override; username, password), and cleared
// by {"credential_json": {}}; the route answers only whether they are
// supported and set.
//
// As in HMA, POST /c/exchanges {"bank", "api", "api_json"} creates an
// exchange and a bank of the same name (403 if the name is taken), and
// DELETE removes both. Fetched items are filed as hashdb/feeds files
// them, under their own source ("stopncii", "ncmec", …; a second feed of
// one API gets "<api>-<bank>", since a full fetch retracts what its
// source no longer lists) and carry the bank's label. A bank thus holds
// two kinds of items: the local organisation's, which its content routes
// (/c/bank/<bank>/content…) add, show and remove, and the exchange's,
// which belong to their source: they match under the bank in /m/lookup
// and /m/raw_lookup, but only the exchange changes or withdraws them, and
// the content routes do not show them. Only the exchange's own source is
// matched under its bank: another source's item that carries the label
// is not. Deleting an exchange deletes its bank and forgets its
// checkpoint; what it fetched stays, under its source, matched by /v1
// but in no bank. A new exchange's first fetch is a full one, so that
// every item of the feed carries its bank's label.
//
// Exchange configs, their last fetch's result and the feeds' checkpoints
// are kept in the database (hashdb settings and feed states), so they
// survive a restart. Credentials are not: they are kept in a file of
// their own, -exchange-credentials (the database's path and
// ".credentials" unless set), written whole with mode 0600, and refused
// at start-up if others may read it. The database file is what gets
// copied, backed up and handed to an analyst, and its records are
// exported to partners; secrets belong in neither, and a separate file is
// one an operator can keep on other storage, rotate or delete without
// touching the data.
//
// Every -fetch-interval (5 minutes, each wait drawn within 10% so that
// servers started together drift apart; HMA's own fetcher runs each
// minute) the server fetches every enabled exchange in turn, one at a
// time, in the background: at start-up, then after each interval, and at
// once after an exchange is created or enabled or credentials are set.
// Each fetch resumes from the stored checkpoint and stores page by page,
// for at most -fetch-max-time (4 minutes, as HMA's fetcher), so that one
// long first fetch does not starve the others: it stops after a page and
// goes on in the next round, which then starts at once. On shutdown the
// fetch in progress is cancelled and keeps what its complete pages
// stored. Failures are logged with feeds' errors, which
// never hold credentials. /c/exchange/<name>/status reads the stored
// checkpoint (checkpoint_ts, and fetched_items: the items and deletes
// stored), the fetch running (running_fetch_start_ts) and the last
// result (last_fetch_complete_ts, last_fetch_succeeded, and up_to_date
// unless the fetch was cut short by its time).
// -exchange-report sends the organisation's opinions on an exchange's
// items back to it after each successful fetch (not to TCAP, which takes
// none); -exchange-base-url replaces APIs' public bases, and -exchange-ca
// adds a CA for exchanges served under a private one (TLS is always
// verified).
//
// Where HMA's behaviour is a defect, the server differs: PUT
// /c/exchange/<name> answers the config as GET does (HMA's handler
// writes the keys only); failures HMA leaves as 500s (a taken bank name,
// malformed credentials) are 4xx answers naming the problem. And it
// refuses what it cannot do: a second exchange of the same feed (API and
// collaboration), NCMEC's only_esp_ids filter, and renaming an
// exchange's bank, whose name its items' label carries.
//
// # The /v1 routes
//
//	POST /v1/hash                  hash media (raw body, or multipart "file"); ?tmk=true for a video's TMK+PDQF
//	POST /v1/match                 match media (?tmk=true as for /v1/hash), or JSON {"signals": [...], "vpdq": [...], "tmk_pdqf": [...], "thresholds": {...}, "tmk_thresholds": {...}}
//	GET  /v1/items/{source}/{id}   one item (a video's "vpdq" and "tmk_pdqf" as /v1/hash gives them)
//	GET  /v1/stats                 the database's counts, as "hashdb stats --json" prints them
//	POST /v1/bundles               import the caller's peer's signed bundle
//	GET  /v1/bundles?since=N       export a signed bundle for the caller's peer (needs -key)
//	GET  /healthz                  liveness
//	GET  /metrics                  Prometheus metrics
//
// A raw body whose first bytes sniff as media is taken whatever its
// Content-Type says, so curl --data-binary @photo.jpg works, and so does
// a video: /v1/hash gives its "vpdq" and "video" (what was decoded), and
// /v1/match its video matches ({"query": "vpdq", "video_matches": […]},
// pytx's rule and thresholds). With tmk=true (or on a server started
// with -tmk, unless tmk=false) a video's TMK+PDQF is computed too, from
// the same decode as its vPDQ: /v1/hash gives it as "tmk_pdqf", and
// /v1/match matches it after the vpdq, {"query": "tmk_pdqf", "matches":
// [], "tmk_matches": [{"signal": "tmk_pdqf", "level1": …, "level2": …,
// "items": […]}]}, at the reference's thresholds. A JSON match body's
// "vpdq" and "tmk_pdqf" are lists of such values (as /v1/hash gives
// them), matched the same way, one result each after those of "signals",
// vpdq first; "tmk_thresholds": {"level1": …, "level2": …} sets the TMK
// scores to reach (0: the reference's 0.7). A value that is not one is a
// 400 naming it ("tmk_pdqf[0]: invalid tmk hash: …").
// Errors are {"error": "..."}.
//
// # Access control
//
// -tokens names a file of bearer tokens, one a line:
//
//	sha256:<hex SHA-256 of the token> <name> <role>[,<role>…] [peer=<ORG>]
//
// with # comments; the file never holds a token itself, and "matchserver
// token" prints a new one and its line. A request sends "Authorization:
// Bearer <token>"; the token is compared in constant time, a request
// without a valid one gets 401, one whose token lacks the route's role
// 403, both in the route's error shape. The roles: hash (/h/hash,
// /v1/hash), match (lookups, compare, the index status, the type lists,
// /v1/match), curate (banks, content, /v1/items) and exchange (bundles,
// the exchange routes). Export goes only to the peer an exchange token is
// bound to, with what that peer may receive under TLP; import takes only
// a bundle that peer signed. /status, /status/live, /site-map and
// /healthz are open; /metrics needs any token, or its own -metrics-addr.
// The token's name is the actor of every change in the change log, and
// of each line of the access log (never the token). Without -tokens every
// route is open, so the server refuses to listen on anything but a
// loopback address.
//
// # Operations
//
// Each route's requests are counted and timed by promhttp's middleware;
// the index's size and age, the items and the file's size are gauges.
// Request bodies, bundles and fetches have size limits, and the server
// shuts down gracefully on SIGINT or SIGTERM, letting requests in flight
// finish. A request's body must arrive by 10 s plus its length at
// -min-body-rate (256 KiB/s), so a slow client holds a connection only as
// long as its body needs. Hashing media runs in at most -hash-workers
// requests at once (one per core), with -hash-queue more waiting, each
// within -hash-timeout; past that the server answers 503 with
// Retry-After, as it does past -imports concurrent bundle imports. What
// decoding holds at once is bounded too: an image that would take more
// than media's 1 GiB decode budget is refused from its header (413).
//
// Media bodies are at most -max-body (64 MiB), or -max-video-body
// (512 MiB) when their first bytes are a video container's. A video
// is spooled to a file in -tmp and decoded by ffmpeg (which must be
// installed) within hashdb/media's limits on duration, frames, frame size
// and frame rate, and within -hash-timeout, which then bounds its
// decoding too (raise it for long videos; -read-timeout, 5 minutes,
// bounds the upload). A video over the limits is 413, one that does not
// decode 400, a codec or container not allowed 415, decoding that times
// out 503, no ffmpeg 501. A video's TMK+PDQF (-tmk, tmk=true, or the
// tmk_pdqf type) comes from the same ffmpeg as its vPDQ, a second output
// at 64×64 and 15 fps, within the same -hash-timeout.
//
// The server holds the database file's write lock while it runs, so the
// command-line tool cannot open it: GET /v1/stats (curate role) and
// /metrics are how an operator reads it meanwhile.
package main
