package staff_test

import (
	"context"
	"testing"

	"github.com/returnbot/returnbot/bot/metrics"
	"github.com/returnbot/returnbot/bot/staff"
)

// TestHelpfulInStatistics: answers to "Was this helpful?" are daily counters by topic, language
// and answer (kept with the statistics' TTL), and reach the metrics behind the statistics, as
// do deep-link starts.
func TestHelpfulInStatistics(t *testing.T) {
	d := newDesk(t)
	stats := staff.NewStats(d.store, oslo(t), metrics.New(), nil)
	stats.SetClock(d.clk.now)
	stats.Helpful("support", "so", false)
	stats.Helpful("support", "so", false)
	stats.Helpful("return", "fa", true)
	stats.Reached("poster", "return", "fa") // passed on, not a daily counter
	if err := stats.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ada := d.login("ada")
	var res struct{ Totals map[string]int64 }
	day := d.clk.now().In(oslo(t)).Format("2006-01-02")
	if got := ada.do("GET", "/staff/api/stats?from="+day+"&to="+day, nil, &res); got != 200 {
		t.Fatalf("stats: %d", got)
	}
	for k, want := range map[string]int64{"helpful:support:so:no": 2, "helpful:return:fa:yes": 1} {
		if res.Totals[k] != want {
			t.Errorf("%s = %d, want %d (all %v)", k, res.Totals[k], want, res.Totals)
		}
	}
	for k := range res.Totals {
		if k == "poster" || len(k) > 7 && k[:7] == "reached" {
			t.Errorf("a deep-link source became a daily counter: %s", k)
		}
	}
}
