package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// metrics are the server's Prometheus metrics, in a registry of their own
// so that embedding the server never touches the global one.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	match    *prometheus.HistogramVec
}

func newMetrics(db *hashdb.DB) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashshare_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		match: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hashshare_match_duration_seconds",
			Help: "Time to match one request's queries, hashing excluded for signals and included for media.",
			// From 10µs: a radius query on an in-memory index is that fast.
			Buckets: prometheus.ExponentialBuckets(10e-6, 4, 10),
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.match, dbCollector{db},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// dbCollector reports the database's counts, read at each scrape from
// hashdb's counters (which cost the number of sources and labels, not of
// items).
type dbCollector struct{ db *hashdb.DB }

var (
	descItems   = prometheus.NewDesc("hashshare_items", "Items stored, by state (live or retracted).", []string{"state"}, nil)
	descSignals = prometheus.NewDesc("hashshare_index_signals", "Signals of live items in the match indexes, by algorithm.", []string{"algorithm"}, nil)
	descPeers   = prometheus.NewDesc("hashshare_peers", "Partner organisations trusted.", nil, nil)
	descSeq     = prometheus.NewDesc("hashshare_last_change_seq", "Sequence number of the last change committed.", nil, nil)
	descSize    = prometheus.NewDesc("hashshare_db_file_bytes", "Size of the database file.", nil, nil)
)

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descItems, descSignals, descPeers, descSeq, descSize} {
		ch <- d
	}
}

func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.db.Stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descItems, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(st.Items), "live")
	ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(st.Retracted), "retracted")
	for _, a := range signal.Algorithms() {
		ch <- prometheus.MustNewConstMetric(descSignals, prometheus.GaugeValue, float64(st.Signals[a]), a.String())
	}
	ch <- prometheus.MustNewConstMetric(descPeers, prometheus.GaugeValue, float64(st.Peers))
	ch <- prometheus.MustNewConstMetric(descSeq, prometheus.GaugeValue, float64(st.LastSeq))
	ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(st.FileSize))
}
