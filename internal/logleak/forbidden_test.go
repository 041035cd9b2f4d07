package logleak_test

import (
	"encoding/json"
	"testing"

	"github.com/returnbot/returnbot/internal/logleak"
)

// TestLogPrivacyMatcher checks the matcher of the log privacy test (cmd/internal/app) itself: it must find a value
// however a log line formats it, and not raise alarms over timestamps and pseudonyms.
func TestLogPrivacyMatcher(t *testing.T) {
	f := logleak.NewForbidden()
	if err := f.Collect("telegram", map[string]any{"message": map[string]any{
		"from": map[string]any{"id": json.Number("7310000001"), "first_name": "Farid", "username": "farid_kabul"},
		"chat": map[string]any{"id": json.Number("-1001987654321")},
		"text": "/reply ABC-DEF Hei Farid, velkommen", "contact": map[string]any{"phone_number": "+47 912 34 567"},
	}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.Collect("whatsapp", map[string]any{"messages": []any{map[string]any{"from": "93701234567",
		"context": map[string]any{"from": "1122334455667"}, "text": map[string]any{"body": "دفتر شما کجاست؟"}}}}, ""); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{
		`{"msg":"x","chat":7310000001}`, `{"msg":"x","chat":"-1001987654321"}`, `{"msg":"x","to":"+93 70 123 4567"}`,
		`{"msg":"x","phone":"4791234567"}`, `{"msg":"x","phone":"0047 912-34-567"}`, `{"msg":"x","who":"FARID_KABUL"}`,
		`{"msg":"x","text":"دفتر شما کجاست؟"}`, `{"msg":"x","start":"Hei Farid, velkomm…"}`, `{"msg":"x","end":"…Farid, velkommen"}`, `{"msg":"x","t":"Hei Farid, velkommen"}`,
	} {
		if len(f.Find(leak, "test")) == 0 {
			t.Errorf("not found in %s", leak)
		}
	}
	for _, clean := range []string{
		`{"time":"2026-11-23T14:26:07.493374328Z","msg":"telegram: webhook set","path":"/telegram/webhook"}`,
		`{"msg":"whatsapp: send failed","user":"2P2FF3MlIliAEG19MXsR6w","phone_number_id":"1122334455667"}`,
		`{"msg":"telegram: stopped","sent":44,"undeliverable":1}`,
	} {
		if found := f.Find(clean, "test"); len(found) > 0 {
			t.Errorf("false alarm: %v", found)
		}
	}
	if err := f.Collect("telegram", map[string]any{"from": map[string]any{"id": json.Number("456")}}, ""); err == nil {
		t.Error("a 3-digit id was accepted; it would match timestamps and counts by chance")
	}
}
