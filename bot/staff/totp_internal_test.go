package staff

import (
	"encoding/base32"
	"testing"
	"time"
)

// TestTOTPVectors checks the HOTP/TOTP core against RFC 6238 appendix B (SHA-1, 8 digits,
// secret "12345678901234567890").
func TestTOTPVectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := hotp(key, uint64(v.unix/30), 8); got != v.want {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.want)
		}
	}
}

// TestTOTPCheck: a six-digit code is accepted in its step and the neighbours, not further, and
// only once (a step not after the last one used is refused).
func TestTOTPCheck(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	at := time.Unix(1111111111, 0)
	code, err := TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	if code != "050471" { // the RFC's 14050471, six digits
		t.Fatalf("code = %s", code)
	}
	step, ok := checkTOTP(secret, code, at, 0)
	if !ok || step != 1111111111/30 {
		t.Fatalf("own step: %d %v", step, ok)
	}
	if _, ok := checkTOTP(secret, code, at.Add(30*time.Second), 0); !ok {
		t.Fatal("refused one step later")
	}
	if _, ok := checkTOTP(secret, code, at.Add(90*time.Second), 0); ok {
		t.Fatal("accepted three steps later")
	}
	if _, ok := checkTOTP(secret, code, at, step); ok {
		t.Fatal("accepted the same code twice")
	}
	if _, ok := checkTOTP(secret, "000000", at, 0); ok && code != "000000" {
		t.Fatal("accepted a wrong code")
	}
}
