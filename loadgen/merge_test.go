package loadgen

import (
	"strings"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// Rounds merge as one run of their total time: counts add up, rates are over the total time and
// percentiles come from all samples together.
func TestMerge(t *testing.T) {
	a := &Result{Name: "returnbot", Users: 5, Seconds: 10, Updates: 3, AllUpdates: 4, Errors: 1, LastError: "first",
		API: APICounts{Messages: 6, Callbacks: 2, InResponse: 2}, Delivery: &Delivery{Sent: 6, Received: 6},
		Redis:     &RedisStats{Commands: 40, Calls: 8, ByCommand: map[string]int64{"get": 30, "evalsha": 10}, cpu: 0.004},
		latencies: []time.Duration{ms(1), ms(2), ms(100)}, replies: []time.Duration{ms(5)}, wall: 10 * time.Second, cpu: ms(8)}
	b := &Result{Name: "returnbot", Users: 5, Seconds: 30, Updates: 5, AllUpdates: 6, LastError: "second", Problems: []string{"drain"},
		API: APICounts{Messages: 10, Callbacks: 4, Rejected: 1}, Delivery: &Delivery{Sent: 11, Received: 10, Mismatch: -1},
		Redis:     &RedisStats{Commands: 60, Calls: 12, ByCommand: map[string]int64{"get": 60}, cpu: 0.006},
		latencies: []time.Duration{ms(3), ms(4), ms(5), ms(6), ms(7)}, replies: []time.Duration{ms(9), ms(1)}, wall: 30 * time.Second, cpu: ms(12)}
	m := Merge(a, b)
	if m.Seconds != 40 || m.Updates != 8 || m.AllUpdates != 10 || m.Errors != 1 || m.LastError != "first" || m.UpdatesPerSec != 0.2 {
		t.Errorf("counts: %+v", m)
	}
	if m.API != (APICounts{Messages: 16, Callbacks: 6, Rejected: 1, InResponse: 2}) || m.RepliesPerSec != 0.4 {
		t.Errorf("API %+v, %v replies/s", m.API, m.RepliesPerSec)
	}
	if *m.Delivery != (Delivery{Sent: 17, Received: 16, Mismatch: -1}) || m.OK() {
		t.Errorf("delivery %+v, OK %v", *m.Delivery, m.OK())
	}
	// Samples 1..7 and 100 ms together: the median is 4 ms, where averaging the rounds' medians
	// (2 and 5 ms) would give 3.5.
	if m.Latency.P50 != Millis(ms(4)) || m.Latency.Max != Millis(ms(100)) || m.ReplyLatency.P50 != Millis(ms(5)) {
		t.Errorf("latency %+v, replies %+v", m.Latency, m.ReplyLatency)
	}
	if m.CPUPerUpdate != Millis(ms(2)) {
		t.Errorf("CPU per update %v, want 2 ms (20 ms over 10 updates)", m.CPUPerUpdate)
	}
	r := m.Redis
	if r.Commands != 100 || r.PerUpdate != 10 || r.Calls != 20 || r.CallsPerUpdate != 2 || r.ByCommand["get"] != 90 || r.ByCommand["evalsha"] != 10 || r.CPUPerUpdate != Millis(ms(1)) {
		t.Errorf("redis %+v", r)
	}
	if len(m.Problems) != 1 {
		t.Errorf("problems %q", m.Problems)
	}
	// The rounds themselves are untouched.
	if a.Updates != 3 || a.API.Messages != 6 || a.Redis.Commands != 40 {
		t.Error("Merge changed a round")
	}
	if Merge(a) != a || Merge() != nil {
		t.Error("one round is its own merge; none is nil")
	}
}

// A report of rounds compares the merged rows and lists each round's ratio.
func TestRoundsReport(t *testing.T) {
	round := func(name string, updates int64) *Result {
		return &Result{Name: name, Seconds: 10, Updates: updates, AllUpdates: updates, UpdatesPerSec: float64(updates) / 10,
			latencies: []time.Duration{ms(1)}, wall: 10 * time.Second}
	}
	rep := NewRoundsReport(nil, []*Result{round("returnbot", 600), round("returnbot", 900)}, []*Result{round("floor", 1000), round("floor", 1000)})
	if len(rep.Results) != 2 || rep.Results[0].Updates != 1500 || rep.Ratio.Throughput != 0.75 {
		t.Fatalf("rows %+v, ratio %+v", rep.Results, rep.Ratio)
	}
	if len(rep.RoundRatios) != 2 || rep.RoundRatios[0] != 0.6 || rep.RoundRatios[1] != 0.9 {
		t.Errorf("round ratios %v", rep.RoundRatios)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "returnbot/floor throughput: 0.75 over 2 rounds (each: 0.60, 0.90) (meets the goal of 0.70)") {
		t.Errorf("report:\n%s", text.String())
	}
	if one := NewRoundsReport(nil, []*Result{round("returnbot", 5)}, nil); len(one.Results) != 1 || one.Ratio != nil || one.RoundRatios != nil {
		t.Errorf("without a floor: %+v", one)
	}
}
