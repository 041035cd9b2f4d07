package handofftest

import (
	"regexp"
	"sync"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

var (
	contentOnce sync.Once
	content     *flow.Pack
)

// Content is the built-in content, loaded once: the handoff flow (counsellor chat, visit
// planning) lives there, not in the channels' small test packs.
func Content(t testing.TB) *flow.Pack {
	t.Helper()
	contentOnce.Do(func() {
		p, err := flow.Load(flows.FS, locales.FS)
		if p == nil || p.Engine == nil {
			t.Fatalf("content: %v", err) // missing translations alone are not fatal
		}
		content = p
	})
	if content == nil {
		t.Fatal("content did not load")
	}
	return content
}

// StaffPosts records what a handoff service posts to the staff chat (handoff.StaffChat).
type StaffPosts struct {
	mu    sync.Mutex
	posts []string
}

// PostStaff records a post; buttons are left out.
func (s *StaffPosts) PostStaff(text string, _ []bot.Button) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts = append(s.posts, text)
}

// Posts returns the posts so far.
func (s *StaffPosts) Posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts...)
}

var cardCode = regexp.MustCompile(`🎫 ([` + handoff.CodeAlphabet + `]{3}-[` + handoff.CodeAlphabet + `]{3})`)

// LastCode is the code of the latest ticket card posted, "" when none.
func (s *StaffPosts) LastCode() string {
	posts := s.Posts()
	for i := len(posts) - 1; i >= 0; i-- {
		if m := cardCode.FindStringSubmatch(posts[i]); m != nil {
			return m[1]
		}
	}
	return ""
}
