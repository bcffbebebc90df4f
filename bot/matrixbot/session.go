package matrixbot

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"maunium.net/go/mautrix/id"
)

// The access token of a password login is kept between runs, sealed with the pickle key:
// logging in at every start would make a new token each time, and homeservers such as
// Dendrite scope transaction ids to the access token — a delivery retried after a restart
// would then post twice. Reusing the token also spares the homeserver's login rate limit.

// sealToken encrypts token for user's device with a key derived from the pickle key.
func sealToken(pickleKey string, user id.UserID, device id.DeviceID, token string) (string, error) {
	gcm, err := sessionCipher(pickleKey)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := gcm.Seal(nonce, nonce, []byte(token), sessionAAD(user, device))
	return base64.RawStdEncoding.EncodeToString(sealed), nil
}

// openToken decrypts a sealed token; it fails if the pickle key, user or device changed.
func openToken(pickleKey string, user id.UserID, device id.DeviceID, sealed string) (string, error) {
	gcm, err := sessionCipher(pickleKey)
	if err != nil {
		return "", err
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < gcm.NonceSize() {
		return "", errors.New("damaged session")
	}
	plain, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], sessionAAD(user, device))
	if err != nil {
		return "", errors.New("session sealed with another key or for another device")
	}
	return string(plain), nil
}

func sessionCipher(pickleKey string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte("vigil matrix session\x00" + pickleKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func sessionAAD(user id.UserID, device id.DeviceID) []byte {
	return []byte(user.String() + "\x00" + device.String())
}

// resumeSession adopts the access token kept from the last run, if it is still valid for
// device; it reports whether it did.
func (b *Bot) resumeSession(ctx context.Context, device id.DeviceID) bool {
	if device == "" {
		return false
	}
	sealed, err := getState(ctx, b.o.State, stateKey(b.userID, "session"))
	if err != nil || sealed == "" {
		return false
	}
	token, err := openToken(b.o.PickleKey, b.userID, device, sealed)
	if err != nil {
		b.log.Info("not resuming the last session", "reason", err.Error())
		return false
	}
	b.cli.AccessToken = token
	who, err := b.cli.Whoami(ctx)
	if err != nil || who.UserID != b.userID || who.DeviceID != device {
		b.cli.AccessToken = ""
		b.log.Info("the last session is no longer valid; logging in again")
		return false
	}
	b.cli.DeviceID = device
	return true
}

func (b *Bot) keepSession(ctx context.Context) error {
	sealed, err := sealToken(b.o.PickleKey, b.userID, b.cli.DeviceID, b.cli.AccessToken)
	if err != nil {
		return fmt.Errorf("matrix: seal session: %w", err)
	}
	if err := b.o.State.SetChatState(ctx, stateKey(b.userID, "session"), sealed); err != nil {
		return fmt.Errorf("matrix: keep session: %w", err)
	}
	return nil
}
