package slackbot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// HTTP mode: Slack calls the bot's public URL instead of the bot holding a Socket Mode
// connection. Every request is checked against the signing secret before anything in it
// is believed.

// Paths HTTPHandler serves; the manifest's request URLs end with them.
const (
	PathEvents        = "/slack/events"
	PathCommands      = "/slack/commands"
	PathInteractivity = "/slack/interactivity"
)

const (
	maxBody       = 1 << 20
	signatureSkew = 5 * time.Minute
	submitWait    = time.Second
)

var (
	errStale     = errors.New("request timestamp too far from now")
	errSignature = errors.New("bad request signature")
)

// HTTPHandler serves Slack's HTTP callbacks (PathEvents, PathCommands,
// PathInteractivity). Without a signing secret every request is refused. The work a
// request starts runs in Run, which must be running.
func (b *Bot) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathEvents, b.verified(b.serveEvents))
	mux.HandleFunc("POST "+PathCommands, b.verified(b.serveCommand))
	mux.HandleFunc("POST "+PathInteractivity, b.verified(b.serveInteraction))
	return mux
}

// verified reads the raw body, checks its v0 signature and timestamp, and passes the body
// on.
func (b *Bot) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if b.signing == "" {
			http.Error(w, "HTTP mode is not configured", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := verify(b.signing, r.Header, body, b.now()); err != nil {
			b.log.Warn("slack: request refused", "path", r.URL.Path, "err", err)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	}
}

// verify checks Slack's v0 request signature: HMAC-SHA256 of "v0:<timestamp>:<body>"
// with the signing secret, compared in constant time, and a timestamp within five minutes
// of now (a replayed request is refused after that).
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	ts := h.Get("X-Slack-Request-Timestamp")
	sig, ok := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if ts == "" || !ok {
		return errSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > signatureSkew || d < -signatureSkew {
		return errStale
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return errSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errSignature
	}
	return nil
}

func (b *Bot) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type slack-go does not know: acknowledge, so that Slack does not retry.
		b.log.Debug("slack: event not understood", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		v, _ := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if v == nil {
			http.Error(w, "bad url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, v.Challenge)
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	id := eventID(ev)
	if !b.events.first(id) {
		b.log.Debug("slack: duplicate event ignored", "event_id", id)
		w.WriteHeader(http.StatusOK)
		return
	}
	if !b.submit(r.Context(), func(ctx context.Context) { b.onEvent(ctx, ev) }, submitWait) {
		b.events.forget(id) // let Slack's retry through
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if form.Get("ssl_check") == "1" { // Slack checking the certificate
		w.WriteHeader(http.StatusOK)
		return
	}
	cmd := slack.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"), Command: form.Get("command"),
		Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
		APIAppID: form.Get("api_app_id"),
	}
	p := b.slashPending(cmd)
	if !b.submit(r.Context(), func(ctx context.Context) { p.complete(ctx, b.slashReply(ctx, cmd)) }, submitWait) {
		writeJSON(w, ephemeral("I am busy or restarting; try again in a moment."))
		return
	}
	writeJSON(w, ackPayload(p.wait(b.ackBudget)))
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	payload, work, id := b.interaction(cb)
	if work != nil && !b.submit(r.Context(), work, submitWait) {
		b.events.forget(id) // let Slack's retry, or the user's next try, through
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if payload != nil {
		writeJSON(w, payload)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}
