package bot_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/inmem"
)

// HandleTurn numbers a user's events and says whether the turn log, read with the session,
// already shows the turn before delivered: only then may a channel skip asking it again.
func TestHandleTurnReportsAClearTurn(t *testing.T) {
	store := inmem.New(0)
	b := bot.New(testPack(t).Engine, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	handle := func(ev bot.Event) bot.Turn {
		t.Helper()
		_, turn, err := b.HandleTurn(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return turn
	}
	if got := handle(text("/start")); got != (bot.Turn{N: 1}) {
		t.Fatalf("first event: %+v, want turn 1", got)
	}
	// Turn 1's replies are not out yet: turn 2 must wait for them.
	if got := handle(press("o|main.menu|info")); got != (bot.Turn{N: 2}) {
		t.Fatalf("second event before turn 1 went out: %+v, want turn 2, not clear", got)
	}
	if err := store.MarkDelivered(ctx, "u", 2); err != nil {
		t.Fatal(err)
	}
	if got := handle(text("/menu")); got != (bot.Turn{N: 3, Clear: true}) {
		t.Fatalf("third event after turn 2 went out: %+v, want turn 3, clear", got)
	}
	// A log that lags by more than one turn is no reason to skip the wait.
	if got := handle(text("/menu")); got != (bot.Turn{N: 4}) {
		t.Fatalf("fourth event with turn 3 not out: %+v, want turn 4, not clear", got)
	}
}
