package handoff

import (
	"context"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Ticket is one handoff for staff: a chat request or a planned visit. It holds no message text,
// no name and no platform id; the route to the user is kept apart, sealed.
type Ticket struct {
	Code    string            `json:"code"`
	User    string            `json:"user"`    // pseudonym
	Channel string            `json:"channel"` // telegram, whatsapp, web
	Lang    string            `json:"lang"`
	Kind    string            `json:"kind"`          // bot.HandoffChat or bot.HandoffVisit
	Day     string            `json:"day,omitempty"` // visit day, bot.DayLayout
	Time    string            `json:"time,omitempty"`
	Interp  bool              `json:"interp,omitempty"`
	Answers map[string]string `json:"answers,omitempty"` // option IDs by key
	Topics  []string          `json:"topics,omitempty"`
	Status  string            `json:"status"` // open, taken, closed
	Staff   string            `json:"staff,omitempty"`
	// Visit is what reception recorded of a planned visit: VisitArrived, VisitNoShow or "".
	Visit string `json:"visit_status,omitempty"`
	// Nudged says the user was told that nobody took their chat in time (NudgeUntaken).
	Nudged  bool      `json:"nudged,omitempty"`
	Created time.Time `json:"created"`
}

// VisitDay is the day of the visit the ticket plans (bot.DayLayout), "" when it plans none: the
// day a store indexes it under for the day sheet.
func (t *Ticket) VisitDay() string {
	if t.Kind != bot.HandoffVisit {
		return ""
	}
	return t.Day
}

// Ticket statuses.
const (
	StatusOpen   = "open"
	StatusTaken  = "taken"
	StatusClosed = "closed"
)

// AuditCap bounds the audit trail: a store keeps at most this many entries, the newest.
const AuditCap = 10000

// Audit is one staff action in the audit trail: who, what, when; never message text.
type Audit struct {
	Staff  string    `json:"staff"`
	Action string    `json:"action"`
	Code   string    `json:"code,omitempty"`
	Time   time.Time `json:"time"`
}

// Store keeps tickets, routes, reminders and the audit trail. Every record expires (ttl); one
// user's records are kept under the user's key so that EraseUser removes them all.
// Implementations: inmem.Handoff in bot/inmem, redis.Handoff in bot/redis.
type Store interface {
	// NextCounter returns a new value of the visit code counter (never the same twice).
	NextCounter(ctx context.Context) (uint64, error)
	// SaveTicket writes a ticket, indexes it under its user, queues it while open and, when it
	// is a visit (Kind bot.HandoffVisit with a Day), indexes it under its day whatever its
	// status: the day sheet is built from that index, not from the queue. The day's index
	// lives at least as long as the ticket.
	SaveTicket(ctx context.Context, t *Ticket, ttl time.Duration) error
	// DayVisits returns the visit tickets whose Day is day, open, taken or closed, oldest
	// first. A ticket that expired, was erased or moved to another day is left out.
	DayVisits(ctx context.Context, day string) ([]*Ticket, error)
	// Ticket reads a ticket by code; nil when there is none.
	Ticket(ctx context.Context, code string) (*Ticket, error)
	// UserTicket returns the code of the user's latest ticket, or "".
	UserTicket(ctx context.Context, user string) (string, error)
	// Claim makes staff the holder of a ticket unless someone holds it: it returns the holder
	// after the call and whether staff got it. Exactly one of two concurrent claims wins.
	Claim(ctx context.Context, code, staff string, ttl time.Duration) (holder string, won bool, err error)
	// Unclaim drops the holder of a ticket.
	Unclaim(ctx context.Context, code string) error
	// Queue lists the codes of open tickets, oldest first.
	Queue(ctx context.Context) ([]string, error)
	// SetRoute stores the sealed platform address of a user.
	SetRoute(ctx context.Context, user string, sealed []byte, ttl time.Duration) error
	// Route returns the sealed address of a user, nil when there is none.
	Route(ctx context.Context, user string) ([]byte, error)
	// LinkPost records that a message in the staff chat (ref) was posted about a ticket of
	// user: the ticket's card, or what the user wrote. Kept for ttl; EraseUser removes it.
	LinkPost(ctx context.Context, user, code, ref string, ttl time.Duration) error
	// PostTicket returns the code of the ticket a staff chat message was posted about, "" for
	// any other message.
	PostTicket(ctx context.Context, ref string) (string, error)
	// DeleteRoute forgets the sealed address of a user (the user blocked the bot); their tickets
	// stay.
	DeleteRoute(ctx context.Context, user string) error
	// Remind schedules the user's reminder at a time (one per user; a new one replaces it).
	Remind(ctx context.Context, user string, at time.Time) error
	// CancelReminder removes the user's reminder.
	CancelReminder(ctx context.Context, user string) error
	// DueReminders lists users whose reminder is due at now (not yet claimed).
	DueReminders(ctx context.Context, now time.Time, limit int) ([]string, error)
	// ClaimReminder removes a due reminder and reports whether this caller removed it: of
	// several replicas, exactly one gets true and sends it.
	ClaimReminder(ctx context.Context, user string) (bool, error)
	// AddAudit appends to the audit trail (kept for ttl; at most AuditCap entries, the newest).
	AddAudit(ctx context.Context, a Audit, ttl time.Duration) error
	// AuditTrail returns the latest n audit entries, newest first.
	AuditTrail(ctx context.Context, n int) ([]Audit, error)
	// EraseUser deletes the user's tickets (and their places in the queue and the day index),
	// route and reminder.
	EraseUser(ctx context.Context, user string) error
	// Admit takes one token of every bucket when each has one and reports true; when any is
	// empty it takes none and reports false, so a refused request costs nothing. A bucket holds
	// up to Burst tokens and gains PerSecond; its record expires once it is full again. Bucket
	// keys name no user (the service keys them by HMAC): they outlive EraseUser, as a limit must.
	Admit(ctx context.Context, buckets ...bot.Bucket) (bool, error)
	// Refund gives back a token Admit took from a bucket (never above Burst).
	Refund(ctx context.Context, b bot.Bucket) error
}
