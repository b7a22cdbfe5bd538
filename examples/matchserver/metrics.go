package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/signal"
)

// metrics are the server's Prometheus metrics, in a registry of their own
// so that embedding the server never touches the global one.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	match    *prometheus.HistogramVec
}

func newMetrics(db *hashdb.DB) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashshare_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hashshare_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 4, 10),
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hashshare_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		match: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hashshare_match_duration_seconds",
			Help: "Time to match one request's queries, hashing excluded for signals and included for media.",
			// From 10µs: a radius query on an in-memory index is that fast.
			Buckets: prometheus.ExponentialBuckets(10e-6, 4, 10),
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.match, dbCollector{db},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// instrument counts and times h's requests under the route's label,
// through promhttp's middleware.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	l := prometheus.Labels{"route": route}
	h = promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(l), h)
	h = promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(l), h)
	return promhttp.InstrumentHandlerInFlight(m.inFlight, h)
}

// handler serves the registry's metrics.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// dbCollector reports the database's counts and the indexes' size and
// age, read at each scrape from hashdb's counters (which cost the number
// of sources and labels, not of items) and the last change.
type dbCollector struct{ db *hashdb.DB }

var (
	descItems    = prometheus.NewDesc("hashshare_items", "Items stored, by state (live or retracted).", []string{"state"}, nil)
	descSignals  = prometheus.NewDesc("hashshare_index_signals", "Signals of live items in the match indexes, by algorithm.", []string{"algorithm"}, nil)
	descIndexAge = prometheus.NewDesc("hashshare_index_age_seconds", "Time since the last change the match indexes hold: they follow every commit, so this is the time since the last write.", nil, nil)
	descPeers    = prometheus.NewDesc("hashshare_peers", "Partner organisations trusted.", nil, nil)
	descSeq      = prometheus.NewDesc("hashshare_last_change_seq", "Sequence number of the last change committed.", nil, nil)
	descSize     = prometheus.NewDesc("hashshare_db_file_bytes", "Size of the database file.", nil, nil)
)

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descItems, descSignals, descIndexAge, descPeers, descSeq, descSize} {
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
	if t, ok, err := lastChange(c.db, st.LastSeq); err != nil {
		ch <- prometheus.NewInvalidMetric(descIndexAge, err)
	} else if ok {
		ch <- prometheus.MustNewConstMetric(descIndexAge, prometheus.GaugeValue, time.Since(t).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descPeers, prometheus.GaugeValue, float64(st.Peers))
	ch <- prometheus.MustNewConstMetric(descSeq, prometheus.GaugeValue, float64(st.LastSeq))
	ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(st.FileSize))
}

// lastChange returns the time of change seq, the last; false if there is
// none.
func lastChange(db *hashdb.DB, seq uint64) (time.Time, bool, error) {
	if seq == 0 {
		return time.Time{}, false, nil
	}
	for c, err := range db.Changes(context.Background(), seq-1) {
		if err != nil {
			return time.Time{}, false, err
		}
		return c.Time, true, nil
	}
	return time.Time{}, false, nil
}
