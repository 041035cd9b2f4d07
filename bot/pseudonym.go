package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// UserKey is the pseudonym under which everything about a user is stored:
// HMAC-SHA256(secret, channel + ":" + platform id), base64url without padding.
// The raw platform id never becomes a key, so a leaked store does not reveal who wrote.
func UserKey(secret []byte, channel, platformID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(channel))
	m.Write([]byte{':'})
	m.Write([]byte(platformID))
	// 16 bytes (128 bits) are plenty against collisions among users and keep keys short.
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}
