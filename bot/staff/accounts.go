package staff

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/returnbot/returnbot/bot/handoff"
)

// ErrExists: an account of that name exists.
var ErrExists = errors.New("staff: an account of that name exists")

// AddAccount creates an account with a role and a password (checked for length). With a
// totpKey (the server's secret) it also gets a TOTP second factor: the new secret is returned
// for the person's authenticator app and stored only sealed with the key (SealTOTP), so a copy of
// Redis alone does not give the codes away. The name must be free.
func AddAccount(ctx context.Context, st Store, name, role, password string, totpKey []byte, now time.Time) (Account, string, error) {
	if err := CheckName(name); err != nil {
		return Account{}, "", err
	}
	if !ValidRole(role) {
		return Account{}, "", fmt.Errorf("the role is one of %v", Roles)
	}
	if n := len([]rune(password)); n < MinPasswordLen || len(password) > MaxPasswordLen {
		return Account{}, "", fmt.Errorf("a password has %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	if a, err := st.Account(ctx, name); err != nil {
		return Account{}, "", err
	} else if a != nil {
		return Account{}, "", ErrExists
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Account{}, "", err
	}
	a := Account{Name: name, Role: role, Hash: hash, Created: now}
	var secret string
	if totpKey != nil {
		if secret, err = NewTOTPSecret(); err != nil {
			return Account{}, "", err
		}
		if a.TOTP, err = SealTOTP(totpKey, name, secret); err != nil {
			return Account{}, "", err
		}
	}
	return a, secret, st.PutAccount(ctx, a, AccountTTL)
}

// SealTOTP encrypts an account's TOTP secret with the server's secret (AES-GCM, bound to the
// account's name), as Account.TOTP keeps it.
func SealTOTP(key []byte, name, secret string) (string, error) {
	s, err := handoff.NewSealer(key)
	if err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(s.Seal("staff-totp:"+name, []byte(secret))), nil
}

// openTOTP decrypts Account.TOTP.
func openTOTP(key []byte, name, sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", err
	}
	s, err := handoff.NewSealer(key)
	if err != nil {
		return "", err
	}
	plain, err := s.Open("staff-totp:"+name, b)
	return string(plain), err
}
