package staff

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
)

// Default limits of sessions and sign-in.
const (
	// DefaultIdleTimeout ends a session nobody used for this long.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultMaxAge ends every session this long after sign-in (a working day).
	DefaultMaxAge = 12 * time.Hour
	// LockoutWindow is how long failed sign-ins are counted, and a lockout lasts.
	LockoutWindow = 15 * time.Minute
	// MaxNameFailures failed sign-ins to one name lock that name for the window.
	MaxNameFailures = 5
	// MaxAddrFailures failed sign-ins from one address lock that address for the window.
	MaxAddrFailures = 20
	// SetupTTL is how long the one-time setup link works.
	SetupTTL = time.Hour
	// maxBody bounds a request's JSON.
	maxBody = 16 << 10
	// MaxTextLen bounds a reply or a note.
	MaxTextLen = 4000
)

// Config is what a Server needs; Store, Handoff and Language are required.
type Config struct {
	Store   Store
	Handoff *handoff.Service
	// Language gives the canned answers' English titles.
	Language bot.Language
	// Secret keys the digests of names and addresses (lockout keys, log pseudonyms).
	Secret []byte
	// TrustProxy: the server is behind a reverse proxy that sets X-Forwarded-Proto and
	// X-Forwarded-For (its last entry is the client). Without it both headers are ignored.
	TrustProxy bool
	// IdleTimeout and MaxAge default to DefaultIdleTimeout and DefaultMaxAge.
	IdleTimeout, MaxAge time.Duration
	// TicketTTL keeps notes and the conversation as long as tickets (handoff.DefaultTicketTTL).
	TicketTTL time.Duration
	// Location is the office's time zone: "today" on the day sheet, days in the statistics.
	Location *time.Location
	Log      *slog.Logger
	Now      func() time.Time
	// AccountsChanged, when set, is called after the workspace created an account (the setup
	// link), so that whoever caches "some account exists" knows at once.
	AccountsChanged func()
}

// Server is the staff workspace: the page and its API under /staff. It is also the handoff.Desk
// that records the relayed conversation.
type Server struct {
	cfg     Config
	svc     *handoff.Service
	st      Store
	log     *slog.Logger
	events  *hub
	streams chan struct{} // one token per open event stream
}

// MaxStreams bounds the open event streams (each polls the tickets).
const MaxStreams = 64

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Handoff == nil || cfg.Language == nil {
		return nil, errors.New("staff: incomplete config")
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("staff: the secret is too short")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.TicketTTL <= 0 {
		cfg.TicketTTL = handoff.DefaultTicketTTL
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, svc: cfg.Handoff, st: cfg.Store, log: cfg.Log, events: newHub(),
		streams: make(chan struct{}, MaxStreams)}, nil
}

// Routes registers the page and the API on mux, under /staff.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/staff/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /staff/{$}", s.asset("index.html", "text/html; charset=utf-8"))
	mux.HandleFunc("GET /staff/staff.css", s.asset("staff.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /staff/staff.js", s.asset("staff.js", "text/javascript; charset=utf-8"))

	mux.HandleFunc("POST /staff/api/login", s.login)
	mux.HandleFunc("POST /staff/api/setup", s.setup)
	mux.HandleFunc("POST /staff/api/logout", s.guard("", true, s.logout))
	mux.HandleFunc("GET /staff/api/me", s.guard("", false, s.me))

	mux.HandleFunc("GET /staff/api/tickets", s.guard(RoleCounsellor, false, s.tickets))
	mux.HandleFunc("GET /staff/api/tickets/{code}", s.guard(RoleCounsellor, false, s.conversation))
	mux.HandleFunc("POST /staff/api/tickets/{code}/take", s.guard(RoleCounsellor, true, s.take))
	mux.HandleFunc("POST /staff/api/tickets/{code}/reply", s.guard(RoleCounsellor, true, s.reply))
	mux.HandleFunc("POST /staff/api/tickets/{code}/canned", s.guard(RoleCounsellor, true, s.canned))
	mux.HandleFunc("POST /staff/api/tickets/{code}/handback", s.guard(RoleCounsellor, true, s.handback))
	mux.HandleFunc("POST /staff/api/tickets/{code}/close", s.guard(RoleCounsellor, true, s.close))
	mux.HandleFunc("POST /staff/api/tickets/{code}/notes", s.guard(RoleCounsellor, true, s.note))
	mux.HandleFunc("GET /staff/api/canned", s.guard(RoleCounsellor, false, s.cannedList))
	mux.HandleFunc("GET /staff/api/events", s.guard(RoleCounsellor, false, s.stream))

	mux.HandleFunc("GET /staff/api/visits", s.guard(RoleReception, false, s.visits))
	mux.HandleFunc("GET /staff/api/code/{code}", s.guard(RoleReception, false, s.lookup))
	mux.HandleFunc("POST /staff/api/code/{code}/arrived", s.guard(RoleReception, true, s.visitOutcome(handoff.VisitArrived)))
	mux.HandleFunc("POST /staff/api/code/{code}/noshow", s.guard(RoleReception, true, s.visitOutcome(handoff.VisitNoShow)))

	mux.HandleFunc("GET /staff/api/stats", s.guard(RoleAdmin, false, s.stats))
	mux.HandleFunc("/staff/api/", func(w http.ResponseWriter, r *http.Request) {
		s.secure(w)
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	})
}

// Relayed implements handoff.Desk: the message joins the ticket's conversation, and open
// inboxes hear of it.
func (s *Server) Relayed(ctx context.Context, t *handoff.Ticket, from, text string) {
	m := Message{Code: t.Code, From: from, Text: text, At: s.cfg.Now()}
	if err := s.st.AddMessage(ctx, t.User, m, s.cfg.TicketTTL); err != nil {
		s.log.Error("staff: message not kept for the workspace", "code", t.Code, "err", err)
	}
	s.events.notify()
}

// EraseUser implements handoff.Desk: the user's conversation and notes go.
func (s *Server) EraseUser(ctx context.Context, user string) error {
	s.events.notify()
	return s.st.EraseUser(ctx, user)
}

// HasAccounts reports whether any staff account exists (the handoff offers "chat now" only when
// someone could answer).
func (s *Server) HasAccounts(ctx context.Context) (bool, error) {
	list, err := s.st.Accounts(ctx)
	return len(list) > 0, err
}

// digest is the keyed digest of a value (a name, an address), for lockout keys and logs.
func (s *Server) digest(kind, v string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte(kind + "\x00" + v))
	return hex.EncodeToString(m.Sum(nil))[:20]
}

// pseudonym names a staff member in the logs, which carry no names.
func (s *Server) pseudonym(name string) string { return "staff:" + s.digest("log", name)[:8] }

// audit records an action in the audit trail (who, what, when, the ticket) and in the log under
// a pseudonym. Never message text.
func (s *Server) audit(ctx context.Context, who, action, code string) {
	s.svc.Audit(ctx, who, action, code)
	s.logAction(who, action, code)
}

// logAction logs an action the handoff service put in the audit trail itself (take, reply,
// canned answer, hand back, close, visit outcome).
func (s *Server) logAction(who, action, code string) {
	s.log.Info("staff action", "staff", s.pseudonym(who), "action", action, "code", code)
}

// clientAddr is the address a request came from: the connection's, or behind a trusted proxy
// the last X-Forwarded-For entry (the one the proxy added).
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// overTLS reports whether the browser reached us over HTTPS (directly, or through a trusted
// proxy that says so): then the cookie is Secure.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// csp allows this origin's script and style only, and nothing may frame the workspace.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// secure sets the headers every answer carries.
func (s *Server) secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// apiError is every error answer: a stable code for programs and a sentence for people.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Holder  string `json:"holder,omitempty"`
	// RetryAfter is the seconds until a locked sign-in may be tried again.
	RetryAfter int `json:"retry_after,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

// readJSON decodes a small JSON body into v; false (with the answer written) when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body is not the JSON this route takes")
		return false
	}
	return true
}
