package bot

import "context"

// HandleTurnLookedUp is HandleTurn with between run after ev's write in doubt was looked up and
// before it is settled: the window in which the resolver may settle it first.
func (b *Bot) HandleTurnLookedUp(ctx context.Context, ev Event, between func()) ([]Reply, Turn, error) {
	u := b.takeUnsure(ev)
	between()
	return b.handleTurn(ctx, ev, u)
}

// InDoubt reports whether ev's write is still in doubt: settled by nobody yet.
func (b *Bot) InDoubt(ev Event) bool { return b.takeUnsure(ev) != nil }
