package whatsapp

import (
	"context"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// sendToTimeout bounds one message the bot starts (staff reply, reminder), retries included.
const sendToTimeout = time.Minute

// SendTo implements handoff.UserSender: route is the user's wa_id (Event.Route, kept sealed by
// bot/handoff). It is SendProactive: inside the 24-hour window the replies arrive as normal
// messages, outside it as the configured template, or not at all (ErrHeldBack, logged and
// counted), so staff are told the reply was not delivered.
func (a *Adapter) SendTo(route, user string, replies []bot.Reply) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendToTimeout)
	defer cancel()
	return a.SendProactive(ctx, route, replies)
}

// windowEraser is a Window that can forget a user.
type windowEraser interface {
	Erase(ctx context.Context, user string) error
}

// EraseUser implements handoff.UserEraser: "forget me" also forgets when the user last wrote.
// The Redis window goes with the store's Erase as well; erasing it twice costs one DEL.
func (a *Adapter) EraseUser(ctx context.Context, user string) error {
	if w, ok := a.cfg.Window.(windowEraser); ok {
		return w.Erase(ctx, user)
	}
	return nil
}
