package main

import (
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/media"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// bestLine is match's default text output: for a query that matched, one
// line naming its nearest match,
//
//	<query>: <source>/<id> <alg> distance <n>[ <transform>][ labels <l>,…][ opinions <org> <verdict>,…][ (+<k> more)]
//
// The nearest is the match whose distance is the least fraction of its
// algorithm's bits (distances of a 256-bit PDQ and a 64-bit pHash do not
// compare as they are), ties going to the stronger evidence: a digest
// (SHA-256 first), then PDQ, then the 64-bit hashes. Its item is the first by key; "+k
// more" counts the other items that matched, each once. Queries that
// matched nothing print nothing: the exit status says so.
func bestLine(db *hashdb.DB, query string, ms []hashdb.Match) (string, error) {
	var best *hashdb.Match
	for i := range ms {
		if m := &ms[i]; len(m.Items) > 0 && (best == nil || nearer(m, best)) {
			best = m
		}
	}
	if best == nil {
		return "", nil
	}
	it := &best.Items[0]
	others := map[hashdb.Key]bool{}
	for _, m := range ms {
		for _, o := range m.Items {
			if o.Key != it.Key {
				others[o.Key] = true
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s distance %d", query, it.Key, best.Signal.Algorithm(), best.Distance)
	if best.Transform != media.Original {
		b.WriteString(" " + best.Transform.String())
	}
	return finishLine(&b, db, it, len(others))
}

// bestVideoLine is bestLine for a video that matched stored videos by its
// vPDQ hash and nothing else: the best video match (matches come best
// first),
//
//	<query>: <source>/<id> vpdq query <q>% compared <c>%[ labels <l>,…][ (+<k> more)]
func bestVideoLine(db *hashdb.DB, query string, vs []hashdb.VideoMatch) (string, error) {
	if len(vs) == 0 {
		return "", nil
	}
	it := &vs[0].Item
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s vpdq query %.2f%% compared %.2f%%", query, it.Key, vs[0].QueryPercent, vs[0].ComparedPercent)
	return finishLine(&b, db, it, len(vs)-1)
}

// finishLine ends a best-match line with what the two kinds share: the
// item's labels, the opinions on it, and how many others matched.
func finishLine(b *strings.Builder, db *hashdb.DB, it *hashdb.Item, more int) (string, error) {
	if len(it.Labels) > 0 {
		b.WriteString(" labels " + strings.Join(it.Labels, ","))
	}
	ops, err := db.Opinions(it.Key)
	if err != nil {
		return "", err
	}
	for i, op := range ops {
		if i == 0 {
			b.WriteString(" opinions ")
		} else {
			b.WriteString(",")
		}
		b.WriteString(op.Org + " " + op.Verdict.String())
	}
	if more > 0 {
		fmt.Fprintf(b, " (+%d more)", more)
	}
	b.WriteByte('\n')
	return b.String(), nil
}

// nearer reports whether match a is nearer its query than b.
func nearer(a, b *hashdb.Match) bool {
	aa, ba := a.Signal.Algorithm(), b.Signal.Algorithm()
	// a.Distance/aa.Bits() < b.Distance/ba.Bits(), in integers.
	if l, r := a.Distance*ba.Bits(), b.Distance*aa.Bits(); l != r {
		return l < r
	}
	return strength(aa) > strength(ba)
}

// strength ranks algorithms by how much an equally near match on them
// says: an exact digest is the same file (the longer the surer), a PDQ
// hash has 256 bits, the other perceptual hashes 64.
func strength(a signal.Algorithm) int {
	switch {
	case !a.Perceptual():
		return 1000 + a.Bits()
	case a == signal.PDQ:
		return 1
	}
	return 0
}
