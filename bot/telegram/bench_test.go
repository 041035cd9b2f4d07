package telegram_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/returnbot/returnbot/bot/telegram"
)

// BenchmarkWebhook measures one webhook delivery from request to 200: secret check, decoding,
// dedupe, the engine in one in-memory store update, and queueing the replies (sending is
// asynchronous and not included).
func BenchmarkWebhook(b *testing.B) {
	h := start(b, webhook)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		// Many chats, so that no chat's queue grows without bound.
		bodies[i] = msg(int64(i+1), int64(1000+i%500), "en", "/menu")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, h.hookU, bytes.NewReader(bodies[i]))
		req.Header.Set(telegram.SecretHeader, hookSecret)
		rec := httptest.NewRecorder()
		h.ad.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.StopTimer()
}
