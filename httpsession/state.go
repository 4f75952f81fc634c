package httpsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/dynamosession/dynamosession"
)

// State is one request's view of its session. Handlers read and change
// Data; the [Manager] saves it when the response starts. A State belongs
// to its request: use it from the handler's goroutine only, or synchronise.
type State[T any] struct {
	// Data is the session's contents: the stored value for a known
	// session, the zero value for a new one. Change it in place or replace
	// it. A new session is stored only once Data is not the zero value
	// (for maps and slices: not empty).
	Data T

	m    *Manager[T]
	w    *responseWriter
	sess *dynamosession.Session[T] // the stored session this request loaded; nil if none

	fresh *dynamosession.Session[T] // the session this request's commit created; nil if none

	regenerate bool     // store Data under a new ID at commit
	doomed     []string // stored IDs to delete at commit

	cookieSeen bool // the request named a session
	deadCookie bool // ...that turned out not to exist
	resend     bool // ...signed with an older express secret
}

type ctxKey[T any] struct{}

// Get returns the session of a request that a Manager[T]'s Handler wraps.
// It panics if there is none: that is a wiring mistake (a handler mounted
// outside the middleware, or the wrong T), not a runtime condition. With
// nested Managers of the same T the innermost wins.
func Get[T any](r *http.Request) *State[T] {
	st, ok := FromContext[T](r.Context())
	if !ok {
		panic(fmt.Sprintf("httpsession: Get[%v]: the request has no session; wrap the handler with a Manager[%v]'s Handler", reflect.TypeFor[T](), reflect.TypeFor[T]()))
	}
	return st
}

// FromContext returns the session a Manager[T]'s Handler put into ctx, and
// whether there is one.
func FromContext[T any](ctx context.Context) (*State[T], bool) {
	st, ok := ctx.Value(ctxKey[T]{}).(*State[T])
	return st, ok
}

// ID returns the session ID, or "" for a session not stored yet. After a
// Regenerate it is "" until the response starts and the new ID is made.
func (s *State[T]) ID() string {
	switch {
	case s.sess != nil:
		return s.sess.ID
	case s.fresh != nil:
		return s.fresh.ID
	}
	return ""
}

// IsNew reports whether no stored session backs the state: the request
// named none (or a dead one), or the handler destroyed or regenerated it
// and the response has not started yet.
func (s *State[T]) IsNew() bool { return s.sess == nil && s.fresh == nil }

// ExpiresAt returns the stored session's expiry, zero for a new session.
func (s *State[T]) ExpiresAt() time.Time {
	switch {
	case s.sess != nil:
		return s.sess.ExpiresAt
	case s.fresh != nil:
		return s.fresh.ExpiresAt
	}
	return time.Time{}
}

// Regenerate gives the session a new ID when the response starts, keeping
// its Data, and deletes the record under the old one. Call it when
// privilege changes (login, logout of an impersonation, a role change),
// so that an ID an attacker planted or saw before cannot ride on the new
// privilege (session fixation). It costs one PutItem and, for a session
// that was stored, one DeleteItem; the session is stored even if Data is
// the zero value.
//
// The new ID needs a new cookie, so once the response has started
// Regenerate does nothing and returns an error wrapping
// [ErrResponseStarted].
func (s *State[T]) Regenerate() error {
	if s.w != nil && s.w.started {
		return fmt.Errorf("%w: Regenerate needs a new cookie", ErrResponseStarted)
	}
	s.dropStored()
	s.regenerate = true
	return nil
}

// Destroy deletes the stored session when the response starts (or when the
// handler returns, if it already has), clears the cookie, and resets Data
// to the zero value: logout. If the handler then sets Data again, a new
// session with a new ID is created, as for a first visit.
func (s *State[T]) Destroy() {
	s.dropStored()
	s.regenerate = false
	var zero T
	s.Data = zero
}

func (s *State[T]) dropStored() {
	switch {
	case s.sess != nil:
		s.doomed = append(s.doomed, s.sess.ID)
		s.sess = nil
	case s.fresh != nil:
		s.doomed = append(s.doomed, s.fresh.ID)
		s.fresh = nil
	}
}

// commit saves the session and adds the cookie to h, before the response
// starts.
func (s *State[T]) commit(ctx context.Context, h http.Header) error {
	m := s.m
	var c *http.Cookie
	switch {
	case s.sess != nil:
		s.sess.Data = s.Data
		before := s.sess.ExpiresAt
		err := m.repo.Save(ctx, s.sess)
		if errors.Is(err, dynamosession.ErrNotFound) {
			// Deleted since this request read it: a logout in another tab.
			// The logout wins; saving would resurrect the session. The
			// request carries on as a visitor without a session.
			var zero T
			s.sess, s.Data = nil, zero
			c = m.expiredCookie()
			break
		}
		if err != nil {
			return err
		}
		moved := !s.sess.ExpiresAt.Equal(before)
		if !moved {
			if moved, err = m.repo.Touch(ctx, s.sess); err != nil {
				// Only the expiry's extension failed: serve the page, and
				// let the next request, for which the touch is still due,
				// try again.
				m.opts.Logger.WarnContext(ctx, "httpsession: touch failed", "err", err)
				moved = false
			}
		}
		if moved || s.resend {
			c = m.cookie(s.sess.ID, s.sess.ExpiresAt)
		}
	case s.regenerate || !isEmpty(s.Data):
		if err := s.create(ctx); err != nil {
			return err
		}
		c = m.cookie(s.fresh.ID, s.fresh.ExpiresAt)
	case s.cookieSeen && (s.deadCookie || len(s.doomed) > 0):
		c = m.expiredCookie()
	}
	// Delete only after creating, so that a failed regeneration leaves the
	// old session in place rather than none.
	if err := s.deleteDoomed(ctx); err != nil {
		return err
	}
	if c != nil {
		h.Add("Set-Cookie", c.String())
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", `no-cache="Set-Cookie"`)
		}
	}
	return nil
}

// commitLate saves what the handler changed after the response started:
// Data of a stored session (no request if unchanged) and deletions. A new
// session cannot be created any more: its cookie would have to follow the
// body.
func (s *State[T]) commitLate(ctx context.Context) error {
	if err := s.deleteDoomed(ctx); err != nil {
		return err
	}
	switch {
	case s.sess != nil:
		s.sess.Data = s.Data
		if err := s.m.repo.Save(ctx, s.sess); err != nil && !errors.Is(err, dynamosession.ErrNotFound) {
			return err
		}
	case s.fresh != nil:
		// Save compares with what Create stored: no request if unchanged.
		s.fresh.Data = s.Data
		if err := s.m.repo.Save(ctx, s.fresh); err != nil && !errors.Is(err, dynamosession.ErrNotFound) {
			return err
		}
	case s.regenerate || !isEmpty(s.Data):
		return fmt.Errorf("%w: session data set after the response started; a new session needs its cookie in the headers", ErrResponseStarted)
	}
	return nil
}

func (s *State[T]) create(ctx context.Context) error {
	id := NewID()
	if s.m.express {
		s.setExpressCookie()
	}
	fresh, err := s.m.repo.Create(ctx, id, s.Data)
	if err != nil {
		return err
	}
	s.fresh, s.regenerate = fresh, false
	return nil
}

func (s *State[T]) deleteDoomed(ctx context.Context) error {
	for len(s.doomed) > 0 {
		// Unconditional even in a versioned repository: a logout must win
		// over whatever another request saved meanwhile.
		if err := s.m.repo.Delete(ctx, s.doomed[0]); err != nil {
			return err
		}
		s.doomed = s.doomed[1:]
	}
	return nil
}

// setExpressCookie stores express-session's cookie object in a session
// this manager creates, as express-session would have: Express reads it
// on every load.
func (s *State[T]) setExpressCookie() {
	m := s.m
	c := &ExpressCookie{
		Secure:   !m.opts.InsecureCookie,
		HTTPOnly: true,
		Domain:   m.opts.CookieDomain,
		Path:     m.opts.CookiePath,
	}
	switch m.opts.SameSite {
	case http.SameSiteLaxMode:
		c.SameSite = "lax"
	case http.SameSiteStrictMode:
		c.SameSite = "strict"
	case http.SameSiteNoneMode:
		c.SameSite = "none"
	}
	if age := m.maxAge(); age > 0 {
		ms := age.Milliseconds()
		exp := m.now().Add(age).UTC().Truncate(time.Millisecond)
		c.OriginalMaxAge, c.Expires = &ms, &exp
	}
	any(&s.Data).(expressCookieSetter).setExpressCookie(c)
}

// isEmpty reports whether v is nothing worth storing: the zero value, or an
// empty map or slice.
func isEmpty(v any) bool {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.IsZero() {
		return true
	}
	switch rv.Kind() {
	case reflect.Map, reflect.Slice:
		return rv.Len() == 0
	}
	return false
}
