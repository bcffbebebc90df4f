package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilbot/vigil/watchers"
)

// metrics are what /metrics exposes. Each process has its own registry (no globals), so
// tests and one-shot commands never collide.
type metrics struct {
	reg             *prometheus.Registry
	polls           *prometheus.CounterVec
	fetchSeconds    *prometheus.HistogramVec
	itemsNew        *prometheus.CounterVec
	matches         *prometheus.CounterVec
	messages        *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	deliveryLatency *prometheus.HistogramVec
}

// Poll and delivery results, as metric labels.
const (
	resultOK          = "ok"
	resultError       = "error"
	resultRetry       = "retry"
	resultPermanent   = "permanent"
	resultRateLimited = "rate_limited"
)

func newMetrics(st sourceHealth, log *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_polls_total", Help: "Polls of a source, by result (ok, error).",
		}, []string{"source", "result"}),
		fetchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_fetch_duration_seconds", Help: "Time to fetch and parse a source.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"source"}),
		itemsNew: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_items_seen_total", Help: "Items seen for the first time, by source.",
		}, []string{"source"}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_matches_total", Help: "Watched entities found in new items, by source and place (title, abstract, body, table_row).",
		}, []string{"source", "where"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_alert_messages_total", Help: "Alert messages recorded, by kind (new, update, followup, digest).",
		}, []string{"kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_deliveries_total", Help: "Attempts to deliver an alert message, by platform and result (ok, retry, rate_limited, permanent).",
		}, []string{"platform", "result"}),
		deliveryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_delivery_latency_seconds", Help: "From the poll that first saw an item to its alert message posted.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900},
		}, []string{"platform"}),
	}
	m.reg.MustRegister(m.polls, m.fetchSeconds, m.itemsNew, m.matches, m.messages, m.deliveries, m.deliveryLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&stateCollector{st: st, log: log})
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// sourceHealth is what the state collector reads on every scrape; the store implements it.
type sourceHealth interface {
	Sources(ctx context.Context) ([]watchers.Source, error)
	QueueDepth(ctx context.Context) (int64, error)
}

// stateCollector reports state kept in the database — per-source health and the depth
// of the job queue — read at scrape time, so every replica reports the same truth.
type stateCollector struct {
	st  sourceHealth
	log *slog.Logger
}

var (
	descUp          = prometheus.NewDesc("vigil_source_up", "1 if the source's last poll succeeded (or it was not polled yet), else 0.", []string{"source", "type"}, nil)
	descFailures    = prometheus.NewDesc("vigil_source_consecutive_failures", "Failed polls of the source since its last success.", []string{"source"}, nil)
	descLastSuccess = prometheus.NewDesc("vigil_source_last_success_timestamp_seconds", "When the source last polled successfully (0: never).", []string{"source"}, nil)
	descQueue       = prometheus.NewDesc("vigil_queue_depth", "Jobs waiting to run (available, scheduled, retryable) or running.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descUp
	ch <- descFailures
	ch <- descLastSuccess
	ch <- descQueue
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srcs, err := c.st.Sources(ctx)
	if err != nil {
		c.log.Warn("metrics: read sources", "err", err)
	}
	for _, s := range srcs {
		up := 0.0
		if s.Healthy() {
			up = 1
		}
		var last float64
		if !s.LastSuccessAt.IsZero() {
			last = float64(s.LastSuccessAt.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, s.Name, s.Type)
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(s.Failures), s.Name)
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, last, s.Name)
	}
	depth, err := c.st.QueueDepth(ctx)
	if err != nil {
		c.log.Warn("metrics: read queue depth", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(depth))
}
