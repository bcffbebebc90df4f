package matrixbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// e2ee connects mautrix's Olm machine to the client: it decrypts incoming events (waiting
// a little for keys that arrive late) and encrypts outgoing ones, sharing the room key
// with the room's members when needed.
//
// It does what mautrix's cryptohelper does, on the stores the bot hands it. cryptohelper
// itself is not used: it imports go.mau.fi/util/dbutil/litestream, which links the cgo
// SQLite driver github.com/mattn/go-sqlite3 into every build — a second SQLite and a
// database/sql driver outside package store.
type e2ee struct {
	cli    *mautrix.Client
	mach   *crypto.OlmMachine
	log    *slog.Logger
	syncer *syncer

	// wanted says whether an encrypted event is worth decrypting (and waiting for its key):
	// the bot only reads fresh commands.
	wanted func(ctx context.Context, evt *event.Event) bool

	encMu   sync.Mutex // one room-key share at a time
	waiting sync.WaitGroup
}

var _ mautrix.CryptoHelper = (*e2ee)(nil)

// Waits for a room key that has not arrived with its message: a short one, then a longer
// one after asking the sender's devices for the key.
const (
	sessionWait       = 3 * time.Second
	sessionWaitLonger = 22 * time.Second
)

func newE2EE(cli *mautrix.Client, s *syncer, store crypto.Store, states crypto.StateStore, log *slog.Logger) *e2ee {
	zl := zeroLogger(log)
	return &e2ee{cli: cli, mach: crypto.NewOlmMachine(cli, &zl, store, states), log: log, syncer: s}
}

// Init loads the Olm account (creating it on first start), makes sure the device's keys
// are on the homeserver, and hooks the machine into the sync.
func (e *e2ee) Init(ctx context.Context) error {
	if err := e.mach.Load(ctx); err != nil {
		return fmt.Errorf("load olm account: %w", err)
	}
	if err := e.checkDeviceKeys(ctx); err != nil {
		return err
	}
	e.syncer.OnSync(e.mach.ProcessSyncResponse)
	e.syncer.OnEventType(event.StateMember, e.mach.HandleMemberEvent)
	e.syncer.OnEventType(event.StateHistoryVisibility, e.mach.HandleHistoryVisibility)
	e.syncer.OnEventType(event.EventEncrypted, e.handleEncrypted)
	return nil
}

// checkDeviceKeys uploads the device keys of a new account and refuses to run with a
// store whose keys do not match the server's: that device would be unable to decrypt.
func (e *e2ee) checkDeviceKeys(ctx context.Context) error {
	user, device := e.cli.UserID, e.cli.DeviceID
	resp, err := e.cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: map[id.UserID]mautrix.DeviceIDList{user: {device}}})
	if err != nil {
		return fmt.Errorf("query own device keys: %w", err)
	}
	shared := e.mach.GetAccount().Shared
	keys, ok := resp.DeviceKeys[user][device]
	switch {
	case !ok || len(keys.Keys) == 0:
		if shared {
			return fmt.Errorf("the keys of device %s are gone from the homeserver (was the device logged out?); see docs/matrix.md on starting a new device", device)
		}
		if err := e.mach.ShareKeys(ctx, -1); err != nil {
			return fmt.Errorf("upload device keys: %w", err)
		}
		return nil
	case !shared:
		return fmt.Errorf("device %s has keys on the homeserver that this store did not create; see docs/matrix.md on starting a new device", device)
	case keys.Keys.GetEd25519(device) != e.mach.OwnIdentity().SigningKey:
		return fmt.Errorf("the homeserver holds other keys for device %s than this store; see docs/matrix.md on starting a new device", device)
	}
	return nil
}

func (e *e2ee) handleEncrypted(ctx context.Context, evt *event.Event) {
	if e.wanted != nil && !e.wanted(ctx, evt) {
		return
	}
	decrypted, err := e.Decrypt(ctx, evt)
	if errors.Is(err, crypto.ErrNoSessionFound) {
		e.waiting.Add(1)
		go func() {
			defer e.waiting.Done()
			e.waitAndDecrypt(ctx, evt)
		}()
		return
	}
	if err != nil {
		e.decryptFailed(evt, err)
		return
	}
	e.dispatch(ctx, decrypted)
}

func (e *e2ee) waitAndDecrypt(ctx context.Context, evt *event.Event) {
	content := evt.Content.AsEncrypted()
	if !e.mach.WaitForSession(ctx, evt.RoomID, content.SenderKey, content.SessionID, sessionWait) {
		e.RequestSession(ctx, evt.RoomID, content.SenderKey, content.SessionID, evt.Sender, content.DeviceID)
		if !e.mach.WaitForSession(ctx, evt.RoomID, content.SenderKey, content.SessionID, sessionWaitLonger) {
			e.decryptFailed(evt, crypto.ErrNoSessionFound)
			return
		}
	}
	decrypted, err := e.Decrypt(ctx, evt)
	if err != nil {
		e.decryptFailed(evt, err)
		return
	}
	e.dispatch(ctx, decrypted)
}

func (e *e2ee) dispatch(ctx context.Context, decrypted *event.Event) {
	decrypted.Mautrix.EventSource |= event.SourceDecrypted
	e.syncer.Dispatch(ctx, decrypted)
}

func (e *e2ee) decryptFailed(evt *event.Event, err error) {
	e.log.Warn("cannot decrypt a message", "room", evt.RoomID.String(), "event_id", evt.ID.String(), "sender", evt.Sender.String(), "err", err)
}

// wait waits for the pending decryptions, at most d.
func (e *e2ee) wait(d time.Duration) {
	done := make(chan struct{})
	go func() {
		e.waiting.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// Encrypt encrypts content for room, sharing a room key with its members first if needed.
func (e *e2ee) Encrypt(ctx context.Context, room id.RoomID, evtType event.Type, content any) (*event.EncryptedEventContent, error) {
	e.encMu.Lock()
	defer e.encMu.Unlock()
	enc, err := e.mach.EncryptMegolmEvent(ctx, room, evtType, content)
	if err == nil {
		return enc, nil
	}
	if !errors.Is(err, crypto.ErrSessionExpired) && !errors.Is(err, crypto.ErrNoGroupSession) && !errors.Is(err, crypto.ErrSessionNotShared) {
		return nil, err
	}
	members, err := e.cli.StateStore.GetRoomJoinedOrInvitedMembers(ctx, room)
	if err != nil {
		return nil, fmt.Errorf("room members: %w", err)
	}
	if err := e.mach.ShareGroupSession(ctx, room, members); err != nil {
		return nil, fmt.Errorf("share room key: %w", err)
	}
	return e.mach.EncryptMegolmEvent(ctx, room, evtType, content)
}

// Decrypt decrypts a megolm event.
func (e *e2ee) Decrypt(ctx context.Context, evt *event.Event) (*event.Event, error) {
	return e.mach.DecryptMegolmEvent(ctx, evt)
}

// WaitForSession waits until the room key arrives or the timeout passes.
func (e *e2ee) WaitForSession(ctx context.Context, room id.RoomID, senderKey id.SenderKey, session id.SessionID, timeout time.Duration) bool {
	return e.mach.WaitForSession(ctx, room, senderKey, session, timeout)
}

// RequestSession asks the sender's devices (and the bot's own) for a room key.
func (e *e2ee) RequestSession(ctx context.Context, room id.RoomID, senderKey id.SenderKey, session id.SessionID, user id.UserID, device id.DeviceID) {
	if device == "" {
		device = "*"
	}
	err := e.mach.SendRoomKeyRequest(ctx, room, senderKey, session, "", map[id.UserID][]id.DeviceID{
		user:         {device},
		e.cli.UserID: {"*"},
	})
	if err != nil {
		e.log.Warn("request room key", "room", room.String(), "err", err)
	}
}
