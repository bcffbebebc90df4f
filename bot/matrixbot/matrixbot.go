// Package matrixbot is the Matrix adapter: it logs the bot account in, keeps its
// end-to-end encryption device (mautrix's Olm machine, goolm, on the shared database), syncs,
// joins rooms on allowed invites, turns `!watch …` in rooms and bare words in direct
// chats into bot.Requests, and posts replies and rendered alerts as formatted Matrix
// events (edits with m.replace, follow-ups in m.thread).
//
// It is the only importer of maunium.net/go/mautrix. It must not parse the command
// grammar or decide anything about watches: that is package bot's job. The one command it
// owns is `notify on|off`, a Matrix-only room setting (alerts as m.text instead of
// m.notice). Reactions on an alert's message take the triage decisions that need no
// reason.
package matrixbot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/sqlstatestore"

	"github.com/vigilbot/vigil/bot"
)

// Platform is the prefix of Matrix channel ids: matrix:!room:server.
const Platform = "matrix"

// StateStore keeps small values between runs (the sync token, the device id, room
// settings); the store implements it. ChatState returns an error wrapping
// watchers.ErrNotFound for a key never set.
type StateStore interface {
	ChatState(ctx context.Context, key string) (string, error)
	SetChatState(ctx context.Context, key, value string) error
}

// Handler answers commands; *bot.Service implements it.
type Handler interface {
	Handle(ctx context.Context, req bot.Request) bot.Reply
}

// ChannelMover moves a channel's watches (and whatever else the app keeps per channel) to
// another channel; the app implements it for room upgrades.
type ChannelMover interface {
	MoveChannel(ctx context.Context, from, to string) error
}

// Options configure the bot.
type Options struct {
	Homeserver string // https://matrix.example.org
	UserID     string // @vigil:example.org
	// Password or AccessToken: one is required. With a password the bot logs in at every
	// start, keeping its device id, and cross-signs its device at first start.
	Password    string
	AccessToken string
	// DeviceID forces the device to log in as; default: the one kept from the last run.
	DeviceID string
	// AllowedInviters are user IDs (@alice:example.org) or server names (example.org)
	// whose invites the bot accepts; default: the bot's own server.
	AllowedInviters []string
	// Admins may change any room's watches whatever their power level.
	Admins []string
	// PickleKey encrypts the crypto keys at rest in the database. Required; changing it
	// makes the stored keys unreadable.
	PickleKey string
	// DB and Dialect ("sqlite" or "postgres") are the shared database, where mautrix keeps
	// its crypto and room-state tables. The bot never closes DB.
	DB      *sql.DB
	Dialect string
	State   StateStore
	// Mover, when set, is told when a room is upgraded and the bot has joined its
	// replacement, so that the room's watches follow.
	Mover ChannelMover
	// Alerts, when set (and the handler takes decisions), lets reactions on an alert's
	// message decide on it.
	Alerts AlertFinder
	// RecoveryKeyFile receives the cross-signing recovery key when the bot creates its
	// cross-signing identity (first start with a password). It is created with mode 0600
	// and never overwritten. If empty, the key is written to RecoveryKeyOut. A later new
	// device (the store was lost) reads the key back from it to sign itself.
	RecoveryKeyFile string
	// RecoveryKeyOut is the terminal, used when RecoveryKeyFile is empty. With neither, the
	// bot does not create a cross-signing identity (there would be nowhere to keep its key).
	RecoveryKeyOut io.Writer
	// RecoveryKey, when set, lets a new device of an already cross-signed account sign
	// itself (after the crypto store was lost); default: read from RecoveryKeyFile.
	RecoveryKey string
	Logger      *slog.Logger
	Now         func() time.Time
	// DeviceName is shown in clients' session lists; default "Vigil".
	DeviceName string
}

// Bot is a logged-in Matrix bot.
type Bot struct {
	o        Options
	log      *slog.Logger
	now      func() time.Time
	cli      *mautrix.Client
	syncer   *syncer
	e2ee     *e2ee
	states   *sqlstatestore.SQLStateStore
	h        Handler
	decider  Decider // nil: the handler takes no decisions from reactions
	userID   id.UserID
	admins   map[id.UserID]bool
	inviters []string

	claims *claims

	mu        sync.Mutex
	checked   map[id.RoomID]bool     // rooms whose state Send has made sure of
	aliases   map[string]id.RoomID   // resolved room aliases, without the #
	joinRetry map[id.RoomID]*joinTry // invites whose join failed, retried
}

// commandMaxAge is how old a command may be and still be answered: older ones were sent
// while the bot was away and are stale.
const commandMaxAge = 10 * time.Minute

// New logs the bot in (password: keeping the device id; or token), sets up end-to-end
// encryption on the shared database, cross-signs a new device when it can, and registers
// the event handlers. Run starts syncing.
func New(ctx context.Context, o Options, h Handler) (*Bot, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("matrix: a command handler is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DeviceName == "" {
		o.DeviceName = "Vigil"
	}
	userID := id.UserID(o.UserID)
	_, server, _ := userID.Parse()
	b := &Bot{
		o: o, log: o.Logger.With("platform", Platform), now: o.Now, h: h,
		userID: userID, admins: map[id.UserID]bool{},
		checked: map[id.RoomID]bool{}, aliases: map[string]id.RoomID{}, joinRetry: map[id.RoomID]*joinTry{},
	}
	for _, a := range o.Admins {
		b.admins[id.UserID(strings.TrimSpace(a))] = true
	}
	b.decider, _ = h.(Decider)
	b.inviters = o.AllowedInviters
	if len(b.inviters) == 0 {
		b.inviters = []string{server}
	}
	b.claims = newClaims(o.State, stateKey(userID, "handled"), o.Now)
	if err := b.claims.load(ctx); err != nil {
		return nil, err
	}
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

func (o Options) validate() error {
	var missing []string
	if o.Homeserver == "" {
		missing = append(missing, "homeserver")
	}
	if o.UserID == "" {
		missing = append(missing, "user id")
	}
	if o.Password == "" && o.AccessToken == "" {
		missing = append(missing, "password or access token")
	}
	if o.PickleKey == "" {
		missing = append(missing, "pickle key")
	}
	if o.DB == nil {
		missing = append(missing, "database")
	}
	if o.State == nil {
		missing = append(missing, "state store")
	}
	if len(missing) > 0 {
		return fmt.Errorf("matrix: missing %s", strings.Join(missing, ", "))
	}
	if _, _, err := id.UserID(o.UserID).Parse(); err != nil || !strings.HasPrefix(o.UserID, "@") {
		return fmt.Errorf("matrix: user id %q is not @name:server", o.UserID)
	}
	if _, err := dbutil.ParseDialect(o.Dialect); err != nil {
		return fmt.Errorf("matrix: database dialect %q: want sqlite or postgres", o.Dialect)
	}
	return nil
}

// setup builds the client, logs in and brings up encryption.
func (b *Bot) setup(ctx context.Context) error {
	zl := zeroLogger(b.log)
	cli, err := mautrix.NewClient(b.o.Homeserver, b.userID, "")
	if err != nil {
		return fmt.Errorf("matrix: homeserver %q: %w", b.o.Homeserver, err)
	}
	cli.Log = zl
	b.cli = cli

	db, err := dbutil.NewWithDB(b.o.DB, b.o.Dialect)
	if err != nil {
		return fmt.Errorf("matrix: database: %w", err)
	}
	dbLog := dbutil.ZeroLogger(zl.With().Str("component", "matrix_db").Logger())
	db.Log = dbLog
	b.states = sqlstatestore.NewSQLStateStore(db, dbLog, false)
	if err := b.states.Upgrade(ctx); err != nil {
		return fmt.Errorf("matrix: upgrade room state tables: %w", err)
	}
	cli.StateStore = b.states
	cli.Store = &syncStore{state: b.o.State, key: stateKey(b.userID, "next_batch")}
	b.syncer = newSyncer(b)
	cli.Syncer = b.syncer

	cryptoStore := crypto.NewSQLCryptoStore(db, dbLog, b.o.UserID, "", []byte(b.o.PickleKey))
	if err := cryptoStore.DB.Upgrade(ctx); err != nil {
		return fmt.Errorf("matrix: upgrade crypto tables: %w", err)
	}
	if err := b.login(ctx, cryptoStore); err != nil {
		return err
	}

	// Our sync handler runs before the crypto machine's: it trims events from before our
	// own joins and handles invites.
	b.syncer.OnSync(b.onSync)
	b.e2ee = newE2EE(cli, b.syncer, cryptoStore, b.states, b.log.With("component", "e2ee"))
	b.e2ee.wanted = b.fresh
	if err := b.e2ee.Init(ctx); err != nil {
		return fmt.Errorf("matrix: encryption: %w", err)
	}
	cli.Crypto = b.e2ee
	b.syncer.OnEvent(cli.StateStoreSyncHandler)
	b.syncer.OnEventType(event.EventMessage, b.onMessage)
	b.syncer.OnEventType(event.EventReaction, b.onReaction)
	b.syncer.OnEventType(event.StateTombstone, b.onTombstone)

	if err := b.ensureCrossSigned(ctx); err != nil {
		// Encryption works without it; clients show the device as unverified.
		b.log.Warn("bot device is not cross-signed", "err", err)
	}
	return nil
}

// login adopts the configured access token, or resumes the session kept from the last run,
// or logs in with the password (keeping the device id); then it checks that the crypto
// store belongs to the resulting device.
func (b *Bot) login(ctx context.Context, cs *crypto.SQLCryptoStore) error {
	stored, err := cs.FindDeviceID(ctx)
	if err != nil {
		return fmt.Errorf("matrix: read crypto store: %w", err)
	}
	device := id.DeviceID(b.o.DeviceID)
	if device == "" {
		if v, err := getState(ctx, b.o.State, stateKey(b.userID, "device_id")); err != nil {
			return err
		} else if v != "" {
			device = id.DeviceID(v)
		} else {
			device = stored
		}
	}
	if b.o.AccessToken != "" {
		b.cli.AccessToken = b.o.AccessToken
		who, err := b.cli.Whoami(ctx)
		if err != nil {
			return fmt.Errorf("matrix: check access token: %w", loginError(err))
		}
		if who.UserID != b.userID {
			return fmt.Errorf("matrix: the access token belongs to %s, not %s", who.UserID, b.userID)
		}
		if who.DeviceID == "" {
			return errors.New("matrix: the homeserver did not say which device the access token belongs to")
		}
		if device != "" && who.DeviceID != device {
			return fmt.Errorf("matrix: the access token belongs to device %s, but the bot's device is %s: use a token of that device, or see docs/matrix.md on starting a new device", who.DeviceID, device)
		}
		b.cli.DeviceID = who.DeviceID
	} else if b.resumeSession(ctx, device) {
		b.log.Info("resumed the last session")
	} else {
		localpart, _, _ := b.userID.Parse()
		_, err := b.cli.Login(ctx, &mautrix.ReqLogin{
			Type:                     mautrix.AuthTypePassword,
			Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: localpart},
			Password:                 b.o.Password,
			DeviceID:                 device,
			InitialDeviceDisplayName: b.o.DeviceName,
			StoreCredentials:         true,
		})
		if err != nil {
			return fmt.Errorf("matrix: log in as %s: %w", b.userID, loginError(err))
		}
		if b.cli.UserID != b.userID {
			return fmt.Errorf("matrix: logged in as %s, not %s", b.cli.UserID, b.userID)
		}
		if err := b.keepSession(ctx); err != nil {
			return err
		}
	}
	if stored != "" && stored != b.cli.DeviceID {
		return fmt.Errorf("matrix: the crypto store holds the keys of device %s, but the bot is logged in as device %s: see docs/matrix.md on starting a new device", stored, b.cli.DeviceID)
	}
	cs.DeviceID = b.cli.DeviceID
	if err := b.o.State.SetChatState(ctx, stateKey(b.userID, "device_id"), b.cli.DeviceID.String()); err != nil {
		return fmt.Errorf("matrix: keep device id: %w", err)
	}
	b.log.Info("logged in", "user", b.userID.String(), "device", b.cli.DeviceID.String())
	return nil
}

// loginError keeps the homeserver's answer but drops the request, which may carry the
// password.
func loginError(err error) error {
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.RespError != nil {
		return fmt.Errorf("%s: %s", he.RespError.ErrCode, he.RespError.Err)
	}
	return err
}

// DeviceID is the bot's Matrix device.
func (b *Bot) DeviceID() string { return b.cli.DeviceID.String() }

// Run syncs and handles events until ctx is done.
func (b *Bot) Run(ctx context.Context) error {
	err := b.cli.SyncWithContext(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("matrix sync: %w", err)
	}
	return nil
}

// Close releases the bot. It does not log out (the device and its keys are kept) and does
// not close the shared database.
func (b *Bot) Close() error {
	b.cli.StopSync()
	// Decryptions still waiting for keys end with the sync's context; give them a moment.
	b.e2ee.wait(5 * time.Second)
	return nil
}

// stateKey names a value the bot keeps per account.
func stateKey(user id.UserID, name string) string {
	return "matrix:" + user.String() + ":" + name
}

// roomKey names a value the bot keeps per room.
func roomKey(room id.RoomID, name string) string {
	return "matrix:room:" + room.String() + ":" + name
}

// channelOf is the Vigil channel id of a room.
func channelOf(room id.RoomID) string { return Platform + ":" + room.String() }

// roomOf parses a Vigil channel id of a room id (matrix:!room:server).
func roomOf(channel string) (id.RoomID, error) {
	rest, ok := strings.CutPrefix(channel, Platform+":")
	if !ok || !strings.HasPrefix(rest, "!") || len(rest) < 2 {
		return "", fmt.Errorf("channel %q is not matrix:!room", channel)
	}
	return id.RoomID(rest), nil
}

// ResolveChannel turns a channel given by room alias (matrix:#alias:server) into the one
// by room id (matrix:!room:server), which is how commands from the room name it; a channel
// by room id is returned as it is.
func (b *Bot) ResolveChannel(ctx context.Context, channel string) (string, error) {
	room, err := b.room(ctx, channel)
	if err != nil {
		return "", err
	}
	return channelOf(room), nil
}

// room returns the room of a channel, resolving an alias through the room directory
// (once per run).
func (b *Bot) room(ctx context.Context, channel string) (id.RoomID, error) {
	alias, ok := strings.CutPrefix(channel, Platform+":#")
	if !ok {
		room, err := roomOf(channel)
		if err != nil {
			return "", fmt.Errorf("matrix: %w: %w", err, bot.ErrPermanent)
		}
		return room, nil
	}
	b.mu.Lock()
	room, ok := b.aliases[alias]
	b.mu.Unlock()
	if ok {
		return room, nil
	}
	resp, err := b.cli.ResolveAlias(ctx, id.RoomAlias("#"+alias))
	if err != nil {
		return "", classify(fmt.Errorf("matrix: resolve room alias #%s: %w", alias, err))
	}
	b.mu.Lock()
	b.aliases[alias] = resp.RoomID
	b.mu.Unlock()
	return resp.RoomID, nil
}
