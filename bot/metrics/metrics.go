// Package metrics exposes what the bot does as Prometheus metrics at /metrics: updates by channel
// and outcome, handling latency, replies sent, failed, throttled and held, delivery statuses,
// Redis errors by command, tickets, and anonymous topic × language counts for the office's
// reporting. No metric carries a user id, a key or a text.
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
	redisErr *prometheus.CounterVec
	notUnder *prometheus.CounterVec
	evicted  prometheus.Counter
	reached  *prometheus.CounterVec
	helpful  *prometheus.CounterVec
	media    *prometheus.CounterVec
}

// New registers the collectors (and the Go runtime and process collectors).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_updates_total", Help: "Platform updates by channel and outcome (ok, unavailable, duplicate, ignored, malformed, other_number).",
		}, []string{"channel", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "returnbot_handle_seconds", Help: "Time to handle one update, store round trips included.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"channel"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_replies_total", Help: "Messages to users by channel and result: sent, failed (given up on), throttled (a 429 answer, retried), held (WhatsApp: outside the 24-hour window without a template).",
		}, []string{"channel", "result"}),
		topics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_topics_total", Help: "Users opening a topic for the first time in their session, by language (anonymous).",
		}, []string{"topic", "lang"}),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_tickets_total", Help: "Handoff tickets by event (opened, taken, closed; limited: a request over the ticket limits).",
		}, []string{"event"}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_delivery_status_total", Help: "Delivery statuses reported by platforms (WhatsApp: sent, delivered, read, failed, other).",
		}, []string{"channel", "status"}),
		redisErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_redis_errors_total", Help: "Redis commands that failed, by lower-case command name; pipeline for a failed pipeline, dial for a failed connection. Misses (nil) and cancelled requests are not errors.",
		}, []string{"command"}),
		notUnder: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_not_understood_total", Help: "Typed messages the bot did not understand, by language and the node the user was at (never the text): where the content lacks examples.",
		}, []string{"lang", "node"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "returnbot_sessions_evicted_total", Help: "Sessions the in-process store dropped for room (RETURNBOT_MEMORY_SESSIONS reached), least recently used first; expired sessions are not counted.",
		}),
		reached: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_deep_links_total", Help: "Conversations started by a deep link (Telegram /start, web chat address, wa.me text) by source (listed in reach.yaml, else other; none without one), topic name (\"\" without one) and language. Never per user.",
		}, []string{"source", "topic", "lang"}),
		helpful: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_helpful_total", Help: "Answers to \"Was this helpful?\" under topic pages, by topic (flow), language and answer (yes, no). Never per user.",
		}, []string{"topic", "lang", "answer"}),
		media: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "returnbot_media_total", Help: "Voice notes, audio, photos, videos, documents and stickers users sent, by channel, kind and outcome (relayed to staff, too_large: refused over its limit, answered: outside a chat with staff). Never per user; nothing of the medium.",
		}, []string{"channel", "kind", "outcome"}),
	}
	m.reg.MustRegister(m.media, m.reached, m.helpful, m.updates, m.latency, m.replies, m.topics, m.tickets, m.statuses, m.redisErr, m.notUnder, m.evicted,
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

// NotUnderstood counts a typed message that was not understood; it implements
// bot.NotUnderstoodObserver.
func (m *Metrics) NotUnderstood(lang, node string) { m.notUnder.WithLabelValues(lang, node).Inc() }

// Update counts an update that did not reach the engine (duplicate, ignored, malformed).
func (m *Metrics) Update(channel, outcome string) { m.updates.WithLabelValues(channel, outcome).Inc() }

// Reply counts a message to a user: result is sent, failed, throttled or held.
func (m *Metrics) Reply(channel, result string) { m.replies.WithLabelValues(channel, result).Inc() }

// Ticket counts a handoff ticket event.
func (m *Metrics) Ticket(event string) { m.tickets.WithLabelValues(event).Inc() }

// Status counts a delivery status reported by a platform.
func (m *Metrics) Status(channel, status string) { m.statuses.WithLabelValues(channel, status).Inc() }

// RedisError counts a failed Redis command by its lower-case name (bot/redis.CountErrors calls
// it); command is never a key or an argument.
func (m *Metrics) RedisError(command string) { m.redisErr.WithLabelValues(command).Inc() }

// SessionEvicted counts a live session the in-process store dropped for room (bot/inmem's
// Limits.Evicted).
func (m *Metrics) SessionEvicted() { m.evicted.Inc() }

// Reached counts a conversation started by a deep link; it implements bot.ReachObserver. The
// engine passes only listed sources (others are "other"), so strangers cannot add series.
func (m *Metrics) Reached(source, topic, lang string) {
	m.reached.WithLabelValues(source, topic, lang).Inc()
}

// Medium counts a medium a user sent; it implements bot.MediumObserver. Kinds and outcomes
// are the engine's constants, so strangers cannot add series.
func (m *Metrics) Medium(channel, kind, outcome string) {
	m.media.WithLabelValues(channel, kind, outcome).Inc()
}

// Helpful counts an answer to "Was this helpful?"; it implements bot.HelpfulObserver.
func (m *Metrics) Helpful(topic, lang string, yes bool) {
	answer := "no"
	if yes {
		answer = "yes"
	}
	m.helpful.WithLabelValues(topic, lang, answer).Inc()
}
