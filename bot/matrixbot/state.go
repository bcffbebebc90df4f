package matrixbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/vigilbot/vigil/watchers"
)

// getState reads a kept value; a key never set reads as "".
func getState(ctx context.Context, st StateStore, key string) (string, error) {
	v, err := st.ChatState(ctx, key)
	if errors.Is(err, watchers.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("matrix: read %s: %w", key, err)
	}
	return v, nil
}

// syncStore keeps the sync token in the shared state table, so that a restart resumes
// where the last run stopped. The filter id lives in memory: filters are cheap to create,
// and a new version of the bot may want a different one.
type syncStore struct {
	state StateStore
	key   string

	mu     sync.Mutex
	filter string
}

var _ mautrix.SyncStore = (*syncStore)(nil)

func (s *syncStore) SaveFilterID(_ context.Context, _ id.UserID, filterID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filter = filterID
	return nil
}

func (s *syncStore) LoadFilterID(context.Context, id.UserID) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.filter, nil
}

func (s *syncStore) SaveNextBatch(ctx context.Context, _ id.UserID, token string) error {
	if err := s.state.SetChatState(ctx, s.key, token); err != nil {
		return fmt.Errorf("matrix: save sync token: %w", err)
	}
	return nil
}

func (s *syncStore) LoadNextBatch(ctx context.Context, _ id.UserID) (string, error) {
	return getState(ctx, s.state, s.key)
}

// claims remembers the commands already taken on, by event id, in the state table: a
// command is claimed before it is answered, so a crash or a replayed sync never answers it
// twice. Only recent claims are kept — older commands are ignored anyway.
type claims struct {
	state StateStore
	key   string
	now   func() time.Time

	mu   sync.Mutex
	seen map[id.EventID]int64 // event id → the event's timestamp (ms)
}

// claimsKeep is how long a claim is kept, by the event's own timestamp: longer than the
// age past which commands are ignored.
const claimsKeep = 2 * commandMaxAge

// claimsMax bounds the kept claims whatever the clock says.
const claimsMax = 1000

func newClaims(st StateStore, key string, now func() time.Time) *claims {
	return &claims{state: st, key: key, now: now, seen: map[id.EventID]int64{}}
}

func (c *claims) load(ctx context.Context) error {
	v, err := getState(ctx, c.state, c.key)
	if err != nil || v == "" {
		return err
	}
	if err := json.Unmarshal([]byte(v), &c.seen); err != nil {
		// A damaged list only risks answering a recent command again.
		c.seen = map[id.EventID]int64{}
	}
	return nil
}

// claim records evt as taken on and reports whether it was new. A failure to persist the
// claim is returned with claimed = true: the command is answered (memory still guards this
// run) and the caller logs the error.
func (c *claims) claim(ctx context.Context, evt id.EventID, ts int64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[evt]; ok {
		return false, nil
	}
	c.seen[evt] = ts
	c.prune()
	b, err := json.Marshal(c.seen)
	if err != nil {
		return true, err
	}
	if err := c.state.SetChatState(ctx, c.key, string(b)); err != nil {
		return true, fmt.Errorf("matrix: keep handled commands: %w", err)
	}
	return true, nil
}

func (c *claims) prune() {
	oldest := c.now().Add(-claimsKeep).UnixMilli()
	for e, ts := range c.seen {
		if ts < oldest {
			delete(c.seen, e)
		}
	}
	if len(c.seen) <= claimsMax {
		return
	}
	type entry struct {
		e  id.EventID
		ts int64
	}
	all := make([]entry, 0, len(c.seen))
	for e, ts := range c.seen {
		all = append(all, entry{e, ts})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ts > all[j].ts })
	for _, x := range all[claimsMax:] {
		delete(c.seen, x.e)
	}
}
