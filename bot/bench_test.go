package bot_test

import (
	"testing"

	"github.com/returnbot/returnbot/bot"
)

// BenchmarkEngine measures one message: a typed option number that moves to another page.
func BenchmarkEngine(b *testing.B) {
	e := testPack(b).Engine
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
	evs := []bot.Event{text("3"), text("1")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Respond(s, evs[i%2])
	}
}

// BenchmarkEngineFreeText measures a typed question matched against the topics.
func BenchmarkEngineFreeText(b *testing.B) {
	e := testPack(b).Engine
	s := &bot.Session{Lang: "en", Flow: "main", Node: "menu", Seen: at.Unix()}
	ev := text("where is the office please")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Flow, s.Node = "main", "menu"
		e.Respond(s, ev)
	}
}
