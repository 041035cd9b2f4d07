package staff

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Roles. A reception account sees the day sheet and looks up codes; a counsellor answers
// tickets; an admin does both and sees the statistics.
const (
	RoleReception  = "reception"
	RoleCounsellor = "counsellor"
	RoleAdmin      = "admin"
)

// Roles lists the roles, for help texts.
var Roles = []string{RoleReception, RoleCounsellor, RoleAdmin}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool {
	return r == RoleReception || r == RoleCounsellor || r == RoleAdmin
}

// may reports whether role r may use what needs role need: admin may use everything.
func may(r, need string) bool { return r == need || r == RoleAdmin }

// AccountTTL is how long an account is kept after it was created, changed or last used to sign
// in: every sign-in sets it again, so only accounts nobody used for 400 days disappear.
const AccountTTL = 400 * 24 * time.Hour

// Account is one staff member's sign-in.
type Account struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Hash is the password's argon2id hash in PHC form (HashPassword).
	Hash string `json:"hash"`
	// TOTP is the second factor's secret, sealed with the server's secret (SealTOTP); "" without
	// one.
	TOTP string `json:"totp,omitempty"`
	// TOTPStep is the last time step a code was accepted for, so a code works once.
	TOTPStep int64     `json:"totp_step,omitempty"`
	Created  time.Time `json:"created"`
	// Used is the last sign-in.
	Used time.Time `json:"used,omitempty"`
}

// MaxNameLen bounds an account name.
const MaxNameLen = 40

// CheckName reports why name cannot be an account name: 1–40 letters, digits, '.', '-' or '_'
// (no spaces or markup, so it shows safely anywhere, including the Telegram group).
func CheckName(name string) error {
	if name == "" || len([]rune(name)) > MaxNameLen {
		return fmt.Errorf("a name is 1 to %d characters", MaxNameLen)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".-_", r) {
			return errors.New("a name has only letters, digits, '.', '-' and '_'")
		}
	}
	return nil
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// MaxPasswordLen bounds the work a sign-in attempt can cause.
const MaxPasswordLen = 256
