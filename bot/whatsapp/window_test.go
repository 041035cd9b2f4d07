package whatsapp_test

import (
	"testing"

	"github.com/returnbot/returnbot/bot/whatsapp"
	"github.com/returnbot/returnbot/bot/whatsapp/windowtest"
)

// TestMemoryWindowContract runs the Window contract on the in-process window (bot/redis runs it
// on the Redis one); both handles are the same window, as in one process.
func TestMemoryWindowContract(t *testing.T) {
	windowtest.Run(t, func(t *testing.T) windowtest.Backend {
		w := whatsapp.NewMemoryWindow()
		return windowtest.Backend{A: w, B: w, Erase: w.Erase}
	})
}
