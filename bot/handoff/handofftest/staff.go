package handofftest

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/inmem"
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
	media []Medium
}

// Medium is a medium posted to the staff chat, with the bytes its Open gave (read as the Telegram
// adapter would, to upload it).
type Medium struct {
	bot.Medium
	Data []byte
	Text string
}

// Media returns the media posted so far.
func (s *StaffPosts) Media() []Medium {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Medium(nil), s.media...)
}

// PostStaff records a post (buttons are left out) and reports it delivered as the message
// "staff:<n>", n counting posts from 1 (see Ref).
func (s *StaffPosts) PostStaff(p bot.StaffPost) {
	if p.Medium != nil {
		m := Medium{Medium: *p.Medium, Text: p.Text}
		if p.Medium.Open != nil {
			if r, err := p.Medium.Open(context.Background()); err == nil {
				m.Data, _ = io.ReadAll(r)
				r.Close()
			}
		}
		m.Open = nil
		s.mu.Lock()
		s.media = append(s.media, m)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.posts = append(s.posts, p.Text)
	ref := Ref(len(s.posts))
	s.mu.Unlock()
	if p.Posted != nil {
		p.Posted(ref)
	}
}

// Ref is the reference StaffPosts gives its n-th post (from 1), for a StaffMsg.ReplyTo.
func Ref(n int) string { return "staff:" + strconv.Itoa(n) }

// Posts returns the posts so far.
func (s *StaffPosts) Posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts...)
}

var cardCode = regexp.MustCompile(`🎫 (` + handoff.CodePattern + `)`)

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

// Office is the built-in content wired as cmd/returnbot wires it for a channel's handoff tests:
// an engine with the office's calendar, a bot on sessions, and a handoff service (tickets in
// memory, staff member 4242) whose staff chat posts are recorded.
type Office struct {
	Bot     *bot.Bot
	Service *handoff.Service
	Staff   *StaffPosts
}

// Engine returns a new engine on the shipped content with the default office's calendar, as a
// process builds one (the calendar is part of the engine), and that calendar.
func Engine(t testing.TB) (*bot.Engine, *handoff.Calendar) {
	t.Helper()
	pack := Content(t)
	c := pack.Content
	cal, err := handoff.NewCalendar(c.Offices[c.DefaultOffice])
	if err != nil {
		t.Fatal(err)
	}
	eng := bot.NewEngine(c, pack.Catalog)
	eng.SetCalendar(cal)
	if pack.Model != nil {
		eng.SetUnderstander(pack.Model) // as flow.Load's engine reads free text
	}
	return eng, cal
}

// NewOffice returns an Office whose users' pseudonyms and codes come from secret and whose
// clock is now.
func NewOffice(t testing.TB, sessions bot.Store, secret []byte, now func() time.Time) *Office {
	t.Helper()
	pack := Content(t)
	c := pack.Content
	eng, cal := Engine(t)
	sealer, err := handoff.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	o := &Office{Staff: &StaffPosts{}}
	o.Service, err = handoff.NewService(handoff.Config{
		Store: inmem.NewHandoff(), Sessions: sessions, Language: pack.Catalog, Content: c, Calendar: cal,
		Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret, StaffIDs: map[string]bool{"4242": true},
		Staff: o.Staff, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Bot = bot.New(eng, sessions, nil)
	o.Bot.SetHandoff(o.Service)
	return o
}
