package dynamosession_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/ttl"
)

// soakEnv names the variable that lengthens the soak test:
// DYNAMOSESSION_SOAK=5m runs the DynamoDB Local soak for five minutes, with
// no bound on the number of operations, for example:
//
//	DYNAMOSESSION_SOAK=5m scripts/dynamodb-local run -- go test -race -run TestSoak -v .
const soakEnv = "DYNAMOSESSION_SOAK"

// soakConfig bounds one soak run in time and in operations per worker,
// whichever ends first.
type soakConfig struct {
	workers, sessions int
	duration          time.Duration
	maxOps            int
}

// TestSoak runs concurrent Get, Save, Touch, Update and Delete against
// one versioned, encrypted repository, then checks that every session is
// in the state the test can predict from the operations that succeeded:
// the count equals the successful Updates, the version is 1 plus the
// successful Saves and Updates, and deleted sessions are gone. It runs on
// the fake (briefly) and on DynamoDB Local (8 s by default; see soakEnv),
// and is skipped with -short.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the soak test")
	}
	t.Run("fake", func(t *testing.T) {
		runSoak(t, newFake(t), "sessions", soakConfig{workers: 16, sessions: 50, duration: 2 * time.Second, maxOps: 150})
	})
	t.Run("dynamodb-local", func(t *testing.T) {
		client := dynamotest.Client(t)
		table := dynamotest.CreateTable(t, client, "id", "expires")
		cfg := soakConfig{workers: 16, sessions: 50, duration: 8 * time.Second, maxOps: 2000}
		if v := os.Getenv(soakEnv); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q: want a positive duration such as 5m", soakEnv, v)
			}
			cfg.duration, cfg.maxOps = d, 1<<30
		}
		runSoak(t, client, table, cfg)
	})
}

// soakSession is what the test knows of one session: the writes of it
// that succeeded.
type soakSession struct {
	id      string
	doomed  bool // workers may delete it
	updates atomic.Int64
	saves   atomic.Int64
	deleted atomic.Bool
}

// soakStats counts outcomes for the log.
type soakStats struct {
	ops, conflicts, notFound, touched, unexpected atomic.Int64
}

func runSoak(t *testing.T, client dynamosession.API, table string, cfg soakConfig) {
	sum := sha256.Sum256([]byte("dynamosession soak key"))
	keys, err := codec.NewKeyring(codec.Key{ID: "soak", Secret: sum[:]})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := dynamosession.New[cart](client, table, func(o *dynamosession.Options[cart]) {
		o.Versioned = true
		o.Codec = codec.Sealed[cart](codec.Msgpack[cart](), keys)
		o.Touch = ttl.TouchAfter(0) // every Touch writes, to race the other writers
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix := newID(t)[:8]
	sessions := make([]*soakSession, cfg.sessions)
	for i := range sessions {
		s := &soakSession{id: fmt.Sprintf("%s-%02d", prefix, i), doomed: i%5 == 0}
		if _, err := repo.Put(ctx, s.id, cart{User: s.id}); err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
	}

	var stats soakStats
	// check accepts the error of one operation: nil, a lost race
	// (ErrConflict), or ErrNotFound for a session that may be deleted.
	check := func(s *soakSession, op string, err error) bool {
		switch {
		case err == nil:
			return true
		case errors.Is(err, dynamosession.ErrConflict):
			stats.conflicts.Add(1)
		case errors.Is(err, dynamosession.ErrNotFound) && s.doomed:
			stats.notFound.Add(1)
		default:
			if stats.unexpected.Add(1) <= 10 {
				t.Errorf("%s of session %s: %v", op, s.id, err)
			}
		}
		return false
	}

	start := time.Now()
	deadline := start.Add(cfg.duration)
	done := make(chan struct{})
	for w := range cfg.workers {
		go func() {
			defer func() { done <- struct{}{} }()
			rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w)))
			for n := 0; n < cfg.maxOps && time.Now().Before(deadline) && stats.unexpected.Load() == 0; n++ {
				stats.ops.Add(1)
				s := sessions[rng.IntN(len(sessions))]
				switch p := rng.IntN(100); {
				case p < 30:
					_, err := repo.Get(ctx, s.id)
					check(s, "Get", err)
				case p < 55:
					_, err := repo.Update(ctx, s.id, func(c *cart) error { c.Count++; return nil })
					if check(s, "Update", err) {
						s.updates.Add(1)
					}
				case p < 80:
					got, err := repo.Get(ctx, s.id)
					if !check(s, "Get", err) {
						continue
					}
					got.Data.Items = append(got.Data.Items, fmt.Sprintf("w%d-%d", w, n))
					if len(got.Data.Items) > 4 {
						got.Data.Items = got.Data.Items[1:]
					}
					if check(s, "Save", repo.Save(ctx, got)) {
						s.saves.Add(1)
					}
				case p < 97:
					got, err := repo.Get(ctx, s.id)
					if !check(s, "Get", err) {
						continue
					}
					touched, err := repo.Touch(ctx, got)
					if check(s, "Touch", err) && touched {
						stats.touched.Add(1)
					}
				default:
					if !s.doomed {
						continue
					}
					if check(s, "Delete", repo.Delete(ctx, s.id)) {
						s.deleted.Store(true)
					}
				}
			}
		}()
	}
	for range cfg.workers {
		<-done
	}
	elapsed := time.Since(start)

	strong := consistency.WithStrongRead(ctx)
	deleted := 0
	for _, s := range sessions {
		got, err := repo.Get(strong, s.id)
		if s.deleted.Load() {
			deleted++
			raw, rerr := client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:      &table,
				Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + s.id}},
				ConsistentRead: ptr(true),
			})
			if !errors.Is(err, dynamosession.ErrNotFound) || rerr != nil || raw.Item != nil {
				t.Errorf("session %s was deleted, Get = %+v, %v; stored item: %v, %v", s.id, got, err, raw, rerr)
			}
			continue
		}
		if err != nil {
			t.Errorf("session %s: %v", s.id, err)
			continue
		}
		updates, saves := s.updates.Load(), s.saves.Load()
		if int64(got.Data.Count) != updates || got.Version != 1+updates+saves || got.Data.User != s.id {
			t.Errorf("session %s: count %d, version %d, user %q; want count %d (successful Updates), version %d (1 + %d Saves + %d Updates), user %q",
				s.id, got.Data.Count, got.Version, got.Data.User, updates, 1+updates+saves, saves, updates, s.id)
		}
		if got.Format() != codec.FormatSealed {
			t.Errorf("session %s stored as %q, want sealed", s.id, got.Format())
		}
	}
	ops := stats.ops.Load()
	t.Logf("soak: %d workers, %d sessions, %d operations in %v (%.0f/s): %d conflicts, %d not found after a delete, %d touches written, %d sessions deleted",
		cfg.workers, cfg.sessions, ops, elapsed.Round(time.Millisecond), float64(ops)/elapsed.Seconds(),
		stats.conflicts.Load(), stats.notFound.Load(), stats.touched.Load(), deleted)
}
