// Package metrics exposes what the bot does as Prometheus metrics at /metrics: updates by channel
// and outcome, handling latency, replies sent, failed and throttled, store errors, tickets, and
// anonymous topic × language counts for the office's reporting. No metric carries a user id.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the bot's collectors in their own registry. It implements bot.Observer.
type Metrics struct {
	reg      *prometheus.Registry
	updates  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	replies  *prometheus.CounterVec
	topics   *prometheus.CounterVec
	tickets  *prometheus.CounterVec
	statuses *prometheus.CounterVec
}

// New registers the collectors (and the Go runtime and process collectors).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_updates_total", Help: "Platform updates by channel and outcome (ok, unavailable, duplicate, ignored, malformed).",
		}, []string{"channel", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "returnbot_handle_seconds", Help: "Time to handle one update, store round trips included.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"channel"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_replies_total", Help: "Messages to users by channel and result (sent, failed, throttled, held).",
		}, []string{"channel", "result"}),
		topics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_topics_total", Help: "Users opening a topic for the first time in their session, by language (anonymous).",
		}, []string{"topic", "lang"}),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_tickets_total", Help: "Handoff tickets by event (opened, taken, closed).",
		}, []string{"event"}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_delivery_status_total", Help: "Delivery statuses reported by platforms (sent, delivered, read, failed).",
		}, []string{"channel", "status"}),
	}
	m.reg.MustRegister(m.updates, m.latency, m.replies, m.topics, m.tickets, m.statuses,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Handled implements bot.Observer.
func (m *Metrics) Handled(channel, outcome string, took time.Duration) {
	m.updates.WithLabelValues(channel, outcome).Inc()
	m.latency.WithLabelValues(channel).Observe(took.Seconds())
}

// Topic implements bot.Observer.
func (m *Metrics) Topic(flow, lang string) { m.topics.WithLabelValues(flow, lang).Inc() }

// Update counts an update that did not reach the engine (duplicate, ignored, malformed).
func (m *Metrics) Update(channel, outcome string) { m.updates.WithLabelValues(channel, outcome).Inc() }

// Reply counts a message to a user: result is sent, failed, throttled or held.
func (m *Metrics) Reply(channel, result string) { m.replies.WithLabelValues(channel, result).Inc() }

// Ticket counts a handoff ticket event.
func (m *Metrics) Ticket(event string) { m.tickets.WithLabelValues(event).Inc() }

// Status counts a delivery status reported by a platform.
func (m *Metrics) Status(channel, status string) { m.statuses.WithLabelValues(channel, status).Inc() }
