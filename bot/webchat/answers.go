package webchat

import (
	"strings"
	"sync"
	"time"
)

// Answers to messages are kept for a while by (user, msg_id): a page whose answer was lost on
// the way (the connection dropped after the server had acted) sends the same msg_id again, the
// bot rightly does not act twice, and the kept answer is sent instead of nothing. Only this
// replica's answers are kept; a resend that reaches another replica gets an empty duplicate
// answer, as before.
const (
	answerTTL  = 10 * time.Minute
	maxAnswers = 2000
)

type keptAnswer struct {
	resp    Response
	expires time.Time
}

// answerCache is the answers kept, in process memory. Bot texts only (never what users
// typed), under the pseudonym; /forget erases a user's.
type answerCache struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]keptAnswer
}

func newAnswerCache(now func() time.Time) *answerCache {
	return &answerCache{now: now, m: map[string]keptAnswer{}}
}

func answerKey(user, msgID string) string { return user + "\x00" + msgID }

// put keeps resp as the answer to msgID.
func (c *answerCache) put(user, msgID string, resp Response) {
	if msgID == "" {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxAnswers {
		for k, a := range c.m {
			if now.After(a.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < maxAnswers {
				break
			}
			delete(c.m, k) // full of fresh answers: drop any
		}
	}
	resp.Inbox = nil // fetched afresh with every answer
	c.m[answerKey(user, msgID)] = keptAnswer{resp: resp, expires: now.Add(answerTTL)}
}

// get returns the answer kept for msgID, if it is still there.
func (c *answerCache) get(user, msgID string) (Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[answerKey(user, msgID)]
	if !ok || c.now().After(a.expires) {
		return Response{}, false
	}
	return a.resp, true
}

// erase drops every answer kept for user.
func (c *answerCache) erase(user string) {
	prefix := user + "\x00"
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) {
			delete(c.m, k)
		}
	}
}
