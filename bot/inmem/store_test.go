package inmem_test

import (
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ttl time.Duration) (bot.Store, bot.Store) {
		s := inmem.New(ttl)
		return s, s
	})
}
