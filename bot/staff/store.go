package staff

import (
	"context"
	"time"
)

// Session is one signed-in browser. The store keys it by the digest of its cookie (SessionKey),
// so what Redis holds cannot be replayed as a cookie.
type Session struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// CSRF is the token every state change sends back in X-CSRF-Token.
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	// Seen is the last request; the idle timeout runs from it.
	Seen time.Time `json:"seen"`
}

// Message is one line of a ticket's conversation (what the user wrote, what staff answered), or
// an internal note. It is kept under the user's pseudonym so that /forget erases it.
type Message struct {
	Code string `json:"code"`
	// From is "" for the user, else the staff member (for a note: who wrote it).
	From string    `json:"from,omitempty"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// MaxMessagesPerUser bounds the conversation and the notes kept per user: the newest stay.
const MaxMessagesPerUser = 500

// Store keeps what the workspace needs besides the tickets (which handoff.Store keeps). Every
// record expires. Implementations: bot/redis (Store.StaffStore) and bot/inmem (NewStaff); both
// pass stafftest.Run.
type Store interface {
	// PutAccount creates or replaces an account, kept for ttl.
	PutAccount(ctx context.Context, a Account, ttl time.Duration) error
	// Account reads an account; nil when there is none.
	Account(ctx context.Context, name string) (*Account, error)
	// Accounts lists the accounts, by name.
	Accounts(ctx context.Context) ([]Account, error)
	// DeleteAccount removes an account and reports whether there was one.
	DeleteAccount(ctx context.Context, name string) (bool, error)

	// PutSession stores a session under key (SessionKey of the cookie), kept for ttl.
	PutSession(ctx context.Context, key string, s Session, ttl time.Duration) error
	// Session reads a session; nil when there is none (or it expired).
	Session(ctx context.Context, key string) (*Session, error)
	// DeleteSession removes a session.
	DeleteSession(ctx context.Context, key string) error

	// Fail counts one failed sign-in under key and returns the count within window (the window
	// starts at the first failure).
	Fail(ctx context.Context, key string, window time.Duration) (int, error)
	// Failures returns the count of failed sign-ins under key in the current window.
	Failures(ctx context.Context, key string) (int, error)
	// ClearFailures forgets the failures under key (after a successful sign-in).
	ClearFailures(ctx context.Context, key string) error

	// AddMessage appends to the user's conversation (kept for ttl, at most MaxMessagesPerUser).
	AddMessage(ctx context.Context, user string, m Message, ttl time.Duration) error
	// Messages returns the user's conversation on a ticket, oldest first.
	Messages(ctx context.Context, user, code string) ([]Message, error)
	// AddNote appends an internal note on a ticket of the user (kept for ttl).
	AddNote(ctx context.Context, user string, m Message, ttl time.Duration) error
	// Notes returns the notes on a ticket, oldest first.
	Notes(ctx context.Context, user, code string) ([]Message, error)
	// EraseUser deletes the user's conversation and notes.
	EraseUser(ctx context.Context, user string) error

	// AddCounts adds to the day's counters (kept for ttl after the last addition).
	AddCounts(ctx context.Context, day string, counts map[string]int64, ttl time.Duration) error
	// Counts returns the day's counters (empty when none).
	Counts(ctx context.Context, day string) (map[string]int64, error)

	// PutSetup stores the digest of a one-time setup token for ttl.
	PutSetup(ctx context.Context, digest string, ttl time.Duration) error
	// TakeSetup removes the setup token digest and reports whether it was there: of two
	// concurrent calls, one gets true.
	TakeSetup(ctx context.Context, digest string) (bool, error)
}
