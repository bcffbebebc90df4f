package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/slackbot"
)

// chatRunner is a chat adapter with a connection of its own to keep up.
type chatRunner interface {
	Run(ctx context.Context) error
	Ready() bool
}

// openChats builds the configured chat adapters (Slack, Matrix) on the conversation
// service and registers them for delivery. It returns those with a loop to run, and the
// HTTP handlers they serve (Slack's HTTP mode) by path prefix.
func (e *engine) openChats(svc *bot.Service) ([]chatRunner, map[string]http.Handler, error) {
	var (
		runners  []chatRunner
		handlers = map[string]http.Handler{}
	)
	if c := e.cfg.Slack; c != nil {
		b, err := slackbot.New(slackbot.Options{
			BotToken:      c.BotToken.Reveal(),
			AppToken:      c.AppToken.Reveal(),
			SigningSecret: c.SigningSecret.Reveal(),
			APIURL:        c.APIURL,
			Command:       c.Command,
			Admins:        c.Admins,
			// Admins when configured, else the channel's members (PRODUCT: who may change watches).
			MembersMayManage: len(c.Admins) == 0,
			Logger:           e.log,
			Now:              e.now,
			HTTPClient:       e.http,
			Claims:           e.store, // each event acts once across replicas
		}, svc)
		if err != nil {
			return nil, nil, err
		}
		e.chats["slack"] = b
		runners = append(runners, b)
		if c.AppToken == "" {
			handlers["/slack/"] = b.HTTPHandler()
		}
	}
	if e.cfg.Matrix != nil {
		return nil, nil, errors.New("matrix is not supported by this version yet: remove the matrix section")
	}
	return runners, handlers, nil
}
