package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"time"
)

// CookieName is the session cookie. Its value is a random 256-bit token; the store keeps only
// its SHA-256 (SessionKey).
const CookieName = "rb_staff"

// refreshEvery is how often a session in use is written again (its idle timeout pushed back,
// its account checked): removing an account or changing its role ends its sessions within it.
const refreshEvery = 30 * time.Second

// SessionKey is the store's key of a session cookie value.
func SessionKey(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// handler is an API handler run for a signed-in session.
type handler func(w http.ResponseWriter, r *http.Request, sess *Session)

// guard runs h for a valid session of a role that may use it (admin may use every route; "" is
// any role): 401 without a live session, 403 with the wrong role, and for a state change
// (change) 403 unless X-CSRF-Token is the session's token.
func (s *Server) guard(role string, change bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.secure(w)
		sess, key := s.session(r)
		if sess == nil {
			writeError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
			return
		}
		if role != "" && !may(sess.Role, role) {
			s.audit(r.Context(), sess.Name, "forbidden", "")
			writeError(w, http.StatusForbidden, "forbidden", "your role may not do this")
			return
		}
		if change && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(sess.CSRF)) != 1 {
			s.audit(r.Context(), sess.Name, "csrf_refused", "")
			writeError(w, http.StatusForbidden, "csrf", "the X-CSRF-Token header is missing or wrong")
			return
		}
		if !s.refresh(r.Context(), key, sess) {
			writeError(w, http.StatusUnauthorized, "unauthorized", "sign in again")
			return
		}
		h(w, r, sess)
	}
}

// session reads the request's live session, nil when it has none, it expired (idle or
// absolute timeout) or the store cannot say.
func (s *Server) session(r *http.Request) (*Session, string) {
	c, err := r.Cookie(CookieName)
	if err != nil || len(c.Value) < 40 || len(c.Value) > 64 {
		return nil, ""
	}
	key := SessionKey(c.Value)
	sess, err := s.st.Session(r.Context(), key)
	if err != nil {
		s.log.Error("staff: reading a session failed", "err", err)
		return nil, ""
	}
	if sess == nil {
		return nil, ""
	}
	now := s.cfg.Now()
	if now.Sub(sess.Seen) > s.cfg.IdleTimeout || now.Sub(sess.Created) > s.cfg.MaxAge {
		_ = s.st.DeleteSession(r.Context(), key)
		return nil, ""
	}
	return sess, key
}

// refresh pushes back a session's idle timeout now and then, checking that its account still
// exists with the same role; false ends the session.
func (s *Server) refresh(ctx context.Context, key string, sess *Session) bool {
	now := s.cfg.Now()
	if now.Sub(sess.Seen) < refreshEvery {
		return true
	}
	a, err := s.st.Account(ctx, sess.Name)
	if err != nil {
		s.log.Error("staff: reading an account failed", "err", err)
		return true // the store will say so on the next read; no reason to sign out
	}
	if a == nil || a.Role != sess.Role {
		_ = s.st.DeleteSession(ctx, key)
		return false
	}
	sess.Seen = now
	if err := s.st.PutSession(ctx, key, *sess, s.sessionTTL(sess)); err != nil {
		s.log.Error("staff: session not refreshed", "err", err)
	}
	return true
}

// sessionTTL is how long the store keeps a session: the idle timeout, never past the absolute one.
func (s *Server) sessionTTL(sess *Session) time.Duration {
	left := sess.Created.Add(s.cfg.MaxAge).Sub(s.cfg.Now())
	return max(min(s.cfg.IdleTimeout, left), time.Second)
}

// setCookie sets (or with "" clears) the session cookie: HttpOnly, SameSite=Strict, path
// /staff, Secure over HTTPS.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, value string) {
	c := &http.Cookie{Name: CookieName, Value: value, Path: "/staff", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.overTLS(r)}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(s.cfg.MaxAge / time.Second)
	}
	http.SetCookie(w, c)
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

type loginAnswer struct {
	Name string `json:"name"`
	Role string `json:"role"`
	CSRF string `json:"csrf"`
}

// login checks a name and password (and the TOTP code of an account that has one) and starts a
// session. Failed attempts are counted per name and per address: past MaxNameFailures or
// MaxAddrFailures within LockoutWindow every attempt is refused (429), right or wrong, until
// the window ends.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	s.secure(w)
	var req loginRequest
	if !readJSON(w, r, &req) {
		return
	}
	ctx := r.Context()
	nameKey, addrKey := "n:"+s.digest("name", req.Name), "a:"+s.digest("addr", s.clientAddr(r))
	nf, err1 := s.st.Failures(ctx, nameKey)
	af, err2 := s.st.Failures(ctx, addrKey)
	if err1 != nil || err2 != nil {
		s.log.Error("staff: sign-in limits unavailable", "err", firstErr(err1, err2))
		writeError(w, http.StatusServiceUnavailable, "unavailable", "try again in a moment")
		return
	}
	if nf >= MaxNameFailures || af >= MaxAddrFailures {
		s.log.Warn("staff: sign-in refused, locked", "name_locked", nf >= MaxNameFailures, "addr_locked", af >= MaxAddrFailures)
		w.Header().Set("Retry-After", strconv.Itoa(int(LockoutWindow/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, apiError{Error: "locked",
			Message: "too many failed sign-ins; wait and try again", RetryAfter: int(LockoutWindow / time.Second)})
		return
	}
	a, err := s.st.Account(ctx, req.Name)
	if err != nil {
		s.log.Error("staff: reading an account failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "try again in a moment")
		return
	}
	hash := dummyHash()
	if a != nil {
		hash = a.Hash
	}
	ok := false
	if len(req.Password) <= MaxPasswordLen {
		ok, _ = CheckPassword(hash, req.Password)
	}
	ok = ok && a != nil
	var step int64
	if ok && a.TOTP != "" {
		if req.TOTP == "" {
			// The password was right: ask for the second factor without counting a failure.
			writeError(w, http.StatusUnauthorized, "totp_required", "enter the code from your authenticator app")
			return
		}
		secret, err := openTOTP(s.cfg.Secret, a.Name, a.TOTP)
		if err != nil {
			// Sealed with another RETURNBOT_SECRET: nobody can sign in to it until it is added again.
			s.log.Error("staff: an account's TOTP secret cannot be opened (was RETURNBOT_SECRET changed?)", "err", err)
		}
		step, ok = checkTOTP(secret, req.TOTP, s.cfg.Now(), a.TOTPStep)
		ok = ok && err == nil
	}
	if !ok {
		_, _ = s.st.Fail(ctx, nameKey, LockoutWindow)
		_, _ = s.st.Fail(ctx, addrKey, LockoutWindow)
		if a != nil { // a typed name that is no account may be a password typed in the wrong box
			s.audit(ctx, a.Name, "login_failed", "")
		} else {
			s.log.Info("staff: sign-in to no account")
		}
		writeError(w, http.StatusUnauthorized, "bad_credentials", "wrong name, password or code")
		return
	}
	_ = s.st.ClearFailures(ctx, nameKey)
	now := s.cfg.Now()
	a.Used = now
	if step > 0 {
		a.TOTPStep = step
	}
	if err := s.st.PutAccount(ctx, *a, AccountTTL); err != nil {
		s.log.Error("staff: account not updated", "err", err)
	}
	token := randomToken()
	sess := Session{Name: a.Name, Role: a.Role, CSRF: randomToken(), Created: now, Seen: now}
	if err := s.st.PutSession(ctx, SessionKey(token), sess, s.sessionTTL(&sess)); err != nil {
		s.log.Error("staff: session not saved", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "try again in a moment")
		return
	}
	s.audit(ctx, a.Name, "login", "")
	s.setCookie(w, r, token)
	writeJSON(w, http.StatusOK, loginAnswer{Name: a.Name, Role: a.Role, CSRF: sess.CSRF})
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *Session) {
	if c, err := r.Cookie(CookieName); err == nil {
		_ = s.st.DeleteSession(r.Context(), SessionKey(c.Value))
	}
	s.audit(r.Context(), sess.Name, "logout", "")
	s.setCookie(w, r, "")
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// me tells the page who is signed in (after a reload), with the CSRF token.
func (s *Server) me(w http.ResponseWriter, _ *http.Request, sess *Session) {
	writeJSON(w, http.StatusOK, loginAnswer{Name: sess.Name, Role: sess.Role, CSRF: sess.CSRF})
}

// SetupLink makes the one-time link that creates the first admin account, valid for SetupTTL,
// when no account exists; "" when one does. base is how a browser on this machine reaches the
// server ("http://127.0.0.1:8080").
func (s *Server) SetupLink(ctx context.Context, base string) (string, error) {
	if has, err := s.HasAccounts(ctx); err != nil || has {
		return "", err
	}
	token := randomToken()
	if err := s.st.PutSetup(ctx, SessionKey(token), SetupTTL); err != nil {
		return "", err
	}
	return base + "/staff/#setup=" + token, nil
}

type setupRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// setup creates the first admin account with the setup link's token. It answers only requests
// made on this machine (loopback, and not relayed by a proxy), and only while no account exists.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	s.secure(w)
	if !directLoopback(r) {
		writeError(w, http.StatusForbidden, "not_local", "the setup link works only on the server itself")
		return
	}
	var req setupRequest
	if !readJSON(w, r, &req) {
		return
	}
	ctx := r.Context()
	if has, err := s.HasAccounts(ctx); err != nil || has {
		writeError(w, http.StatusForbidden, "setup_done", "an account exists; sign in")
		return
	}
	if err := CheckName(req.Name); err != nil {
		writeError(w, http.StatusBadRequest, "bad_name", err.Error())
		return
	}
	if n := len([]rune(req.Password)); n < MinPasswordLen || len(req.Password) > MaxPasswordLen {
		writeError(w, http.StatusBadRequest, "bad_password", "a password has 12 to 256 characters")
		return
	}
	if ok, err := s.st.TakeSetup(ctx, SessionKey(req.Token)); err != nil || !ok {
		writeError(w, http.StatusForbidden, "bad_token", "the setup link is used or expired; restart serve for a new one")
		return
	}
	if _, _, err := AddAccount(ctx, s.st, req.Name, RoleAdmin, req.Password, nil, s.cfg.Now()); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	s.audit(ctx, req.Name, "setup_admin", "")
	if s.cfg.AccountsChanged != nil {
		s.cfg.AccountsChanged()
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// directLoopback reports whether a request came from this machine and no proxy relayed it (a
// proxy on this machine would make every outside request look local).
func directLoopback(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip", "Forwarded"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
