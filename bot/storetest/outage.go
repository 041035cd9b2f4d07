package storetest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

// Outage is an in-process store whose session writes fail while Down is set, before anything is
// saved: a store outage as a channel meets it. It tests that an update the outage met is handled
// when it is delivered again, not taken for a duplicate.
type Outage struct {
	*inmem.Store
	Down atomic.Bool
}

// UpdateOnce fails while Down is set and is the in-process store's otherwise.
func (s *Outage) UpdateOnce(ctx context.Context, user, channel, update string, fn func(*bot.Session) error) error {
	if s.Down.Load() {
		return errors.New("store down")
	}
	return s.Store.UpdateOnce(ctx, user, channel, update, fn)
}
