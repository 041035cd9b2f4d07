package flow_test

import (
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
)

// TestReachFile: reach.yaml topics must lead to real nodes, and names must not be readable as
// two things (a language, a topic, a source); a good file loads and its topics count as reachable.
func TestReachFile(t *testing.T) {
	fl, lo := files(map[string]string{
		"reach.yaml": "topics:\n  talk: handoff.start\n  gone: main.nothere\n  en: main.menu\nsources: [poster, talk]\n",
		"en.json":    locale(map[string]string{"reach.wa_prefill": "Hi"}),
	})
	_, err := flow.Load(fl, lo)
	if err == nil {
		t.Fatal("a bad reach.yaml loaded")
	}
	for _, want := range []string{
		`topic "gone" goes to "main.nothere", which does not exist`,
		`topic "en" is also a language code`,
		`source "talk" is also a topic`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Names a link could not carry are refused when the file is read.
	fl, lo = files(map[string]string{"reach.yaml": "topics:\n  Bad-Name: main.menu\nsources: [other]\n"})
	_, err = flow.Load(fl, lo)
	for _, want := range []string{`reach.yaml:2: topic name "Bad-Name"`, `source "other"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	fl, lo = files(map[string]string{
		"reach.yaml": "topics:\n  talk: handoff.start\nsources: [poster]\n",
		"en.json":    locale(reachTexts()),
	})
	p, err := flow.Load(fl, lo)
	if err != nil {
		t.Fatal(err)
	}
	if p.Content.Reach.Topics["talk"] != "handoff.start" || len(p.Content.Reach.Sources) != 1 || !p.Report.OK() {
		t.Errorf("reach %+v, report %+v", p.Content.Reach, p.Report)
	}
	// Without the reach texts the pack still runs, but validate reports the missing text.
	fl, lo = files(map[string]string{"reach.yaml": "topics:\n  talk: handoff.start\n"})
	if p, err = flow.Load(fl, lo); err != nil || p.Report.OK() {
		t.Errorf("missing reach.wa_prefill: err %v, report OK %v", err, p.Report.OK())
	}
}

// reachTexts has every message a pack with a reach.yaml needs.
func reachTexts() map[string]string {
	m := map[string]string{}
	for _, id := range bot.ReachMessages {
		m[id] = id
	}
	return m
}
