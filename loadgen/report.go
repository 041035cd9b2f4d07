package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Millis is a duration that prints and marshals as milliseconds.
type Millis time.Duration

// MarshalJSON writes milliseconds with microsecond precision.
func (m Millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, m.ms(), 'f', 3, 64), nil
}

func (m Millis) ms() float64 { return float64(m) / float64(time.Millisecond) }

// String is milliseconds with two decimals.
func (m Millis) String() string { return strconv.FormatFloat(m.ms(), 'f', 2, 64) }

// Percentiles of a latency distribution.
type Percentiles struct {
	P50 Millis `json:"p50_ms"`
	P95 Millis `json:"p95_ms"`
	P99 Millis `json:"p99_ms"`
	Max Millis `json:"max_ms"`
}

// Delivery compares what the target says it sent to the Bot API with what the Bot API received.
type Delivery struct {
	// Sent and Undeliverable are the target's own counts of Bot API calls (messages and
	// callback answers) made and given up on.
	Sent          int64 `json:"sent"`
	Undeliverable int64 `json:"undeliverable"`
	// Received is what FakeAPI answered ok; Mismatch is Received - Sent (0 when all arrived).
	Received int64 `json:"received"`
	Mismatch int64 `json:"mismatch"`
}

// Result is one target's run.
type Result struct {
	Name  string `json:"name"`
	Users int    `json:"users"`
	// Rate is the open-loop rate in updates per second, 0 for closed loop.
	Rate float64 `json:"rate"`
	// Seconds is the measured window, warm-up excluded.
	Seconds float64 `json:"seconds"`

	// Updates counts updates handled (200) in the measured window; AllUpdates counts every
	// update sent, warm-up and failures included.
	Updates       int64   `json:"updates"`
	AllUpdates    int64   `json:"updates_sent"`
	UpdatesPerSec float64 `json:"updates_per_sec"`
	// Errors counts webhook requests that failed or did not answer 200; LastError is one of them.
	Errors    int64  `json:"errors"`
	LastError string `json:"last_error,omitempty"`
	// Missed counts open-loop send times no user was free to send by a second after the end
	// (the target could not keep up).
	Missed int64 `json:"missed"`
	// Latency is the webhook round trip (from the time the update was due, in open loop).
	Latency Percentiles `json:"latency"`
	// ReplyLatency is from sending an update to the bot's message with buttons arriving.
	ReplyLatency Percentiles `json:"reply_latency"`
	// NoReply counts updates after which no message with buttons came within ReplyWait.
	NoReply int64 `json:"no_reply"`
	// API is what the fake Bot API answered during the run; RepliesPerSec its messages per
	// second.
	API           APICounts `json:"bot_api"`
	RepliesPerSec float64   `json:"replies_per_sec"`
	Delivery      *Delivery `json:"delivery,omitempty"`
	// CPUPerUpdate is this process's CPU time per update: target, generator and fake Bot API.
	CPUPerUpdate Millis      `json:"process_cpu_ms_per_update"`
	Redis        *RedisStats `json:"redis,omitempty"`
	// Problems lists what went wrong around the run (a target that did not drain).
	Problems []string `json:"problems,omitempty"`

	// What Merge needs to combine runs: the samples and totals behind the figures above.
	latencies, replies []time.Duration
	wall, cpu          time.Duration
}

// OK reports whether every update sent was handled and every reply delivered. Send times missed
// are a speed result (the target could not keep up), not a failure: the report says so.
func (r *Result) OK() bool {
	return r.Errors == 0 && r.API.Rejected == 0 && len(r.Problems) == 0 &&
		(r.Delivery == nil || (r.Delivery.Mismatch == 0 && r.Delivery.Undeliverable == 0))
}

// Comparison is the target measured against the floor.
type Comparison struct {
	// Throughput is target/floor updates per second (closed loop: the capacity ratio).
	Throughput float64 `json:"throughput"`
	// P50 and P99 are target/floor latency.
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	// CPU is target/floor process CPU per update.
	CPU float64 `json:"cpu"`
}

// Compare returns r measured against floor.
func Compare(r, floor *Result) Comparison {
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	return Comparison{
		Throughput: div(r.UpdatesPerSec, floor.UpdatesPerSec),
		P50:        div(r.Latency.P50.ms(), floor.Latency.P50.ms()),
		P99:        div(r.Latency.P99.ms(), floor.Latency.P99.ms()),
		CPU:        div(r.CPUPerUpdate.ms(), floor.CPUPerUpdate.ms()),
	}
}

// Report is a whole run: its setup, the rows and, with a floor, the comparison.
type Report struct {
	// Setup lines describe the run (users, mode, Redis, pacing); printed above the table.
	Setup   []string    `json:"setup"`
	Results []*Result   `json:"results"`
	Ratio   *Comparison `json:"ratio,omitempty"`
	// RoundRatios are the throughput ratios of each round, when the target and the floor ran in
	// several alternating rounds (NewRoundsReport); Ratio is over all rounds.
	RoundRatios []float64 `json:"round_ratios,omitempty"`
	// Targets echoes the goals the ratio and latency are held to.
	Targets map[string]float64 `json:"targets"`
}

// Goals from issue 8: on a 2-core machine, at least 70% of the floor's throughput, and p99
// under 10 ms at 1,000 updates/s.
const (
	GoalRatio = 0.7
	GoalP99ms = 10.0
)

// NewReport builds a report; the first result is the target, a second one the floor.
func NewReport(setup []string, results ...*Result) *Report {
	rep := &Report{Setup: setup, Results: results, Targets: map[string]float64{"ratio_min": GoalRatio, "p99_ms_max": GoalP99ms}}
	if len(results) == 2 {
		c := Compare(results[0], results[1])
		rep.Ratio = &c
	}
	return rep
}

// NewRoundsReport builds a report of rounds: targets[i] and floors[i] ran in round i (floors may
// be empty). The rows and Ratio are over all rounds together (Merge); RoundRatios shows the
// spread between rounds.
func NewRoundsReport(setup []string, targets, floors []*Result) *Report {
	if len(floors) == 0 {
		return NewReport(setup, Merge(targets...))
	}
	rep := NewReport(setup, Merge(targets...), Merge(floors...))
	if len(targets) > 1 && len(targets) == len(floors) {
		for i := range targets {
			rep.RoundRatios = append(rep.RoundRatios, Compare(targets[i], floors[i]).Throughput)
		}
	}
	return rep
}

// WriteJSON writes the report as one JSON object.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteText writes the report as a table with notes below it.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, l := range rep.Setup {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tupdates\tupdates/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\treplies/s\treply p50 ms\treply p99 ms\tredis cmd/upd\tredis calls/upd\tcpu ms/upd\t")
	for _, r := range rep.Results {
		cmds, calls := "-", "-"
		if r.Redis != nil {
			cmds = strconv.FormatFloat(r.Redis.PerUpdate, 'f', 2, 64)
			if r.Redis.Calls > 0 {
				calls = strconv.FormatFloat(r.Redis.CallsPerUpdate, 'f', 2, 64)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Name, r.Updates, r.UpdatesPerSec, r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max,
			r.Errors, r.RepliesPerSec, r.ReplyLatency.P50, r.ReplyLatency.P99, cmds, calls, r.CPUPerUpdate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	for _, r := range rep.Results {
		b.WriteString(r.notes())
	}
	if c := rep.Ratio; c != nil {
		t, f := rep.Results[0], rep.Results[1]
		verdict := "meets"
		if c.Throughput < GoalRatio {
			verdict = "below"
		}
		rounds := ""
		if len(rep.RoundRatios) > 0 {
			each := make([]string, len(rep.RoundRatios))
			for i, r := range rep.RoundRatios {
				each[i] = strconv.FormatFloat(r, 'f', 2, 64)
			}
			rounds = fmt.Sprintf(" over %d rounds (each: %s)", len(each), strings.Join(each, ", "))
		}
		if t.Rate == 0 {
			fmt.Fprintf(&b, "%s/%s throughput: %.2f%s (%s the goal of %.2f)\n", t.Name, f.Name, c.Throughput, rounds, verdict, GoalRatio)
		} else {
			fmt.Fprintf(&b, "%s/%s throughput: %.2f (open loop at the same rate: compare latency; run with --rate 0 for the capacity ratio)\n", t.Name, f.Name, c.Throughput)
		}
		fmt.Fprintf(&b, "%s/%s latency: p50 %.2f×, p99 %.2f×; process CPU per update %.2f×\n", t.Name, f.Name, c.P50, c.P99, c.CPU)
	}
	if t := rep.Results[0]; t.Rate == 0 {
		b.WriteString("closed loop: latency includes waiting for a free webhook connection; measure latency in open loop (--rate)\n")
	}
	if t := rep.Results[0]; t.Rate > 0 {
		verdict := "meets"
		if t.Latency.P99.ms() >= GoalP99ms || t.Missed > 0 {
			verdict = "misses"
		}
		fmt.Fprintf(&b, "%s p99 at %.0f updates/s: %s ms (%s the goal of < %.0f ms)\n", t.Name, t.Rate, t.Latency.P99, verdict, GoalP99ms)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// notes says, for one row, whether everything was delivered and what Redis ran.
func (r *Result) notes() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d updates sent in all, %d webhook errors", r.Name, r.AllUpdates, r.Errors)
	if r.LastError != "" {
		fmt.Fprintf(&b, " (last: %s)", r.LastError)
	}
	if r.Rate > 0 {
		fmt.Fprintf(&b, ", %d send times missed", r.Missed)
	}
	fmt.Fprintf(&b, "; %d without a reply with buttons in time\n", r.NoReply)
	fmt.Fprintf(&b, "  bot API: %d messages, %d callback answers (%d in webhook responses), %d rejected", r.API.Messages, r.API.Callbacks, r.API.InResponse, r.API.Rejected)
	if d := r.Delivery; d != nil {
		state := "all delivered"
		if d.Mismatch != 0 || d.Undeliverable != 0 {
			state = "NOT all delivered"
		}
		fmt.Fprintf(&b, "; %s sent %d, fake API received %d, %d undeliverable: %s", r.Name, d.Sent, d.Received, d.Undeliverable, state)
	}
	b.WriteString("\n")
	if r.Redis != nil {
		fmt.Fprintf(&b, "  redis: %d commands (%s), %s ms CPU per update\n", r.Redis.Commands, strings.Join(r.Redis.topCommands(8), ", "), r.Redis.CPUPerUpdate)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  problem: %s\n", p)
	}
	return b.String()
}
