package handoff

import (
	"context"

	"github.com/returnbot/returnbot/bot"
)

// Rate is an admission limit: Burst requests at once, then PerHour.
type Rate struct {
	Burst   int
	PerHour float64
}

// Default limits (Config). A flood of ticket requests from one user stops at the user's limit
// long before it fills the staff chat, and the overall limit bounds what many pseudonymous users
// can post together; a staff member guessing codes meets the look-up limit (docs/telegram.md
// says how long guessing a live code takes at it).
var (
	// DefaultLookupRate bounds the code look-ups of one staff member that find no live ticket:
	// every look-up takes a token, and one that finds a ticket gives it back, so reception at
	// work never meets the limit while a guesser, whose tries nearly all fail, does.
	DefaultLookupRate = Rate{Burst: 20, PerHour: 60}
	// DefaultUserTicketRate bounds the tickets one user opens (and the visit changes they make).
	DefaultUserTicketRate = Rate{Burst: 3, PerHour: 3}
	// DefaultTicketRate bounds the tickets all users open together.
	DefaultTicketRate = Rate{Burst: 10, PerHour: 60}
)

func (r Rate) bucket(key string) bot.Bucket {
	return bot.Bucket{Key: key, PerSecond: r.PerHour / 3600, Burst: r.Burst}
}

// lookupBucket is the look-up bucket of a staff member (by pseudonym).
func (s *Service) lookupBucket(who string) bot.Bucket {
	return s.cfg.LookupRate.bucket("code:" + who)
}

// admitLookup takes a look-up token of a staff member; false when they have none left (or the
// store cannot say: a look-up that cannot be limited is refused).
func (s *Service) admitLookup(ctx context.Context, who string) bool {
	ok, err := s.cfg.Store.Admit(ctx, s.lookupBucket(who))
	if err != nil {
		s.cfg.Log.Error("handoff: look-up limit unavailable", "err", err)
	}
	return ok && err == nil
}

// refundLookup gives back the token of a look-up that found a live ticket.
func (s *Service) refundLookup(ctx context.Context, who string) {
	if err := s.cfg.Store.Refund(ctx, s.lookupBucket(who)); err != nil {
		s.cfg.Log.Warn("handoff: look-up token not given back", "err", err)
	}
}
