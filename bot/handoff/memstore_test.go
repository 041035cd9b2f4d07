package handoff_test

import (
	"testing"

	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
)

// TestMemStoreContract runs the handoff.Store contract on the in-process store.
func TestMemStoreContract(t *testing.T) {
	handofftest.Run(t, func(*testing.T) handoff.Store { return handoff.NewMemStore() })
}
