package httpsession

// "Sign out other devices" for handlers (issue 16): the request's session
// knows its owner and its own ID, which is all Repo.ListOwner and
// Repo.RevokeOwner need, so a handler need not carry either around.

import (
	"fmt"

	"github.com/dynamosession/dynamosession"
)

// OwnerSessions returns the live sessions of the user who owns the
// request's session, most recently written first, with this one marked
// Current: the list for an "your devices" page. It is
// [dynamosession.Repo.ListOwner] with the session's stored owner
// ([dynamosession.Session.Owner]) and ID; entries carry redacted IDs only,
// never another device's usable ID.
//
// Cost: one Query of the owner index per 1,000 sessions (0.5 read unit
// per started 4 KB of keys, about 80 of them), then the sessions' items,
// 0.5 read unit per started 4 KB of each, 100 to a BatchGetItem. A user
// with 3 devices costs 2 requests and 2 read units (0.5 for the Query,
// 1.5 for the items). The index is eventually consistent: a session
// created a moment ago may be missing.
//
// The owner is the one stored, as the index knows it: a handler that
// changed the user in Data in this request has not changed it yet. A
// request whose session has none gets an error wrapping
// [dynamosession.ErrInvalidOwner], as ListOwner gives for an empty owner,
// and nothing is sent (see [State.RevokeOthers] for when that is). The
// calls keep the request's values but not its cancellation, and are
// bounded by Options.Timeout, as the Manager's own work is. The table
// needs the owner index (see dynamosession.Options.OwnerIndex); a client
// without Query gives an error wrapping errors.ErrUnsupported.
func (s *State[T]) OwnerSessions() ([]dynamosession.OwnedSession, error) {
	sess, err := s.owned("list the owner's sessions")
	if err != nil {
		return nil, err
	}
	ctx := s.storeContext()
	defer ctx.cancel()
	return s.m.repo.ListOwner(ctx, sess.Owner(), sess.ID)
}

// RevokeOthers ends every other session of the user who owns the
// request's session, keeping this one: "sign out other devices", after a
// password change or a lost phone. It is [dynamosession.Repo.RevokeOwner]
// with the session's stored owner and ID; the others' next requests find
// no session (their cookies are then cleared), while this request and
// the ones after it go on signed in. It reports how many sessions it
// ended.
//
// Cost: one Query of the owner index per 1,000 sessions (0.5 read unit
// per started 4 KB of keys), and one conditional DeleteItem per other
// session, 8 in flight: 1 write unit per started KB of the session, plus
// 1 for its index entry. With dynamosession.Options.RevocationCheck, one
// more write (1 unit) for the owner's revocation marker. Signing out 2
// other devices of small sessions costs 0.5 read unit and 4 write units.
//
// The owner index is eventually consistent: without RevocationCheck, a
// device that signed in less than about a second ago may be missed (call
// again, or set RevocationCheck; see RevokeOwner). RevokeOthers is
// idempotent: after an error (a timeout, throttling) the sessions it
// ended stay ended, and calling it again finishes the job.
//
// To keep a session with a new ID (a password change should also rotate
// the current ID), call [State.Regenerate] and then [State.Save] before
// RevokeOthers: it keeps the session as stored, and a regenerated one is
// stored only then.
//
// A request whose session has no stored owner gets an error wrapping
// [dynamosession.ErrInvalidOwner], as RevokeOwner gives for an empty
// owner, and nothing is sent: a visitor; a session destroyed, or
// regenerated and not yet saved, in this request; a session stored
// without an owner (signed out, or before the user signed in); or a
// repository without dynamosession.Options.Owner.
//
// The calls keep the request's values but not its cancellation (a user
// who closes the tab after clicking still gets the other devices signed
// out) and are bounded by Options.Timeout: a user with more sessions than
// one Timeout can delete (about 8 per round trip) gets an error and a
// count, and calls it again.
func (s *State[T]) RevokeOthers() (dynamosession.Revocation, error) {
	sess, err := s.owned("revoke the owner's other sessions")
	if err != nil {
		return dynamosession.Revocation{}, err
	}
	ctx := s.storeContext()
	defer ctx.cancel()
	return s.m.repo.RevokeOwner(ctx, sess.Owner(), sess.ID)
}

// owned returns the stored session the request stands for, the one it
// loaded or the one it created (after State.Save), if it has an owner.
func (s *State[T]) owned(op string) (*dynamosession.Session[T], error) {
	sess := s.sess
	if sess == nil {
		sess = s.fresh
	}
	switch {
	case sess == nil:
		return nil, fmt.Errorf("httpsession: %s: %w: the request has no stored session "+
			"(a visitor, or a session destroyed or regenerated in this request; State.Save stores a regenerated one)", op, dynamosession.ErrInvalidOwner)
	case sess.Owner() == "":
		return nil, fmt.Errorf("httpsession: %s: %w: the stored session has none "+
			"(not signed in, or the repository has no dynamosession.Options.Owner)", op, dynamosession.ErrInvalidOwner)
	}
	return sess, nil
}
