package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
)

// TestServeSetupLinkCreatesFirstAdmin: serve with no account prints a setup link; on this
// machine it creates the first admin once, who then signs in; the page is served under /staff.
func TestServeSetupLinkCreatesFirstAdmin(t *testing.T) {
	rb := startMain(t)
	stderr := rb.stderr
	var link string
	for _, l := range strings.Split(rb.stdout.String(), "\n") { // printed before Run returns
		if strings.Contains(l, "#setup=") {
			for _, f := range strings.Fields(l) {
				if strings.Contains(f, "#setup=") {
					link = f
				}
			}
		}
	}
	if link == "" {
		t.Fatalf("no setup link; stdout:\n%s\nstderr:\n%s", rb.stdout.String(), stderr.String())
	}
	base := link[:strings.Index(link, "/staff/")]
	token := link[strings.Index(link, "#setup=")+len("#setup="):]
	res, err := http.Get(base + "/staff/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("page: %v", err)
	}
	res.Body.Close()
	post := func(c *http.Client, path string, body map[string]string) int {
		b, _ := json.Marshal(body)
		res, err := c.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// No staff chat and no account: "chat now" answers with the phone and a visit; once the first
	// account exists, it is a chat again.
	chatAnswer := func(id string) string {
		var a hoWebAnswer
		hoWeb(t, base, "message", map[string]any{"id": id, "choice": bot.OptionData("handoff.start", "chat"), "lang": "en"}, &a)
		var texts []string
		for _, r := range a.Replies {
			texts = append(texts, r.Text)
		}
		return strings.Join(texts, "\n")
	}
	if got := chatAnswer("SetupWebUserBefore_0000001"); !strings.Contains(got, "is not possible yet") {
		t.Fatalf("chat request with no staff at all answered:\n%s", got)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body := map[string]string{"token": token, "name": "boss", "password": "the first admin's password"}
	if got := post(c, "/staff/api/setup", body); got != 200 {
		t.Fatalf("setup: %d", got)
	}
	if got := chatAnswer("SetupWebUserAfter_00000001"); strings.Contains(got, "is not possible yet") {
		t.Fatalf("chat request with a staff account answered as if nobody could:\n%s", got)
	}
	if got := post(c, "/staff/api/setup", body); got != 403 {
		t.Fatalf("second setup: %d", got)
	}
	if got := post(c, "/staff/api/login", map[string]string{"name": "boss", "password": "the first admin's password"}); got != 200 {
		t.Fatalf("login: %d", got)
	}
	res, err = c.Get(base + "/staff/api/tickets")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("tickets as admin: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	if !strings.Contains(stderr.String(), "kept in this process only") {
		t.Fatalf("serve did not warn that accounts are in memory:\n%s", stderr.String())
	}
}
