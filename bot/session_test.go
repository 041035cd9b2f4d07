package bot_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/returnbot/returnbot/bot"
)

func TestSessionRoundTrip(t *testing.T) {
	for _, s := range []bot.Session{
		{},
		{Lang: "ckb"},
		{Lang: "fa", Flow: "eligibility", Node: "residence", Trail: []string{"main.menu", "eligibility.start"},
			Answers: map[string]string{"residence": "none", "free": "کابل"}, Pending: "forget", Seen: -5, Topics: []string{"contact"}, Mode: bot.ModeStaff, Turn: 300},
	} {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got bot.Session
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
		}
	}
}

func TestSessionRejectsGarbage(t *testing.T) {
	good, _ := (&bot.Session{Lang: "en", Answers: map[string]string{"a": "b"}}).MarshalBinary()
	for i := range good {
		var s bot.Session
		if err := s.UnmarshalBinary(good[:i]); err == nil {
			t.Errorf("truncated to %d bytes decoded without error", i)
		}
	}
	var s bot.Session
	if err := s.UnmarshalBinary(append(good, 0)); err == nil {
		t.Error("trailing byte decoded without error")
	}
}

func FuzzSessionDecode(f *testing.F) {
	good, _ := (&bot.Session{Lang: "en", Flow: "main", Node: "menu", Trail: []string{"x.y"}, Answers: map[string]string{"a": "b"}}).MarshalBinary()
	f.Add(good)
	f.Add([]byte{1, 200, 200, 200, 200, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s bot.Session
		if s.UnmarshalBinary(b) != nil {
			return
		}
		again, _ := s.MarshalBinary()
		var s2 bot.Session
		if err := s2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("re-encoding a decoded session changed it: %v", err)
		}
	})
}

func TestNewerSessionFormatIsNotMistakenForGarbage(t *testing.T) {
	var s bot.Session
	if err := s.UnmarshalBinary([]byte{9, 0, 0}); !errors.Is(err, bot.ErrNewerSession) || !errors.Is(err, bot.ErrBadSession) {
		t.Fatalf("format 9: %v", err)
	}
	if err := s.UnmarshalBinary([]byte("garbage")); errors.Is(err, bot.ErrNewerSession) || !errors.Is(err, bot.ErrBadSession) {
		t.Fatalf("garbage: %v", err)
	}
}

// A session written by the previous release (format 2, no Turn) must still be read after an
// upgrade: it is the same bytes without the turn, and decodes with Turn 0.
func TestSessionFormat2StillDecodes(t *testing.T) {
	s := bot.Session{Lang: "fa", Flow: "main", Node: "menu", Mode: bot.ModeWaiting, Answers: map[string]string{"a": "b"}}
	b, _ := s.MarshalBinary()
	// Format 3 writes the turn as one uvarint byte (0) right after Mode; drop it and mark format 2.
	turnAt := len(b) - 1 - 5 // the turn byte, then the answers: count, len "a", "a", len "b", "b"
	old := append([]byte{2}, b[1:turnAt]...)
	old = append(old, b[turnAt+1:]...)
	var got bot.Session
	if err := got.UnmarshalBinary(old); err != nil {
		t.Fatalf("format 2: %v", err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("format 2:\n got %+v\nwant %+v", got, s)
	}
}
