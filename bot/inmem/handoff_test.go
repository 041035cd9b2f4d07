package inmem_test

import (
	"testing"

	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
)

// TestHandoffContract runs the handoff.Store contract on the in-process handoff store.
func TestHandoffContract(t *testing.T) {
	handofftest.Run(t, func(*testing.T) handoff.Store { return inmem.NewHandoff() })
}
