package staff

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrExists: an account of that name exists.
var ErrExists = errors.New("staff: an account of that name exists")

// AddAccount creates an account with a role and a password (checked for length); with totp it
// gets a new TOTP secret, returned in the account. The name must be free.
func AddAccount(ctx context.Context, st Store, name, role, password string, totp bool, now time.Time) (Account, error) {
	if err := CheckName(name); err != nil {
		return Account{}, err
	}
	if !ValidRole(role) {
		return Account{}, fmt.Errorf("the role is one of %v", Roles)
	}
	if n := len([]rune(password)); n < MinPasswordLen || len(password) > MaxPasswordLen {
		return Account{}, fmt.Errorf("a password has %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	if a, err := st.Account(ctx, name); err != nil {
		return Account{}, err
	} else if a != nil {
		return Account{}, ErrExists
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Account{}, err
	}
	a := Account{Name: name, Role: role, Hash: hash, Created: now}
	if totp {
		if a.TOTP, err = NewTOTPSecret(); err != nil {
			return Account{}, err
		}
	}
	return a, st.PutAccount(ctx, a, AccountTTL)
}
