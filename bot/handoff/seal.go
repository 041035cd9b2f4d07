package handoff

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Sealer encrypts the few platform ids the bot must keep to write to a user first (staff
// replies, reminders), with AES-256-GCM under a key derived from RETURNBOT_SECRET. The user key
// is bound as additional data, so a sealed id moved to another user's record does not open.
type Sealer struct {
	aead cipher.AEAD
}

// ErrUnseal is returned for data that was not sealed with this key for this user.
var ErrUnseal = errors.New("handoff: sealed route cannot be opened")

// NewSealer derives the encryption key from the secret; it is separate from the pseudonym key.
func NewSealer(secret []byte) (*Sealer, error) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("returnbot route encryption v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for a user: nonce followed by ciphertext.
func (s *Sealer) Seal(user string, plaintext []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("handoff: no randomness: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(user))
}

// Open decrypts what Seal produced for the same user.
func (s *Sealer) Open(user string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(user))
	if err != nil {
		return nil, ErrUnseal
	}
	return out, nil
}
