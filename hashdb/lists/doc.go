// Package lists reads and writes the hash lists trust-and-safety teams
// already hold: python-threatexchange's files, ThreatExchange, TCAP, NCMEC
// and StopNCII answers, and the PDQ tools' lists.
//
// # Reading
//
// [NewReader] returns a [Reader] of one list in one [Format], or in the
// format [Auto] tells from the first 64 KiB. [Reader.Next] yields one
// [Record] at a time: an item to store (Upsert), an item withdrawn
// (Delete), an organisation's opinion (Opine), or a record that cannot be
// used (Skip, with a short Reason to count by and an Err naming the
// value). A list is never held in memory: lines are read one at a time,
// and a JSON or XML answer one entry at a time, each bounded by
// [ReadOptions]. One bad record is a Skip and reading goes on; an error
// from Next ends the list: a read error, [ErrFormat] for input that is
// not of its format at all, or [ErrTooLarge]. Readers never panic on
// input and never print.
//
// Auto tells the formats apart so: '<' is NCMEC; a JSON object is told by
// its top-level keys (data, paging or a descriptor keyed by id:
// ThreatExchange; results, checkpoint, next or previous: TCAP;
// hashRecords, nextSetTimestamp, nextPageToken or hasMoreRecords:
// StopNCII); a first line "signal_type,…" is pytx CSV; "hash=…", a
// header with a Hash column ("FilePath,Hash"), or a line starting with 64
// hex digits is a PDQ list, unless ReadOptions.SignalType is set, which
// makes bare values a typed pytx file; a line starting with a pytx signal
// type or a `tx hash` rotation name is pytx.
//
// # Signal types
//
// Each format's names map onto hashshare's algorithms, and the ones that
// imply the media onto the item's ContentType:
//
//	pytx pdq, TE HASH_PDQ, TCAP PDQ, NCMEC <pdq>, StopNCII ImagePDQ     pdq (photo)
//	pytx video_md5, TE HASH_VIDEO_MD5, StopNCII VideoMD5                md5 (video)
//	pytx video_sha256, TE HASH_VIDEO_SHA256                              sha256 (video)
//	pytx vpdq (its JSON list value)                                      Item.Video (video), id vpdq:<sha256 of the list>
//	TE HASH_MD5, HASH_SHA256                                             md5, sha256: video if tagged media_type_video, else unknown
//	TE HASH_SHA1, NCMEC <sha1>                                           sha1
//	TCAP MD5, SHA256, SHA1                                               md5, sha256, sha1: content type from file_type
//	NCMEC <md5>                                                          md5: photo in an <image>, video in a <video>
//
// Because video_md5 becomes md5 with ContentType video, it goes back to
// pytx as video_md5. hashshare keeps what pytx drops: image MD5s and
// SHA-1s of NCMEC, TE HASH_MD5 and HASH_SHA256 without the video tag,
// TCAP digests of any file type. Hex is accepted in either case and
// stored lower-case (pytx rejects upper-case PDQ; we normalise it).
//
// Every other type of the format's vocabulary is a Skip with Reason
// "unsupported type <name>", in the format's spelling: pytx raw_text,
// url, url_md5, trend_query, text_tlsh, pdq_ocr, photodna; TE
// HASH_TMK, HASH_PHOTODNA, HASH_IMPHASH, HASH_SSDEEP, HASH_URL_MD5,
// HASH_TEXT_TLSH, HASH_PDQ_OCR, URI, RAW_URI, TEXT_STRING, TREND_QUERY;
// TCAP SHA512; NCMEC pdna, netclean (and the large fingerprints, below);
// StopNCII VideoTMK, Text, URL, Unknown. A name outside the vocabulary is
// Reason "unknown type", the name in Err, so that the reasons stay few
// whatever the input. A value that does not parse is "malformed <type>
// value", again in the format's spelling ("malformed pdq value",
// "malformed HASH_PDQ value", "malformed ImagePDQ value").
//
// # Keys, sources and levels
//
// An item's ID is the format's own id for the entry: the TE indicator id
// (threat_updates) or descriptor id (lookups and descriptor searches, in
// which each descriptor is an item); the TCAP entry id; NCMEC's
// "<member id>-<entry id>", since entry ids are the member's own. pytx
// and StopNCII entries have no id, so the ID is the signal in our form,
// "pdq:<hex>" or "md5:<hex>": the same value twice in a list is one
// item, the later line replacing the earlier (a signal `tx dataset`
// prints once per collaboration keeps the labels of its last line). PDQ
// lists use the file name when the line has one, else "pdq:<hex>".
//
// Item.Source and a Delete's Key.Source are always left empty: the
// source is the feed the caller imports, and the ingesting code fills it
// in. Organisations a format names appear as opinions instead (below).
// Item.TLP is zero unless the format gives a level: only TE descriptors
// do, whose TLP 1.0 share_level maps onto TLP 2.0 (WHITE is CLEAR,
// UNKNOWN no level). FirstSeen and LastSeen come from the entry's times
// where there are any (TE last_updated and added_on, TCAP created_on and
// updated_on, NCMEC timestamp, StopNCII lastModtimestamp); a first seen
// after the last seen is dropped. A TE description is the item's Note.
//
// # Deletes
//
// TE: should_delete true, or a threat_updates record without its
// descriptors key (TE's other way of saying it). TCAP: deleted true.
// NCMEC: <deletedImage> and <deletedVideo>. StopNCII: hashStatus
// Withdrawn or Deleted (pytx tests hashValue here, and so never deletes;
// we test the status). A delete names the key only; for a type with no
// algorithm here it is a Skip like the type's upserts.
//
// # Labels
//
// Source tags and classifications become labels with a namespace:
//
//	pytx tags                  pytx:<tag>
//	pytx collaboration         pytx:collab:<name>
//	pytx INVESTIGATION_SEED    pytx:investigation_seed
//	pytx DISPUTED              pytx:disputed
//	TE descriptor tags         te:<tag>
//	TCAP ideology, file_type   ideology:<value>, filetype:<value>
//	NCMEC classification       ncmec:<classification>
//	StopNCII feedback tags     stopncii:<tag>
//
// A tag is slugged into the label alphabet: ASCII letters lower-cased;
// digits, '_', '.', '-' and ':' kept; every run of other ASCII characters
// (spaces, punctuation) one '_'; any other character u<hex code point>
// ("Ü" is u00dc), so tags in other scripts stay distinct instead of
// vanishing; leading and trailing '_' and ':' trimmed. "Example Tag" is
// example_tag, "far-right" stays far-right, NCMEC's A1 is ncmec:a1. A tag
// left with nothing, or too long for a label, is not dropped silently:
// the entry's item is kept without it, and a Skip "malformed tag" on the
// same Line names it.
//
// # Opinions
//
// pytx's categories: POSITIVE_CLASS is an Upsert, no more (the item
// stands for the positive opinion; a Confirmed opinion would be the
// importer's own, which its items already say); INVESTIGATION_SEED and
// DISPUTED are Upserts labelled as above; NEGATIVE_CLASS ("not bad") is
// no item but an Opine record with Verdict FalsePositive on the signal,
// an allow-list entry wherever the signal appears, Org left for the
// caller, the collaboration and tags in Reason.
//
// Formats that name who judged give opinions by them on the item's key,
// queued after the item's Upsert with the same Line. Their Org is the
// party's id prefixed with the format, so that it cannot be mistaken for
// one of the database's own organisations: te-<app id>, ncmec-<member
// id>, stopncii-<source slugged>. TE: a descriptor owner's status
// MALICIOUS is Confirmed, NON_MALICIOUS FalsePositive (other statuses
// none), timed at the descriptor's added_on; reactions HELPFUL are
// Confirmed, DISAGREE_WITH_TAGS Disputed, NON_MALICIOUS FalsePositive,
// one per reacting app; an organisation's status wins over its
// reactions, and a descriptor without an owner is a Skip "malformed
// descriptor". NCMEC: <affirmativeFeedback> is Confirmed and
// <negativeFeedback> Disputed, one opinion per member, Disputed if it
// was negative on any fingerprint, the fingerprint types and reasons in
// Reason. StopNCII: CSPFeedbacks Blocked is Confirmed, NotBlocked
// FalsePositive, other values none; a feedback without a source is a
// Skip "malformed feedback".
//
// # Format details
//
// pytx ([PyTX]): each line is stripped, and split at its first space into
// type and value, unless ReadOptions.SignalType is set, when the line
// starts with the value. After the value, `tx dataset -P` adds an
// optional collaboration in Python repr quoting and CATEGORY[ tag,tag…].
// `tx hash` lines may start with a rotation name (ROTATE90 …), which is
// dropped (each rotation's hash is an item of its own), or a space
// (unletterbox). Blank lines are skipped silently, as pytx does; a line
// without a value or with something after the value that is not a
// category is a Skip "malformed line". pytx CSV ([PyTXCSV]) columns are
// found by the header, which must name signal_type and signal_str (else
// ErrFormat); tags are space-separated; a row the CSV parser rejects, or
// with an empty type or value or an unknown category, is a Skip
// "malformed record".
//
// PDQ lists ([PDQ]) mix their forms line by line: bare hex,
// "hash,quality[,filename]" (the file name is everything after the
// second comma, commas and spaces included), "hash=…,quality=…,…,
// filename=…" (other keys, such as --pdqdih's rotations, ignored), or
// rows of a first-line header naming a Hash column. A quality below 50
// (the PDQ authors' threshold) puts the signal in Item.Unreliable; the
// item is kept. A bad quality is a Skip "malformed line", a file name
// that cannot be an id "malformed filename". --pdqdih's eight lines per
// file share the file name, so the last replaces the others: filter them
// to the original first.
//
// ThreatExchange, TCAP and StopNCII files may hold several answers, one
// JSON document after another or one a line, as saved pages are; a TE
// "error" answer ends the list with ErrFormat and its message. NCMEC
// files may likewise hold several <queryResult> documents; namespaces
// are ignored. An entry whose fields have the wrong JSON types is a Skip
// "malformed record", as is an entry without an id. An NCMEC large
// fingerprint (an element with rel and href and no value, fetched
// separately) is a Skip "large fingerprint"; the entry's other
// fingerprints make its item. A line too long for ReadOptions.MaxLineLen
// is a Skip "line too long".
//
// Record.Line is the line number in the line formats, and the entry's
// position among all the entries of the file in the JSON and XML ones.
package lists
