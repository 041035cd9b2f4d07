package loadgen

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// A sendMessage as the bot sends one (a paragraph of Russian, five buttons) and as the floor does:
// what the fake Bot API's own work costs per message, apart from the target's.
func BenchmarkFakeAPISend(b *testing.B) {
	text := strings.Repeat("Добровольное возвращение — это когда вы сами решаете вернуться домой. ", 8) + "\n\n👇"
	var kb [][]map[string]string
	for i := range 5 {
		kb = append(kb, []map[string]string{{"text": "Вариант ответа номер " + string(rune('1'+i)), "callback_data": "o|about.start|opt" + string(rune('a'+i))}})
	}
	markup, _ := json.Marshal(map[string]any{"inline_keyboard": kb})
	botBody, _ := json.Marshal(map[string]any{"chat_id": 1234567890, "text": text, "reply_markup": json.RawMessage(markup)})
	floorBody := url.Values{"chat_id": {"1234567890"}, "text": {"Floor"}, "reply_markup": {floorKeyboard}}.Encode()
	for _, c := range []struct {
		name, body, ctype string
	}{{"bot", string(botBody), "application/json"}, {"floor", floorBody, "application/x-www-form-urlencoded"}} {
		b.Run(c.name, func(b *testing.B) {
			api := &FakeAPI{chats: map[int64]*Chat{}, webhook: make(chan struct{})}
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/bot"+Token+"/sendMessage", bytes.NewReader([]byte(c.body)))
				r.Header.Set("Content-Type", c.ctype)
				w := httptest.NewRecorder()
				api.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}
