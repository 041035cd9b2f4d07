package webchat_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/webchat"
)

// TestPerAddressLimitGroupsIPv6By64: the per-address limit counts an IPv4 client by its address
// and an IPv6 client by its /64, so hopping between the addresses of one's own /64 (which any
// phone or home router can) does not make a fresh bucket; the same holds behind a trusted proxy.
func TestPerAddressLimitGroupsIPv6By64(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		lim := &countLimiter{}
		h, _ := newHandler(t, webchat.Config{Limiter: lim, TrustForwardedFor: proxied,
			PerID: webchat.Rate{PerSecond: 1, Burst: 100}, PerIP: webchat.Rate{PerSecond: 1, Burst: 100}})
		bucket := func(addr string) string {
			r := httptest.NewRequest("POST", "/webchat/api/message", strings.NewReader(`{"id":"`+testID+`","text":"hello"}`))
			r.Header.Set("Content-Type", "application/json")
			if proxied {
				r.RemoteAddr = "10.0.0.1:443"
				r.Header.Set("X-Forwarded-For", "198.51.100.7, "+strings.Trim(addr, "[]"))
			} else {
				r.RemoteAddr = addr + ":50000"
			}
			before := map[string]int{}
			lim.mu.Lock()
			for k, n := range lim.n {
				before[k] = n
			}
			lim.mu.Unlock()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", addr, w.Code)
			}
			lim.mu.Lock()
			defer lim.mu.Unlock()
			for k, n := range lim.n {
				if strings.HasPrefix(k, "web:ip:") && n != before[k] {
					return k
				}
			}
			t.Fatalf("%s: no per-address bucket taken", addr)
			return ""
		}
		same := func(a, b string) {
			t.Helper()
			if bucket(a) != bucket(b) {
				t.Errorf("proxied=%v: %s and %s are counted apart; want one bucket", proxied, a, b)
			}
		}
		apart := func(a, b string) {
			t.Helper()
			if bucket(a) == bucket(b) {
				t.Errorf("proxied=%v: %s and %s share a bucket; want one each", proxied, a, b)
			}
		}
		same("[2001:db8:1:2::a]", "[2001:db8:1:2:ffff:ffff:ffff:ffff]")
		same("[2001:db8:1:2::a]", "[2001:db8:1:2:1234:5678:9abc:def0]")
		apart("[2001:db8:1:2::a]", "[2001:db8:1:3::a]")
		apart("192.0.2.1", "192.0.2.2")
		same("192.0.2.1", "[::ffff:192.0.2.1]")
		for k := range lim.n {
			if strings.Contains(k, "2001") || strings.Contains(k, "192.0.2") {
				t.Errorf("limiter key %q reveals the client", k)
			}
		}
	}
}
