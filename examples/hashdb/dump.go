package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
)

// dumpJSON is one line of "dump" (jsonl): an item with its signals in
// <alg>:<hex> form, and a video's vPDQ in pytx's form and TMK+PDQF in
// ThreatExchange's, as "hash --json" prints them. Lists are never null;
// times are RFC 3339, empty when unset.
type dumpJSON struct {
	Source        string   `json:"source"`
	ID            string   `json:"id"`
	ContentType   string   `json:"content_type"`
	Signals       []string `json:"signals"`
	Unreliable    []string `json:"unreliable"`
	VPDQ          string   `json:"vpdq,omitempty"`
	TMKPDQF       string   `json:"tmk_pdqf,omitempty"`
	Labels        []string `json:"labels"`
	TLP           string   `json:"tlp"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	Note          string   `json:"note,omitempty"`
	Retracted     bool     `json:"retracted"`
	RetractReason string   `json:"retract_reason,omitempty"`
}

func itemJSON(it *hashdb.Item) dumpJSON {
	j := dumpJSON{Source: it.Source, ID: it.ID, ContentType: it.ContentType.String(), Signals: []string{}, Unreliable: []string{},
		Labels: []string{}, TLP: it.TLP.String(), FirstSeen: rfc3339(it.FirstSeen), LastSeen: rfc3339(it.LastSeen),
		Note: it.Note, Retracted: it.Retracted, RetractReason: it.RetractReason}
	for _, s := range it.Signals {
		j.Signals = append(j.Signals, s.String())
	}
	for _, s := range it.Unreliable {
		j.Unreliable = append(j.Unreliable, s.String())
	}
	j.Labels = append(j.Labels, it.Labels...)
	if it.Video != nil {
		j.VPDQ = it.Video.PyTX()
	}
	if it.TMK != nil {
		j.TMKPDQF = it.TMK.String()
	}
	return j
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func runDump(e *env, args []string) int {
	fs := e.flags(usageOf("dump"))
	dbPath := dbFlag(fs)
	format := fs.String("format", "jsonl", "output `format`: jsonl (one JSON object per item), pytx (local_file lines), pytx-csv or pdq (bare hex)")
	source := fs.String("source", "", "only the items of this `org`anisation")
	retracted := fs.Bool("retracted", false, "also retracted items (jsonl marks them; the list formats, which cannot say so, leave them out)")
	db, code := e.openFlagsOnly(fs, dbPath, args)
	if db == nil {
		return code
	}
	var w *lists.Writer
	var out *bufio.Writer
	var enc *json.Encoder
	switch *format {
	case "jsonl":
		out = bufio.NewWriterSize(e.stdout, 64<<10)
		enc = json.NewEncoder(out)
	case string(lists.PyTX), string(lists.PyTXCSV), string(lists.PDQ):
		var err error
		if w, err = lists.NewWriter(e.stdout, lists.Format(*format)); err != nil {
			return closeDB(e, db, e.fail(err))
		}
	default:
		return closeDB(e, db, e.usageError(fs, "--format %q: want jsonl, pytx, pytx-csv or pdq", *format))
	}
	// First-stored order is the order of the list a database was filled
	// from, so an ingested list dumps back as it came.
	f := hashdb.Filter{Source: *source, Retracted: *retracted, StoredOrder: true}
	n := 0
	for it, err := range db.Items(e.ctx, f) {
		if err != nil {
			return closeDB(e, db, e.fail(err))
		}
		n++
		switch {
		case enc != nil:
			err = enc.Encode(itemJSON(&it))
		case w.Format() == lists.PyTXCSV:
			var ops []hashdb.Opinion
			if ops, err = db.Opinions(it.Key); err == nil {
				err = w.WriteWithOpinions(it, ops)
			}
		default:
			err = w.Write(it)
		}
		if err != nil {
			return closeDB(e, db, e.fail(err))
		}
	}
	var err error
	if out != nil {
		err = out.Flush()
	} else {
		err = w.Close()
	}
	if err != nil {
		return closeDB(e, db, e.fail(err))
	}
	if w != nil {
		if sk := w.Skipped(); len(sk) > 0 {
			var parts []string
			for _, reason := range slices.Sorted(maps.Keys(sk)) {
				parts = append(parts, fmt.Sprintf("%d %s", sk[reason], reason))
			}
			e.warnf("%d items, %d signals written; left out signals %s has no form for: %s", n, w.Written(), *format, strings.Join(parts, ", "))
		}
	}
	return closeDB(e, db, exitOK)
}
