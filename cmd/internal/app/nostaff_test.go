package app

import (
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot"
)

// TestServeWithoutStaffChatOffersPhoneAndVisit: with no staff chat set up, nobody could answer a
// chat, so "chat now" must not promise a counsellor; serve says so at start-up (issue 19, item 6).
func TestServeWithoutStaffChatOffersPhoneAndVisit(t *testing.T) {
	rb := startMain(t)
	base, stderr := rb.base, rb.stderr
	var a hoWebAnswer
	hoWeb(t, base, "message", map[string]any{"id": "NoStaffWebUser_000000001", "choice": bot.OptionData("handoff.start", "chat"), "lang": "en"}, &a)
	var texts []string
	for _, r := range a.Replies {
		texts = append(texts, r.Text)
	}
	all := strings.Join(texts, "\n")
	if !strings.Contains(all, "is not possible yet") || strings.Contains(all, "will answer you here") {
		t.Fatalf("chat request without staff answered:\n%s", all)
	}
	rb.stop(t)
	if !strings.Contains(stderr.String(), "no staff chat is set up") {
		t.Fatalf("serve did not say that no staff chat is set up:\n%s", stderr.String())
	}
}
