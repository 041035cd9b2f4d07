package bot

import "time"

// EventKind says what a user did.
type EventKind uint8

// The kinds of events an adapter can hand to the engine.
const (
	// KindText is a typed message; commands ("/start") arrive as text too and are recognised by the engine.
	KindText EventKind = iota
	// KindChoice is a pressed button; Event.Data carries the button's data.
	KindChoice
	// KindMedia is something the bot cannot read (voice, photo, sticker, document, location, contact);
	// Event.Media names it.
	KindMedia
)

// Event is one thing a user did, already stripped of platform details.
type Event struct {
	// Channel names the platform ("telegram", "whatsapp", "web", "cli").
	Channel string
	// User is the pseudonymous user key (see UserKey); never a raw platform id.
	User string
	// Lang is the platform's language hint (an IETF tag such as "fa-IR"), or empty.
	Lang string
	// Kind says which of Text, Data or Media is meaningful.
	Kind EventKind
	// Text is the typed message for KindText.
	Text string
	// Data is the button data for KindChoice.
	Data string
	// Media names the unreadable kind for KindMedia ("voice", "photo", "location", ...).
	Media string
	// Medium describes a voice note, photo, video, document or sticker (KindMedia, Media one of
	// the Medium* kinds) so that staff holding the chat get the medium itself; nil for anything
	// else. It lives in memory only: nothing of it is stored, and it is never logged.
	Medium *Medium
	// Time is when the user acted; the engine uses it for idle detection.
	Time time.Time
	// Update is the platform's id of the update that carried the event (unique among the
	// user's updates on the channel), or "". Bot.HandleTurn saves an update's event once
	// (Store.UpdateOnce).
	Update string
	// Route is the platform address to write to the user first (a Telegram chat id), for staff
	// replies and reminders. The engine ignores it; bot/handoff stores it only sealed, with a
	// TTL. Never log it.
	Route string
}
