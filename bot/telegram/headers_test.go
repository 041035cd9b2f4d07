package telegram_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/telegram"
)

// TestWebhookJudgesHeadersFirst: a delivery with a wrong secret, or announcing a body over
// MaxWebhookBody, is answered from its headers alone, over a real socket, without the server
// waiting for a body the client never sends (a slow client holds nothing).
func TestWebhookJudgesHeadersFirst(t *testing.T) {
	h := start(t, webhook)
	u, err := url.Parse(h.hookU)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, secret string
		length       int
		want         int
	}{
		{"no secret", "", 500_000, 401},
		{"wrong secret", "hook-secret_0123456788", 500_000, 401},
		{"too large", hookSecret, telegram.MaxWebhookBody + 1, 413},
	} {
		conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		secret := ""
		if c.secret != "" {
			secret = telegram.SecretHeader + ": " + c.secret + "\r\n"
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n{", u.Path, u.Host, secret, c.length)
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil {
			t.Errorf("%s: no answer before the body was sent: %v", c.name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	h.stop()
}
