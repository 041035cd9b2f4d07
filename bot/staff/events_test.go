package staff_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/staff"
)

// TestEventsStream: the inbox's event stream tells of a new ticket, a take in the workspace, a
// take in the Telegram group (which this server hears of only by polling the store, as it would
// a change on another replica), a relayed message and a close.
func TestEventsStream(t *testing.T) {
	d := newDesk(t)
	kari := d.login("kari")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.http.URL+"/staff/api/events", nil)
	res, err := kari.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan staff.Event, 32)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev staff.Event
				if json.Unmarshal([]byte(data), &ev) == nil {
					events <- ev
				}
			}
		}
		close(events)
	}()
	// The stream is ready once its first snapshot is taken; give it that moment.
	time.Sleep(300 * time.Millisecond)
	want := func(typ, code string) staff.Event {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream ended waiting for %s %s", typ, code)
				}
				if ev.Type == typ && ev.Code == code {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("no %s event for %s", typ, code)
			}
		}
	}
	code := d.askChat("u1")
	want("opened", code)
	kari.do("POST", "/staff/api/tickets/"+code+"/take", nil, nil)
	if ev := want("taken", code); ev.Staff != "kari" {
		t.Fatalf("taken by %q", ev.Staff)
	}
	d.say("u1", "hello")
	want("message", code)
	code2 := d.askChat("u2")
	want("opened", code2)
	d.office.Service.Staff(context.Background(), handoff.StaffMsg{StaffID: "4242", Name: "Per", Text: "/take " + code2})
	if ev := want("taken", code2); !strings.Contains(ev.Staff, "Per") {
		t.Fatalf("group take shows as %q", ev.Staff)
	}
	kari.do("POST", "/staff/api/tickets/"+code+"/close", nil, nil)
	want("closed", code)
}

// TestStatsObserverPassesOn: the statistics observer counts not-understood texts by language and
// node and passes every call on to the next observer (the metrics).
func TestStatsObserverPassesOn(t *testing.T) {
	d := newDesk(t)
	next := &countingObserver{}
	stats := staff.NewStats(d.store, oslo(t), next, nil)
	stats.SetClock(d.clk.now)
	stats.NotUnderstood("fa", "main")
	stats.NotUnderstood("fa", "main")
	stats.Topic("travel", "ti")
	stats.Handled("telegram", "ok", time.Millisecond)
	stats.Handled("telegram", "unavailable", time.Millisecond)
	if err := stats.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := d.store.Counts(context.Background(), "2027-03-24")
	if got["nu:fa:main"] != 2 || got["topic:travel:ti"] != 1 || got["channel:telegram"] != 1 || len(got) != 3 {
		t.Fatalf("counts %v", got)
	}
	if next.nu != 2 || next.topics != 1 || next.handled != 2 {
		t.Fatalf("passed on %+v", next)
	}
	// Flushing again adds nothing.
	_ = stats.Flush(context.Background())
	if again, _ := d.store.Counts(context.Background(), "2027-03-24"); again["nu:fa:main"] != 2 {
		t.Fatalf("second flush counted again: %v", again)
	}
}

type countingObserver struct{ handled, topics, nu int }

func (c *countingObserver) Handled(string, string, time.Duration) { c.handled++ }
func (c *countingObserver) Topic(string, string)                  { c.topics++ }
func (c *countingObserver) NotUnderstood(string, string)          { c.nu++ }
