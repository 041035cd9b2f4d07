package bot_test

import (
	"encoding/binary"
	"testing"

	"github.com/returnbot/returnbot/bot"
)

func TestSessionModeRoundTripAndOldFormat(t *testing.T) {
	s := bot.Session{Lang: "fa", Flow: "handoff", Node: "chat", Mode: bot.ModeStaff}
	b, _ := s.MarshalBinary()
	var got bot.Session
	if err := got.UnmarshalBinary(b); err != nil || got.Mode != bot.ModeStaff {
		t.Fatalf("mode round trip: %+v %v", got, err)
	}
	// Format 1 (before Mode): format byte, lang, flow, node, pending, seen, trail, topics, answers.
	old := []byte{1}
	for _, v := range []string{"nb", "main", "menu", ""} {
		old = binary.AppendUvarint(old, uint64(len(v)))
		old = append(old, v...)
	}
	old = binary.AppendVarint(old, 42)
	old = append(old, 0, 0, 0)
	if err := got.UnmarshalBinary(old); err != nil || got.Lang != "nb" || got.Node != "menu" || got.Seen != 42 || got.Mode != "" {
		t.Fatalf("format 1 session: %+v %v", got, err)
	}
}
