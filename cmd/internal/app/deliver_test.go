package app

import (
	"testing"
	"time"
)

// TestRedeliveryMaxAge: RETURNBOT_REDELIVERY_MAX_AGE sets how long queued replies are tried;
// nonsense is refused at start rather than ignored.
func TestRedeliveryMaxAge(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "48h": 48 * time.Hour, " 90m ": 90 * time.Minute} {
		d := deps{cfg: Config{Getenv: func(string) string { return v }}}
		p, err := redelivery(d)
		if err != nil || p.MaxAge != want {
			t.Errorf("%q: %v, %v; want %v", v, p.MaxAge, err, want)
		}
	}
	for _, v := range []string{"1s", "soon", "-1h"} {
		d := deps{cfg: Config{Getenv: func(string) string { return v }}}
		if _, err := redelivery(d); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
