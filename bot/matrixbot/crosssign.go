package matrixbot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// errNoPassword: cross-signing needs the account password (user-interactive auth).
var errNoPassword = errors.New("the account has no cross-signing identity yet and the bot logged in with an access token: run `vigil matrix cross-sign` once (it asks for the password)")

// ensureCrossSigned makes sure the bot's device is signed by the account's cross-signing
// identity. With no identity yet and a password login, it creates one and hands the
// recovery key to the operator (RecoveryKeyFile or RecoveryKeyOut, never the log). With an
// identity but an unsigned device (a new device), it signs the device with RecoveryKey.
func (b *Bot) ensureCrossSigned(ctx context.Context) error {
	status, err := b.crossSigning(ctx)
	if err != nil {
		return err
	}
	recoveryKey := b.o.RecoveryKey
	if status.hasIdentity && !status.signed && recoveryKey == "" && b.o.RecoveryKeyFile != "" {
		// The file written when the identity was created signs later devices too.
		if data, err := os.ReadFile(b.o.RecoveryKeyFile); err == nil {
			recoveryKey = strings.TrimSpace(string(data))
		}
	}
	switch {
	case status.signed:
		return nil
	case status.hasIdentity && recoveryKey != "":
		if err := b.e2ee.mach.VerifyWithRecoveryKey(ctx, recoveryKey); err != nil {
			return fmt.Errorf("sign the device with the recovery key: %w", err)
		}
		b.log.Info("signed the bot's device with the recovery key", "device", b.cli.DeviceID.String())
		return nil
	case status.hasIdentity:
		return fmt.Errorf("the account's cross-signing identity does not sign device %s: put the recovery key in matrix.recovery_key_file to sign it", b.cli.DeviceID)
	case b.o.Password == "":
		return errNoPassword
	}
	out, done, err := b.recoveryKeyOutput()
	if err != nil {
		return err
	}
	key, err := b.CrossSign(ctx, b.o.Password)
	if err != nil {
		done(false)
		return err
	}
	if err := writeRecoveryKey(out, b.o.RecoveryKeyFile == "", b.userID, key); err != nil {
		done(false)
		return fmt.Errorf("the device is cross-signed, but its recovery key could not be written (create a new one with `vigil matrix cross-sign`): %w", err)
	}
	done(true)
	b.log.Info("created the account's cross-signing identity and signed the bot's device; the recovery key went to the operator",
		"device", b.cli.DeviceID.String(), "recovery_key_file", b.o.RecoveryKeyFile)
	return nil
}

// writeRecoveryKey writes the key for the operator: on a terminal with a word of
// explanation, in a file alone (so that the file can be given back as the recovery key).
func writeRecoveryKey(w io.Writer, terminal bool, user id.UserID, key string) error {
	var err error
	if terminal {
		_, err = fmt.Fprintf(w, "\nMatrix recovery key for %s. Keep it safe (a password manager); it is shown only once:\n\n    %s\n\n", user, key)
	} else {
		_, err = fmt.Fprintln(w, key)
	}
	return err
}

// recoveryKeyOutput opens where the recovery key goes before anything is created: the
// file (new, mode 0600, never overwritten) or the terminal. done(false) removes a file
// that was not completed.
func (b *Bot) recoveryKeyOutput() (io.Writer, func(ok bool), error) {
	if path := b.o.RecoveryKeyFile; path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("recovery key file (it must not exist yet): %w", err)
		}
		return f, func(ok bool) {
			if err := f.Close(); err != nil {
				ok = false
			}
			if !ok {
				_ = os.Remove(path)
			}
		}, nil
	}
	if b.o.RecoveryKeyOut != nil {
		return b.o.RecoveryKeyOut, func(bool) {}, nil
	}
	return nil, nil, errors.New("nowhere to keep a recovery key: set matrix.recovery_key_file, or start once on a terminal")
}

// CrossSign creates a new cross-signing identity for the account (replacing any), signs
// the bot's device with it and returns the recovery key, which unlocks the identity's
// private keys kept encrypted on the homeserver. It needs the account password. The caller
// must show the key to the operator and never log it.
func (b *Bot) CrossSign(ctx context.Context, password string) (recoveryKey string, err error) {
	mach := b.e2ee.mach
	key, _, err := mach.GenerateAndUploadCrossSigningKeysWithPassword(ctx, password, "")
	if err != nil {
		return "", fmt.Errorf("create cross-signing keys: %w", loginError(err))
	}
	if err := mach.SignOwnDevice(ctx, mach.OwnIdentity()); err != nil {
		return "", fmt.Errorf("sign the bot's device: %w", err)
	}
	if err := mach.SignOwnMasterKey(ctx); err != nil {
		return "", fmt.Errorf("sign the master key: %w", err)
	}
	return key, nil
}

type crossSignStatus struct {
	hasIdentity bool // the account has a master and a self-signing key
	signed      bool // the bot's device carries the self-signing key's signature
}

// crossSigning asks the homeserver whether the account and the bot's device are
// cross-signed.
func (b *Bot) crossSigning(ctx context.Context) (crossSignStatus, error) {
	user, device := b.userID, b.cli.DeviceID
	resp, err := b.cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: map[id.UserID]mautrix.DeviceIDList{user: {device}}})
	if err != nil {
		return crossSignStatus{}, fmt.Errorf("query cross-signing keys: %w", err)
	}
	var st crossSignStatus
	master, ssk := resp.MasterKeys[user], resp.SelfSigningKeys[user]
	if len(master.Keys) == 0 || len(ssk.Keys) == 0 {
		return st, nil
	}
	st.hasIdentity = true
	dev, ok := resp.DeviceKeys[user][device]
	if !ok {
		return st, nil
	}
	for keyID := range ssk.Keys {
		if _, ok := dev.Signatures[user][keyID]; ok {
			st.signed = true
		}
	}
	return st, nil
}
