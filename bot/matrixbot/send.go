package matrixbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/bot"
)

// Send posts an alert message to a room ("matrix:!room:server", or "matrix:#alias:server")
// and returns its event id:
// a new message, an edit of m.EditOf (m.replace; the reference stays the original's), or a
// reply in the thread of m.ThreadOf. The transaction id is derived from the message, so a
// retried delivery never posts twice. Errors wrap bot.ErrPermanent (not in the room, no
// permission) or are a *bot.RetryAfterError (rate limited).
func (b *Bot) Send(ctx context.Context, channel string, m bot.Message) (string, error) {
	room, err := b.room(ctx, channel)
	if err != nil {
		return "", err
	}
	if err := b.ensureRoomState(ctx, room); err != nil {
		return "", classify(fmt.Errorf("matrix: room %s: %w", room, err))
	}
	msgType := event.MsgNotice
	if b.notifies(ctx, room) {
		msgType = event.MsgText
	}
	c := alertContent(msgType, m)
	switch {
	case m.EditOf != "":
		c = asEdit(c, m.EditOf)
	case m.ThreadOf != "":
		c = inThread(c, m.ThreadOf)
	}
	resp, err := b.cli.SendMessageEvent(ctx, room, event.EventMessage, c, mautrix.ReqSendEvent{TransactionID: txnID(room, m)})
	if err != nil {
		return "", classify(fmt.Errorf("matrix: send alert %d to %s: %w", m.AlertID, room, err))
	}
	if m.EditOf != "" {
		// Later edits replace the original, never an edit.
		return m.EditOf, nil
	}
	return resp.EventID.String(), nil
}

// ensureRoomState makes sure, once per room and run, that the bot knows whether the room
// is encrypted and who is in it before it posts there: an alert may be due before the first
// sync has told it, and posting in clear text to an encrypted room, or encrypting for
// nobody, must not happen.
func (b *Bot) ensureRoomState(ctx context.Context, room id.RoomID) error {
	b.mu.Lock()
	done := b.checked[room]
	b.mu.Unlock()
	if done {
		return nil
	}
	var enc event.EncryptionEventContent
	err := b.cli.StateEvent(ctx, room, event.StateEncryption, "", &enc)
	if err != nil && !errors.Is(err, mautrix.MNotFound) {
		return fmt.Errorf("read encryption state: %w", err)
	}
	if _, err := b.cli.Members(ctx, room); err != nil {
		return fmt.Errorf("read members: %w", err)
	}
	b.mu.Lock()
	b.checked[room] = true
	b.mu.Unlock()
	return nil
}

// txnID is the transaction id of a message: the same message to the same room always gets
// the same one, so the homeserver drops a retry instead of posting it again.
func txnID(room id.RoomID, m bot.Message) string {
	r := sha256.Sum256([]byte(room))
	t := fmt.Sprintf("vigil.%s.a%d.p%d.%s", hex.EncodeToString(r[:6]), m.AlertID, m.PostID, m.Kind)
	if m.PostID == 0 {
		// Not a recorded message (tests, tools): tell messages apart by what they say.
		c := sha256.Sum256([]byte(m.EditOf + "\x00" + m.ThreadOf + "\x00" + m.Text()))
		t += "." + hex.EncodeToString(c[:8])
	}
	return t
}

func eventID(ref string) id.EventID { return id.EventID(ref) }

// defaultRetryAfter is used when a rate-limited answer does not say how long to wait.
const defaultRetryAfter = 5 * time.Second

// classify marks what retrying cannot fix as bot.ErrPermanent and rate limits as
// *bot.RetryAfterError; anything else is left to be retried.
func classify(err error) error {
	var he mautrix.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	code := ""
	if he.RespError != nil {
		code = he.RespError.ErrCode
	}
	if code == mautrix.MLimitExceeded.ErrCode || he.IsStatus(http.StatusTooManyRequests) {
		return &bot.RetryAfterError{After: retryAfter(he), Err: err}
	}
	switch code {
	case mautrix.MForbidden.ErrCode, mautrix.MNotFound.ErrCode, mautrix.MUnknownToken.ErrCode,
		mautrix.MMissingToken.ErrCode, mautrix.MUserDeactivated.ErrCode, mautrix.MTooLarge.ErrCode,
		mautrix.MBadJSON.ErrCode, mautrix.MNotJSON.ErrCode, mautrix.MInvalidParam.ErrCode:
		return fmt.Errorf("%w: %w", err, bot.ErrPermanent)
	}
	if he.Response != nil && (he.Response.StatusCode == http.StatusForbidden || he.Response.StatusCode == http.StatusUnauthorized) {
		return fmt.Errorf("%w: %w", err, bot.ErrPermanent)
	}
	return err
}

// retryAfter reads how long to wait from the error body (retry_after_ms) or the
// Retry-After header.
func retryAfter(he mautrix.HTTPError) time.Duration {
	if he.RespError != nil {
		switch v := he.RespError.ExtraData["retry_after_ms"].(type) {
		case float64:
			if v > 0 {
				return time.Duration(v) * time.Millisecond
			}
		case int64:
			if v > 0 {
				return time.Duration(v) * time.Millisecond
			}
		}
	}
	if he.Response != nil {
		h := strings.TrimSpace(he.Response.Header.Get("Retry-After"))
		if s, err := strconv.Atoi(h); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(h); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
		}
	}
	return defaultRetryAfter
}
