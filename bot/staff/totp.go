package staff

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP second factor (RFC 6238): HMAC-SHA1 over 30-second steps, six digits, as every
// authenticator app reads from an otpauth:// link.
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
	// totpSkew accepts the step before and after, for clocks a little apart.
	totpSkew = 1
)

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret, base32 as authenticator apps take it.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return totpEncoding.EncodeToString(b), nil
}

// TOTPURL is the otpauth:// link an authenticator app reads (as text or a QR code).
func TOTPURL(issuer, name, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {issuer}, "digits": {fmt.Sprint(totpDigits)}, "period": {"30"}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+name) + "?" + v.Encode()
}

// hotp is RFC 4226's HOTP value of key at counter with digits digits.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, code%mod)
}

// TOTPCode is the code of secret at t (for tests and the CLI's check).
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := totpEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(t.Unix())/uint64(totpStep/time.Second), totpDigits), nil
}

// checkTOTP reports the time step code is valid for at now (within totpSkew steps), and whether
// it is valid and newer than after (the step last used: a code works once).
func checkTOTP(secret, code string, now time.Time, after int64) (int64, bool) {
	key, err := totpEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil || len(code) != totpDigits {
		return 0, false
	}
	cur := now.Unix() / int64(totpStep/time.Second)
	var found int64
	ok := 0
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		// Every step is computed and compared, so the time taken tells nothing.
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(s), totpDigits)), []byte(code)) == 1 && s > after {
			found, ok = s, 1
		}
	}
	return found, ok == 1
}
