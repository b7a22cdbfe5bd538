package hashdb

import (
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/hashshare/hashshare/hashdb/signal"
	"github.com/hashshare/hashshare/hashdb/tlp"
	"github.com/hashshare/hashshare/internal/store"
)

// Stats describe a database. Except for Retracted, counts are of live
// items: retracted ones no longer match and are not counted by source,
// label, level or signal. Its JSON form names algorithms and levels
// ("pdq", "AMBER"), as "hashdb stats --json" prints it.
type Stats struct {
	// Items is the number of live items.
	Items int `json:"items"`
	// Retracted is the number of retracted items (tombstones).
	Retracted int `json:"retracted"`
	// Signals counts the live items' signals by algorithm.
	Signals map[signal.Algorithm]int `json:"signals"`
	// Sources counts live items by source.
	Sources map[string]int `json:"sources"`
	// Labels counts live items by label.
	Labels map[string]int `json:"labels"`
	// TLP counts live items by sharing level.
	TLP map[tlp.Level]int `json:"tlp"`
	// Opinions is the number of opinions stored.
	Opinions int `json:"opinions"`
	// Peers is the number of peers.
	Peers int `json:"peers"`
	// LastSeq is the sequence number of the last change; 0 for none.
	LastSeq uint64 `json:"last_seq"`
	// FileSize is the size of the database file in bytes.
	FileSize int64 `json:"file_size"`
}

// Stats returns counts kept up to date by every commit, so it costs the
// number of distinct sources, labels and levels, not of items.
func (db *DB) Stats() (_ Stats, err error) {
	defer wrapErr(&err, "stats")
	var st Stats
	err = db.view(func(v *view) error {
		m, err := v.Meta()
		if err != nil {
			return err
		}
		st, err = readStats(v.Bucket(store.BucketCounts))
		if err != nil {
			return err
		}
		st.LastSeq = m.GetLastSeq()
		st.FileSize = v.Size()
		st.Peers = v.Bucket(store.BucketPeers).Stats().KeyN
		return nil
	})
	return st, err
}

// readStats decodes the counters bucket.
func readStats(b *bolt.Bucket) (Stats, error) {
	st := Stats{
		Signals: make(map[signal.Algorithm]int),
		Sources: make(map[string]int),
		Labels:  make(map[string]int),
		TLP:     make(map[tlp.Level]int),
	}
	err := b.ForEach(func(k, v []byte) error {
		n, err := store.ReadCount(v)
		if err != nil {
			return fmt.Errorf("counter %q: %w", k, err)
		}
		key := string(k)
		switch {
		case key == countLive:
			st.Items = int(n)
		case key == countRetracted:
			st.Retracted = int(n)
		case key == countOpinions:
			st.Opinions = int(n)
		case strings.HasPrefix(key, countSourcePrefix):
			st.Sources[key[len(countSourcePrefix):]] = int(n)
		case strings.HasPrefix(key, countLabelPrefix):
			st.Labels[key[len(countLabelPrefix):]] = int(n)
		case strings.HasPrefix(key, countAlgPrefix):
			a, err := signal.ParseAlgorithm(key[len(countAlgPrefix):])
			if err != nil {
				return fmt.Errorf("%w: counter %q", ErrCorrupt, k)
			}
			st.Signals[a] = int(n)
		case strings.HasPrefix(key, countTLPPrefix):
			t, err := tlp.Parse(key[len(countTLPPrefix):])
			if err != nil {
				return fmt.Errorf("%w: counter %q", ErrCorrupt, k)
			}
			st.TLP[t] = int(n)
		default:
			return fmt.Errorf("%w: unknown counter %q", ErrCorrupt, k)
		}
		return nil
	})
	return st, err
}

// A counter keeps the statistics counters' changes during a write.
type counter struct {
	counts map[countKey]int64
	shape  shape // the run of items count has yet to add to counts
}

// count adds d times the item's contribution to the statistics counters.
// Items in a row mostly look alike to the counters (one source, level,
// label set and set of algorithms: a bundle's, say), so it tallies a run
// of them as one shape, and updates the counters when the shape changes.
func (c *counter) count(it *Item, d int64) {
	if it.Retracted {
		c.counts[countKey{kind: countRetracted}] += d
		return
	}
	if !c.shape.is(it) {
		c.tally()
		c.shape.set(it)
	}
	c.shape.n += d
}

// tally moves the run of counted items into the counters.
func (c *counter) tally() {
	s := &c.shape
	if s.n == 0 {
		return
	}
	c.counts[countKey{kind: countLive}] += s.n
	c.counts[countKey{countSourcePrefix, s.source}] += s.n
	c.counts[countKey{countTLPPrefix, s.level.String()}] += s.n
	for _, a := range s.algs {
		c.counts[countKey{countAlgPrefix, a.String()}] += s.n
	}
	for _, l := range s.labels {
		c.counts[countKey{countLabelPrefix, l}] += s.n
	}
	s.n = 0
}

// A shape is what the counters see of a live item, and how many times a
// run of items of that shape counted.
type shape struct {
	source string
	level  tlp.Level
	labels []string
	algs   []signal.Algorithm
	n      int64
}

func (s *shape) is(it *Item) bool {
	if it.Source != s.source || it.TLP != s.level || len(it.Signals) != len(s.algs) || !slices.Equal(it.Labels, s.labels) {
		return false
	}
	for i := range it.Signals {
		if it.Signals[i].Algorithm() != s.algs[i] {
			return false
		}
	}
	return true
}

func (s *shape) set(it *Item) {
	s.source, s.level, s.labels = it.Source, it.TLP, it.Labels
	s.algs = s.algs[:0]
	for i := range it.Signals {
		s.algs = append(s.algs, it.Signals[i].Algorithm())
	}
}

// A countKey names a counter in the counts bucket: kind, one of the
// count constants, followed by name. Keeping the two apart spares count a
// string concatenation per counter per item.
type countKey struct{ kind, name string }

func (k countKey) String() string { return k.kind + k.name }

// flatCounts returns counts keyed by the counts bucket's keys.
func flatCounts(counts map[countKey]int64) map[string]int64 {
	m := make(map[string]int64, len(counts))
	for k, d := range counts {
		m[k.String()] += d
	}
	return m
}

// applyCounts adds the counters to those stored in b.
func (c *counter) applyCounts(b *store.Bucket) error {
	c.tally()
	return store.AddCounts(b, flatCounts(c.counts))
}

// Counter keys in the counts bucket.
const (
	countLive         = "n:live"
	countRetracted    = "n:retracted"
	countOpinions     = "n:opinions"
	countSourcePrefix = "s:"
	countTLPPrefix    = "t:"
	countAlgPrefix    = "a:"
	countLabelPrefix  = "l:"
)
