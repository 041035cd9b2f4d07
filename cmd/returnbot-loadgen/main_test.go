package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/redis/redistest"
)

// A short run of the real bot (built-in content, Redis store, Telegram webhook) and the floor, in
// two alternating rounds (a fresh bot each): every update handled, every reply delivered, and the
// figures are there and consistent.
func TestLoadgenBaselineJSON(t *testing.T) {
	url := redistest.Server(t)
	t.Setenv("RETURNBOT_LOG_LEVEL", "error")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--users", "20", "--duration", "1s", "--warmup", "300ms", "--baseline", "--rounds", "2", "--json", "--redis", url},
		&stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	type pct struct{ P50, P95, P99 float64 }
	var rep struct {
		Setup   []string `json:"setup"`
		Results []struct {
			Name    string  `json:"name"`
			Updates int64   `json:"updates"`
			Sent    int64   `json:"updates_sent"`
			PerSec  float64 `json:"updates_per_sec"`
			Errors  int64   `json:"errors"`
			Latency struct {
				P50 float64 `json:"p50_ms"`
				P95 float64 `json:"p95_ms"`
				P99 float64 `json:"p99_ms"`
			} `json:"latency"`
			API struct {
				Messages  int64 `json:"messages"`
				Callbacks int64 `json:"callback_answers"`
				Rejected  int64 `json:"rejected"`
			} `json:"bot_api"`
			Delivery *struct {
				Sent, Received, Mismatch, Undeliverable int64
			} `json:"delivery"`
			Redis *struct {
				PerUpdate float64          `json:"commands_per_update"`
				Calls     float64          `json:"calls_per_update"`
				ByCommand map[string]int64 `json:"by_command"`
			} `json:"redis"`
		} `json:"results"`
		Ratio *struct {
			Throughput float64 `json:"throughput"`
			P99        float64 `json:"p99"`
		} `json:"ratio"`
		RoundRatios []float64 `json:"round_ratios"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	if len(rep.Results) != 2 || rep.Results[0].Name != "returnbot" || rep.Results[1].Name != "floor" {
		t.Fatalf("rows: %s", stdout.String())
	}
	if !strings.Contains(strings.Join(rep.Setup, "\n"), "20 users, closed loop") {
		t.Errorf("setup: %q", rep.Setup)
	}
	for _, r := range rep.Results {
		if r.Updates == 0 || r.Errors != 0 || r.PerSec <= 0 {
			t.Errorf("%s: %d updates, %d errors, %.0f/s", r.Name, r.Updates, r.Errors, r.PerSec)
		}
		if l := r.Latency; !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99) {
			t.Errorf("%s: latency out of order: %+v", r.Name, l)
		}
		if d := r.Delivery; d == nil || d.Sent == 0 || d.Mismatch != 0 || d.Undeliverable != 0 || r.API.Rejected != 0 {
			t.Errorf("%s: delivery %+v, rejected %d", r.Name, d, r.API.Rejected)
		}
		if r.Redis == nil || r.Redis.PerUpdate <= 0 || r.Redis.Calls <= 0 {
			t.Errorf("%s: redis %+v", r.Name, r.Redis)
		}
	}
	bot := rep.Results[0]
	// The bot answers every update with at least one message, and every button press with a
	// callback answer too.
	if bot.API.Messages < bot.Sent || bot.API.Callbacks == 0 {
		t.Errorf("returnbot: %d messages and %d callback answers for %d updates", bot.API.Messages, bot.API.Callbacks, bot.Sent)
	}
	// Sessions are written by script: the bot's Redis work is more than the floor's GET+SET.
	if bot.Redis.ByCommand["evalsha"] == 0 || bot.Redis.PerUpdate <= rep.Results[1].Redis.PerUpdate {
		t.Errorf("returnbot redis: %+v", bot.Redis)
	}
	if rep.Ratio == nil || rep.Ratio.Throughput <= 0 || rep.Ratio.P99 <= 0 {
		t.Errorf("ratio: %+v", rep.Ratio)
	}
	if len(rep.RoundRatios) != 2 || rep.RoundRatios[0] <= 0 || rep.RoundRatios[1] <= 0 {
		t.Errorf("round ratios: %v", rep.RoundRatios)
	}
	if !strings.Contains(strings.Join(rep.Setup, "\n"), "2 rounds of 1s measured") {
		t.Errorf("setup: %q", rep.Setup)
	}
}

func TestLoadgenRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--users", "0"}, {"--rate", "-1"}, {"--duration", "0s"}, {"--chat-rate", "0"}, {"--rounds", "0"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("loadgen %v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}
