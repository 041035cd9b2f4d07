package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// floorTarget serves a Floor on loopback against a private Redis.
func floorTarget(t *testing.T, api *FakeAPI) (Target, *goredis.Client) {
	t.Helper()
	rdb := goredis.NewClient(&goredis.Options{Addr: strings.TrimPrefix(redistest.Server(t), "redis://")})
	t.Cleanup(func() { rdb.Close() })
	calls := CountCalls(rdb)
	f := NewFloor(rdb, api.Endpoint(), "floor-secret")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return Target{Name: "floor", URL: "http://" + ln.Addr().String() + "/", Secret: "floor-secret", Drain: f.Drain, Calls: calls.Load}, rdb
}

func TestRunClosedLoop(t *testing.T) {
	api := startAPI(t)
	target, rdb := floorTarget(t, api)
	res, err := Run(context.Background(), Config{Users: 20, Duration: time.Second, Warmup: 100 * time.Millisecond, Conns: 8, Redis: rdb, Seed: 7}, api, target)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Errors != 0 || res.Updates == 0 || res.AllUpdates < res.Updates {
		t.Fatalf("run not clean: %+v", res)
	}
	// Every update got its reply with buttons, and the floor's one sendMessage each arrived.
	if res.NoReply != 0 || res.API.Messages != res.AllUpdates || res.Delivery.Sent != res.AllUpdates || res.Delivery.Mismatch != 0 {
		t.Errorf("replies: no reply %d, messages %d, delivery %+v, for %d updates", res.NoReply, res.API.Messages, res.Delivery, res.AllUpdates)
	}
	l := res.Latency
	if !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency percentiles out of order: %+v", l)
	}
	if res.UpdatesPerSec <= 0 || res.RepliesPerSec <= 0 || res.CPUPerUpdate <= 0 {
		t.Errorf("rates: %v updates/s, %v replies/s, %v CPU per update", res.UpdatesPerSec, res.RepliesPerSec, res.CPUPerUpdate)
	}
	// The floor is one GET and one SET per update, each its own request; a new connection's
	// HELLO adds a little.
	r := res.Redis
	if r == nil || r.ByCommand["get"] != res.AllUpdates || r.ByCommand["set"] != res.AllUpdates || r.PerUpdate < 2 || r.PerUpdate > 2.1 {
		t.Errorf("redis stats %+v for %d updates", r, res.AllUpdates)
	}
	if r != nil && (r.Calls < 2*res.AllUpdates || r.CallsPerUpdate < 2 || r.CallsPerUpdate > 2.1) {
		t.Errorf("redis calls %d (%.2f per update) for %d updates", r.Calls, r.CallsPerUpdate, res.AllUpdates)
	}
	if _, ok := r.ByCommand["info"]; ok {
		t.Error("the run's own INFO counted")
	}
}

// Open loop hands out exactly rate × duration send times: each is sent or counted as missed
// (a loaded machine may miss some; none are added), and every one sent is handled.
func TestRunOpenLoop(t *testing.T) {
	api := startAPI(t)
	target, _ := floorTarget(t, api)
	res, err := Run(context.Background(), Config{Users: 10, Rate: 200, Duration: time.Second, Conns: 4, Seed: 3}, api, target)
	if err != nil {
		t.Fatal(err)
	}
	if res.AllUpdates+res.Missed != 200 {
		t.Errorf("%d sent + %d missed send times, want 200 at 200/s for 1s", res.AllUpdates, res.Missed)
	}
	if res.Errors != 0 || res.Updates != res.AllUpdates || res.Updates == 0 || res.Delivery.Mismatch != 0 || res.API.Messages != res.AllUpdates {
		t.Errorf("not every update handled and answered: %+v, delivery %+v", res, res.Delivery)
	}
	if res.Redis != nil {
		t.Error("Redis stats without a Redis to ask")
	}
}

// A target that fails is counted, not hidden.
func TestRunCountsErrors(t *testing.T) {
	api := startAPI(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusServiceUnavailable)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	res, err := Run(context.Background(), Config{Users: 2, Duration: 200 * time.Millisecond, ReplyWait: 10 * time.Millisecond},
		api, Target{Name: "down", URL: "http://" + ln.Addr().String() + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.Errors == 0 || res.Errors != res.AllUpdates || res.Updates != 0 || !strings.Contains(res.LastError, "503") {
		t.Errorf("errors %d of %d, measured %d, last %q", res.Errors, res.AllUpdates, res.Updates, res.LastError)
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(d)
	want := Percentiles{P50: Millis(50 * time.Millisecond), P95: Millis(95 * time.Millisecond), P99: Millis(99 * time.Millisecond), Max: Millis(100 * time.Millisecond)}
	if p != want {
		t.Errorf("percentiles of 1..100 ms: %+v, want %+v", p, want)
	}
	if one := percentiles([]time.Duration{time.Second}); one.P50 != Millis(time.Second) || one.P99 != Millis(time.Second) {
		t.Errorf("one sample: %+v", one)
	}
	if (percentiles(nil) != Percentiles{}) {
		t.Error("no samples should give zeros")
	}
}

func TestReport(t *testing.T) {
	bot := &Result{Name: "returnbot", Users: 500, Seconds: 10, Updates: 6000, AllUpdates: 7000, UpdatesPerSec: 600,
		Latency:      Percentiles{P50: Millis(2 * time.Millisecond), P95: Millis(5 * time.Millisecond), P99: Millis(8 * time.Millisecond), Max: Millis(20 * time.Millisecond)},
		CPUPerUpdate: Millis(time.Millisecond), Delivery: &Delivery{Sent: 9000, Received: 9000},
		Redis: &RedisStats{Commands: 70000, PerUpdate: 10, ByCommand: map[string]int64{"evalsha": 30000, "get": 40000}}}
	floor := &Result{Name: "floor", Users: 500, Seconds: 10, Updates: 10000, AllUpdates: 12000, UpdatesPerSec: 1000,
		Latency:      Percentiles{P50: Millis(time.Millisecond), P95: Millis(2 * time.Millisecond), P99: Millis(4 * time.Millisecond), Max: Millis(9 * time.Millisecond)},
		CPUPerUpdate: Millis(500 * time.Microsecond)}
	rep := NewReport([]string{"setup line"}, bot, floor)
	if rep.Ratio == nil || rep.Ratio.Throughput != 0.6 || rep.Ratio.P50 != 2 || rep.Ratio.P99 != 2 || rep.Ratio.CPU != 2 {
		t.Fatalf("ratio %+v", rep.Ratio)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"setup line", "returnbot/floor throughput: 0.60 (below the goal of 0.70)", "p99 2.00×",
		"all delivered", "get 40000, evalsha 30000"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
	var row string
	for _, l := range strings.Split(text.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "returnbot" {
			row = strings.Join(f, " ")
			break
		}
	}
	if !strings.HasPrefix(row, "returnbot 6000 600 2.00 5.00 8.00 20.00 0 ") || !strings.HasSuffix(row, " 10.00 - 1.00") {
		t.Errorf("table row %q", row)
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Results []struct {
			Name    string `json:"name"`
			Latency struct {
				P99 float64 `json:"p99_ms"`
			} `json:"latency"`
			Redis *struct {
				PerUpdate float64 `json:"commands_per_update"`
			} `json:"redis"`
		} `json:"results"`
		Ratio struct {
			Throughput float64 `json:"throughput"`
		} `json:"ratio"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 2 || back.Results[0].Latency.P99 != 8 || back.Results[0].Redis.PerUpdate != 10 || back.Ratio.Throughput != 0.6 {
		t.Errorf("JSON report %s", js.String())
	}

	// Open loop: the p99 goal is judged.
	bot.Rate = 1000
	text.Reset()
	if err := NewReport(nil, bot).WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "returnbot p99 at 1000 updates/s: 8.00 ms (meets the goal of < 10 ms)") {
		t.Errorf("open-loop report:\n%s", text.String())
	}
	// Send times missed: the rate was not kept, whatever the p99 of those sent.
	bot.Missed = 5
	text.Reset()
	if err := NewReport(nil, bot).WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "8.00 ms (misses the goal") || !strings.Contains(text.String(), "5 send times missed") {
		t.Errorf("open-loop report with misses:\n%s", text.String())
	}
}

func TestStartRedis(t *testing.T) {
	rs, err := StartRedis(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(rs.URL, "redis://")
	if reply, err := redistest.Do(addr, "PING"); err != nil || reply != "PONG" {
		t.Fatalf("PING: %q, %v", reply, err)
	}
	if !strings.HasPrefix(rs.Version, "Redis server") {
		t.Errorf("version %q", rs.Version)
	}
	rs.Stop()
	if _, err := redistest.Do(addr, "PING"); err == nil {
		t.Error("redis-server still answers after Stop")
	}
}
