package whatsapp_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/whatsapp"
)

// TestWebhookJudgesHeadersFirst: a POST without a well-formed X-Hub-Signature-256, or announcing
// a body over MaxBody, is answered from its headers alone, over a real socket, without the server
// waiting for a body the client never sends (a slow client holds nothing). The signature itself
// can only be checked against the body, so a well-formed one still needs it read.
func TestWebhookJudgesHeadersFirst(t *testing.T) {
	e := setup(t, nil)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	wellFormed := whatsapp.Sign("any-secret", []byte("{}"))
	for _, c := range []struct {
		name, sig string
		length    int
		want      int
	}{
		{"no signature", "", 500_000, 401},
		{"no prefix", strings.TrimPrefix(wellFormed, "sha256="), 500_000, 401},
		{"not hex", "sha256=" + strings.Repeat("z", 64), 500_000, 401},
		{"short", "sha256=abcd", 500_000, 401},
		{"too large", wellFormed, whatsapp.MaxBody + 1, 413},
	} {
		conn, err := net.DialTimeout("tcp", host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		sig := ""
		if c.sig != "" {
			sig = whatsapp.SignatureHeader + ": " + c.sig + "\r\n"
		}
		fmt.Fprintf(conn, "POST /whatsapp/webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n{", host, sig, c.length)
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
}
