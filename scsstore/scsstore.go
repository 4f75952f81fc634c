// Package scsstore keeps the sessions of github.com/alexedwards/scs/v2 in
// DynamoDB through a dynamosession repository.
//
// A [*Store] satisfies scs's Store and CtxStore interfaces by its method
// set alone: this package does not import scs, so depending on
// dynamosession does not pull scs in. Use it as any scs store:
//
//	repo, err := dynamosession.New[scsstore.Record](client, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
//		o.Codec = codec.Msgpack[scsstore.Record]() // scs's bytes as a binary attribute
//		o.TTL = ttl.Sliding(24 * time.Hour)        // at least scs's Lifetime
//	})
//	store, err := scsstore.New(repo)
//	sessionManager := scs.New()
//	sessionManager.Store = store
//
// # Expiry
//
// scs decides each session's expiry and passes it to Commit. A repository
// writes its own TTL attribute from its TTL policy, so the store keeps
// scs's exact expiry in the record beside scs's bytes ([Record]) and Find
// enforces it, while the repository's TTL attribute, written at least as
// late, is what lets DynamoDB delete the item eventually. The repository's
// TTL must therefore reach at least as far as scs's Lifetime (default 24
// hours): a Commit whose expiry lies beyond it fails with
// [ErrExpiryBeyondTTL] rather than store a session DynamoDB would delete
// early.
//
// # Cost
//
// Find is one GetItem (0.5 read unit with eventual reads); a token that is
// not found is confirmed by one strongly consistent GetItem (1 read unit),
// so that the request right after a login, which may reach a replica that
// has not seen the new session yet, does not lose it. scs calls Commit when a session was modified, and
// on every request when its IdleTimeout is set; each Commit is one PutItem
// (1 write unit per started KB), since scs's Commit means "replace". Delete
// is one DeleteItem. The repository's touch policy plays no part.
package scsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/consistency"
)

// Record is what the store keeps per session: scs's encoded session and
// the expiry scs chose for it.
type Record struct {
	// Data is the session as scs's codec encoded it (gob by default).
	Data []byte `json:"data"`
	// Deadline is scs's expiry in Unix milliseconds; Find reports a
	// session past it as not found.
	Deadline int64 `json:"deadline"`
}

// Errors, checked with errors.Is.
var (
	// ErrNilRepository reports a nil repository passed to New.
	ErrNilRepository = errors.New("scsstore: nil repository")

	// ErrVersioned reports a versioned repository passed to New: it
	// refuses to replace a live session, and replacing is what scs's
	// Commit does.
	ErrVersioned = errors.New("scsstore: repository is versioned; scs commits by replacing sessions")

	// ErrExpiryBeyondTTL reports a Commit whose expiry lies beyond the
	// repository's TTL: DynamoDB could delete the session before scs
	// means it to end. Give the repository a TTL at least as long as scs's
	// Lifetime.
	ErrExpiryBeyondTTL = errors.New("scsstore: session expiry beyond the repository's TTL")
)

// Store is an scs Store and CtxStore over a dynamosession repository.
// Create it with [New]. A Store is safe for concurrent use.
type Store struct {
	repo *dynamosession.Repo[Record]
	opts dynamosession.Options[Record]
	conf Options
}

// Options configures a [Store]. The zero value is the default.
type Options struct {
	// Undecodable decides what Find does with a record the repository
	// cannot decode (a *dynamosession.DecodeError: a record another
	// program or a broken release wrote around scs's bytes). Default
	// KeepUndecodable: Find reports no session, so scs starts a fresh one
	// under a new token, and the record stays for inspection until
	// DynamoDB's TTL deletes it. DeleteUndecodable also deletes it, on
	// condition that it is still exactly that record. FailUndecodable
	// returns the error, which scs turns into a failed request for as long
	// as the cookie lives. (scs decodes its own gob inside the record; a
	// failure there is scs's, not this store's.) A record a newer deploy
	// wrote under a higher schema version (the *DecodeError wraps
	// dynamosession.ErrSchemaTooNew) is never deleted, but scs has no way
	// to leave its cookie alone: during a rolling deploy such a user gets a
	// fresh session from the older processes. Deploy readers first.
	Undecodable Undecodable

	// OnUndecodable, if set, receives the *dynamosession.DecodeError of
	// every record Find drops under KeepUndecodable or DeleteUndecodable,
	// for a log or a metric. The store itself logs nothing.
	OnUndecodable func(error)
}

// Undecodable is a policy for records no codec can decode; see
// [Options.Undecodable].
type Undecodable int

// The policies for records no codec can decode.
const (
	KeepUndecodable Undecodable = iota
	DeleteUndecodable
	FailUndecodable
)

// New returns a Store keeping sessions in repo, configured by optFns
// applied in order to the default [Options]. It returns
// [ErrNilRepository] or [ErrVersioned] for a repository it cannot use.
func New(repo *dynamosession.Repo[Record], optFns ...func(*Options)) (*Store, error) {
	if repo == nil {
		return nil, ErrNilRepository
	}
	o := repo.Options()
	if o.Versioned {
		return nil, ErrVersioned
	}
	s := &Store{repo: repo, opts: o}
	for _, fn := range optFns {
		fn(&s.conf)
	}
	return s, nil
}

// Find returns the data of the session token and whether it exists and has
// not expired. A token that cannot be a DynamoDB key is simply not found.
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx is Find with a context.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	sess, err := s.repo.Get(ctx, token)
	if errors.Is(err, dynamosession.ErrNotFound) && !errors.Is(err, dynamosession.ErrExpired) &&
		!consistency.Resolve(ctx, s.opts.Consistency) {
		// An eventually consistent read can miss a session committed a
		// moment ago (scs's RenewToken at login, then the redirect): confirm
		// with a strong read before "not found" starts an empty session and
		// loses the login. A miss then costs 1.5 read units instead of 0.5.
		sess, err = s.repo.Get(consistency.WithStrongRead(ctx), token)
	}
	if errors.Is(err, dynamosession.ErrNotFound) || errors.Is(err, dynamosession.ErrInvalidID) {
		return nil, false, nil
	}
	var de *dynamosession.DecodeError
	if errors.As(err, &de) && s.conf.Undecodable != FailUndecodable {
		if s.conf.Undecodable == DeleteUndecodable {
			if _, derr := s.repo.DeleteUndecodable(ctx, token); derr != nil {
				return nil, false, fmt.Errorf("scsstore: find: deleting an undecodable record: %w", derr)
			}
		}
		if s.conf.OnUndecodable != nil {
			s.conf.OnUndecodable(err)
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("scsstore: find: %w", err)
	}
	if sess.Data.Deadline <= s.opts.Clock().UnixMilli() {
		return nil, false, nil
	}
	return sess.Data.Data, true, nil
}

// Commit stores b as the session token until expiry, replacing any
// session stored under token.
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx is Commit with a context.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	// The repository stores its TTL's expiry in whole seconds, the
	// fraction dropped; ttl.Sliding rounds up so that nothing is, but a
	// policy of the user's own may not. Compare with the whole second that
	// is stored at the least, so a session never ends before scs's expiry.
	limit := s.opts.TTL.Expiry(s.opts.Clock())
	if stored := time.Unix(limit.Unix(), 0); expiry.After(stored) {
		return fmt.Errorf("%w: expiry %s, the TTL reaches %s", ErrExpiryBeyondTTL,
			expiry.UTC().Format(time.RFC3339Nano), stored.UTC().Format(time.RFC3339))
	}
	if _, err := s.repo.Put(ctx, token, Record{Data: b, Deadline: expiry.UnixMilli()}); err != nil {
		return fmt.Errorf("scsstore: commit: %w", err)
	}
	return nil
}

// Delete removes the session token. Deleting a session that does not
// exist, or a token that cannot be a key, is not an error.
func (s *Store) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx is Delete with a context.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	err := s.repo.Delete(ctx, token)
	if err != nil && !errors.Is(err, dynamosession.ErrInvalidID) {
		return fmt.Errorf("scsstore: delete: %w", err)
	}
	return nil
}
