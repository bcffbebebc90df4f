package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/riverqueue/river"

	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/matrixbot"
	"github.com/vigilbot/vigil/bot/slackbot"
	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/store"
)

// chatRunner is a chat adapter with a connection of its own to keep up.
type chatRunner interface {
	Run(ctx context.Context) error
	Ready() bool
}

// chat returns the adapter that delivers to a platform.
func (e *engine) chat(platform string) (sender, bool) {
	e.chatsMu.RLock()
	defer e.chatsMu.RUnlock()
	s, ok := e.chats[platform]
	return s, ok
}

func (e *engine) setChat(platform string, s sender) {
	e.chatsMu.Lock()
	defer e.chatsMu.Unlock()
	e.chats[platform] = s
}

// openChats builds the configured chat adapters on the conversation service and
// registers them for delivery. It returns those with a loop to run, and the HTTP handlers
// they serve (Slack's HTTP mode) by path prefix. Matrix is opened here only on SQLite (one
// process); on PostgreSQL the daemon opens it in the replica holding the Matrix lease, and
// a one-shot scan leaves Matrix deliveries to that replica.
func (e *engine) openChats(ctx context.Context, svc *bot.Service) ([]chatRunner, map[string]http.Handler, error) {
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
			Watches:          e.store, // Remove and Mute buttons on the App Home
		}, svc)
		if err != nil {
			return nil, nil, err
		}
		e.setChat("slack", b)
		runners = append(runners, b)
		if c.AppToken == "" {
			handlers["/slack/"] = b.HTTPHandler()
		}
	}
	if e.cfg.Matrix != nil && e.store.Dialect() == store.SQLite {
		m, err := e.openMatrix(ctx, svc)
		if err != nil {
			return nil, nil, err
		}
		runners = append(runners, m)
	}
	return runners, handlers, nil
}

// matrixRunner runs the Matrix client and says when its sync loop is up.
type matrixRunner struct {
	b       *matrixbot.Bot
	running atomic.Bool
}

func (m *matrixRunner) Run(ctx context.Context) error {
	m.running.Store(true)
	defer m.running.Store(false)
	defer m.b.Close()
	return m.b.Run(ctx)
}

func (m *matrixRunner) Ready() bool { return m.running.Load() }

// openMatrix logs the Matrix client in (its encryption keys in the shared database),
// registers it for delivery and moves the watches of rooms configured by alias to their
// room ids.
func (e *engine) openMatrix(ctx context.Context, svc *bot.Service) (*matrixRunner, error) {
	c := e.cfg.Matrix
	if c.PickleKey == "" {
		return nil, errors.New("matrix: pickle_key (or pickle_key_file) is required: it encrypts the end-to-end encryption keys kept in the database")
	}
	o := matrixbot.Options{
		Homeserver: c.Homeserver, UserID: c.UserID, Password: c.Password.Reveal(), AccessToken: c.AccessToken.Reveal(),
		DeviceID: c.DeviceID, AllowedInviters: c.AllowedInviters, Admins: c.Admins, PickleKey: c.PickleKey.Reveal(),
		DB: e.store.DB(), Dialect: e.store.Dialect(), State: e.store, Mover: e.store, Alerts: e.store,
		RecoveryKeyFile: c.RecoveryKeyFile, Logger: e.log, Now: e.now,
	}
	if c.RecoveryKeyFile == "" {
		o.RecoveryKeyOut = os.Stderr // shown once to the operator, never logged
	}
	b, err := matrixbot.New(ctx, o, svc)
	if err != nil {
		return nil, err
	}
	for _, ch := range e.cfg.Channels {
		if alias, ok := strings.CutPrefix(ch.ID, "matrix:#"); ok {
			id, err := b.ResolveChannel(ctx, ch.ID)
			if err != nil {
				e.log.Warn("matrix: cannot resolve a room alias; its watches stay under the alias", "channel", "#"+alias, "err", err)
				continue
			}
			if err := e.adoptRoom(ctx, ch, id); err != nil {
				return nil, err
			}
		}
	}
	e.setChat("matrix", b)
	return &matrixRunner{b: b}, nil
}

// adoptRoom gives the room id that a channel configured by its Matrix alias resolved to
// what the alias had (watches, mutes, settings), records which configured channel the room
// is, so that every replica applies the file's settings of the alias to it, and writes the
// file's settings to it.
func (e *engine) adoptRoom(ctx context.Context, ch config.Channel, id string) error {
	if err := e.store.MoveChannel(ctx, ch.ID, id); err != nil {
		return err
	}
	if err := e.store.SetChatState(ctx, aliasKey(ch.ID), id); err != nil {
		return err
	}
	// The move keeps what the room already had: the file's settings apply again.
	return e.seedSettings(ctx, id, ch)
}

// aliasKey is the chat state that holds the room a configured Matrix alias resolved to.
func aliasKey(configured string) string { return "channel_alias:" + configured }

// configuredAs returns the id under which the configuration names a channel: the channel
// itself, or the Matrix alias that was last resolved to it (a room id). The alias is
// read from the database, so that a replica that never resolved it knows it too.
func (e *engine) configuredAs(ctx context.Context, channel string) (string, error) {
	aliases, err := e.resolvedAliases(ctx, e.store)
	if err != nil {
		return "", err
	}
	if id, ok := aliases[channel]; ok {
		return id, nil
	}
	return channel, nil
}

// resolvedAliases maps each room id that a configured Matrix alias resolved to, to that
// alias as configured ("matrix:!room:server" → "matrix:#alias:server").
func (e *engine) resolvedAliases(ctx context.Context, q interface {
	ChatState(ctx context.Context, key string) (string, error)
},
) (map[string]string, error) {
	out := map[string]string{}
	for _, ch := range e.cfg.Channels {
		if !strings.HasPrefix(ch.ID, "matrix:#") {
			continue
		}
		room, err := q.ChatState(ctx, aliasKey(ch.ID))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[room] = ch.ID
	}
	return out, nil
}

// runMatrixWithLease, on PostgreSQL, waits for the Matrix lease (exactly one replica runs
// the Matrix client and its encryption device), then runs the client and works the Matrix
// deliveries until ctx ends. If the holder dies, the server frees the lease and another
// replica takes over.
func (e *engine) runMatrixWithLease(ctx context.Context, svc *bot.Service, client *river.Client[*sql.Tx]) error {
	release, err := e.store.AcquireLease(ctx, "matrix")
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer release()
	e.log.Info("matrix: this replica holds the Matrix lease")
	m, err := e.openMatrix(ctx, svc)
	if err != nil {
		return err
	}
	e.matrixUp.Store(m)
	if err := client.Queues().Add(matrixQueue, river.QueueConfig{MaxWorkers: 2}); err != nil {
		return err
	}
	return m.Run(ctx)
}

// MatrixCrossSign creates the bot account's cross-signing identity and signs its device,
// for token login (password login does it at first start). Run it with the daemon
// stopped: it uses the same device and keys. The recovery key goes to the configured
// recovery_key_file, else to out — never to the log.
func MatrixCrossSign(ctx context.Context, opts Options, password string, out io.Writer) error {
	opts.defaults()
	if opts.Config.Matrix == nil {
		return errors.New("matrix is not configured")
	}
	if password == "" {
		return errors.New("the account password is required to cross-sign")
	}
	e, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer e.close()
	m, err := e.openMatrix(ctx, e.service())
	if err != nil {
		return err
	}
	defer m.b.Close()
	key, err := m.b.CrossSign(ctx, password)
	if err != nil {
		return fmt.Errorf("cross-sign: %w", err)
	}
	if f := opts.Config.Matrix.RecoveryKeyFile; f != "" {
		if err := os.WriteFile(f, []byte(key+"\n"), 0o600); err != nil {
			return fmt.Errorf("write the recovery key to %s: %w (it was not saved; run again)", f, err)
		}
		fmt.Fprintf(out, "The device is cross-signed. The recovery key is in %s; keep it safe.\n", f)
		return nil
	}
	fmt.Fprintf(out, "The device is cross-signed. Recovery key (shown once, keep it safe):\n%s\n", key)
	return nil
}
