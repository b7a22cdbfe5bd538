package lists

import (
	"fmt"

	"github.com/hashshare/hashshare/hashdb"
)

// A Format names a hash-list format. Its string is the name the hashdb
// command's --format flag takes.
type Format string

// The formats read (and, where marked, written) by this package.
const (
	// PyTX is python-threatexchange's text forms: the local_file exchange
	// file ("<type> <value>", or bare values of one type), `tx dataset
	// --print-signals` with or without --only-signals, and `tx hash`
	// output. Written as local_file.
	PyTX Format = "pytx"
	// PyTXCSV is `tx dataset --print-signals --csv`. Written byte for
	// byte as pytx writes it.
	PyTXCSV Format = "pytx-csv"
	// ThreatExchange is Meta's ThreatExchange Graph API: threat_updates
	// pages and descriptor lookups (JSON).
	ThreatExchange Format = "threatexchange"
	// TCAP is Tech Against Terrorism's content hash list, v2 pages (JSON).
	TCAP Format = "tcap"
	// NCMEC is NCMEC's hash sharing API v2 entries (XML).
	NCMEC Format = "ncmec"
	// StopNCII is StopNCII's FetchHashes answer (JSON).
	StopNCII Format = "stopncii"
	// PDQ is the PDQ tools' lists: bare hex lines, "hash,quality,filename",
	// the --details form and the "FilePath,Hash" CSV. Written as bare hex
	// or "hash,quality,filename".
	PDQ Format = "pdq"
)

// A Kind says what a [Record] asks of the database.
type Kind uint8

// The kinds of record.
const (
	// Upsert stores Record.Item, replacing the stored item with its key.
	Upsert Kind = iota + 1
	// Delete withdraws the item Record.Key names: its source retracted it.
	Delete
	// Opine records Record.Opinion.
	Opine
	// Skip is a record that cannot be used: Record.Reason says why, and
	// Record.Err gives the detail. Reading goes on after it.
	Skip
)

// String returns "upsert", "delete", "opinion" or "skip".
func (k Kind) String() string {
	switch k {
	case Upsert:
		return "upsert"
	case Delete:
		return "delete"
	case Opine:
		return "opinion"
	case Skip:
		return "skip"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// A Record is one thing a hash list says.
//
// Keys and opinions may leave Source (and Org) empty: the format does not
// name the organisation, and [Ingest] fills in the one it was given.
type Record struct {
	Kind Kind
	// Item is the item to store (Upsert). Its TLP is zero unless the
	// format gives a level.
	Item hashdb.Item
	// Key is the item deleted (Delete).
	Key hashdb.Key
	// Opinion is the opinion to record (Opine).
	Opinion hashdb.Opinion
	// Reason is a Skip's reason, a short stable phrase that counts group
	// by: "unsupported type url", "malformed pdq value", "large
	// fingerprint", ….
	Reason string
	// Err is a Skip's detail, naming the value that was wrong.
	Err error
	// Line is the 1-based line of the record in a line-oriented file, or
	// its 1-based position among the entries of a JSON or XML document.
	Line int
}
