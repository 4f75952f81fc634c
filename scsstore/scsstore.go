// Package scsstore keeps the sessions of github.com/alexedwards/scs/v2 in
// DynamoDB through a dynamosession repository.
//
// A [*Store] satisfies scs's Store and CtxStore interfaces by its method
// set alone: this package does not import scs, so depending on
// dynamosession does not pull scs in. Use it as any scs store:
//
//	repo, err := dynamosession.New[scsstore.Record](client, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
//		o.Codec = codec.Msgpack[scsstore.Record]() // scs's bytes as a binary attribute
//	})
//	store, err := scsstore.New(repo)
//	sessionManager := scs.New()
//	sessionManager.Store = store
//
// # Expiry
//
// scs decides each session's expiry and passes it to Commit. The store
// keeps that exact expiry in the record beside scs's bytes ([Record]) and
// Find enforces it to the millisecond, and it gives the record the same
// expiry, rounded up to the whole second DynamoDB's TTL attribute holds
// (through [dynamosession.WithLifetime]), so that DynamoDB deletes the
// item when scs's session ends and never before. The repository's TTL
// policy therefore plays no part, whatever scs's Lifetime and IdleTimeout.
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
	"github.com/dynamosession/dynamosession/internal/readconsistency"
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
	// [dynamosession.KeepUndecodable]: Find reports no session, so scs
	// starts a fresh one under a new token, and the record stays for
	// inspection until DynamoDB's TTL deletes it.
	// [dynamosession.DeleteUndecodable] also deletes it, on condition that
	// it is still exactly that record. [dynamosession.FailUndecodable]
	// returns the error, which scs turns into a failed request for as long
	// as the cookie lives. (scs decodes its own gob inside the record; a
	// failure there is scs's, not this store's.) A record a newer deploy
	// wrote under a higher schema version (the *DecodeError wraps
	// dynamosession.ErrSchemaTooNew) is never deleted, but scs has no way
	// to leave its cookie alone: during a rolling deploy such a user gets
	// a fresh session from the older processes. Deploy readers first.
	Undecodable dynamosession.UndecodablePolicy

	// OnUndecodable, if set, receives the *dynamosession.DecodeError of
	// every record Find drops under KeepUndecodable or DeleteUndecodable,
	// for a log or a metric. The store itself logs nothing.
	OnUndecodable func(error)
}

// New returns a Store keeping sessions in repo, configured by optFns
// applied in order to the default [Options]. It returns an error wrapping
// [dynamosession.ErrInvalidOptions] for a repository it cannot use (nil,
// or versioned: a versioned repository refuses to replace a live session,
// and replacing is what scs's Commit does) and for an unknown Undecodable
// policy.
func New(repo *dynamosession.Repo[Record], optFns ...func(*Options)) (*Store, error) {
	if repo == nil {
		return nil, fmt.Errorf("%w: scsstore: nil repository", dynamosession.ErrInvalidOptions)
	}
	o := repo.Options()
	if o.Versioned {
		return nil, fmt.Errorf("%w: scsstore: the repository is versioned; scs commits by replacing sessions", dynamosession.ErrInvalidOptions)
	}
	s := &Store{repo: repo, opts: o}
	for _, fn := range optFns {
		fn(&s.conf)
	}
	switch s.conf.Undecodable {
	case dynamosession.KeepUndecodable, dynamosession.DeleteUndecodable, dynamosession.FailUndecodable:
	default:
		return nil, fmt.Errorf("%w: scsstore: unknown Undecodable policy %d", dynamosession.ErrInvalidOptions, s.conf.Undecodable)
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
		!readconsistency.Strong(ctx, s.opts.Consistency) {
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
	if errors.As(err, &de) && s.conf.Undecodable != dynamosession.FailUndecodable {
		if s.conf.Undecodable == dynamosession.DeleteUndecodable {
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
	// The record lives as long as scs means the session to: its expiry
	// attribute is scs's expiry rounded up to the second (ttl.Sliding), not
	// the repository's TTL. An expiry already past (scs never commits one)
	// leaves the TTL in charge; Find reports the session gone by Deadline.
	ctx = dynamosession.WithLifetime(ctx, expiry.Sub(s.opts.Clock()))
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
