package httpsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/express"
	"github.com/dynamosession/dynamosession/internal/sessionid"
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

	m *Manager[T]
	w *responseWriter // &writer once the Handler runs; nil before
	// writer is the response writer the Handler wraps, allocated with the
	// State: one allocation per page view fewer.
	writer responseWriter
	sess   *dynamosession.Session[T] // the stored session this request loaded; nil if none

	fresh *dynamosession.Session[T] // the session this request's commit created; nil if none

	regenerate bool     // store Data under a new ID at commit
	doomed     []string // stored IDs to delete at commit

	cookieSeen bool  // the request named a session
	deadCookie bool  // ...that turned out not to exist (and may be cleared)
	resend     bool  // ...whose cookie is to be sent again as it is
	superseded bool  // ...that a regeneration replaced: write nothing, send no cookie
	dropped    error // ...that could not be decoded and was dropped

	reqCtx  context.Context     // the request's context, for the store's calls
	req     *http.Request       // the request as the handler got it, for the ErrorHandler
	rw      http.ResponseWriter // the writer the Manager got, for the ErrorHandler
	closed  bool                // State.Save failed: the Manager writes nothing more
	changed bool                // Save was called: see Options.ExplicitSave

	// What every request needs once, allocated with the State rather
	// than each on its own (five allocations per page view fewer): the
	// load's timeout context, the first store phase's, the handler's
	// request context, and the Vary header's value.
	loadCtx   lazyTimeout
	storeCtx  lazyTimeout
	storeUsed bool // storeCtx was handed out: later phases get their own
	ctx       stateContext[T]
	vary      [1]string
}

// stateContext is the context the handler's request carries: the
// request's own, with the State under ctxKey[T]; what
// context.WithValue(parent, ctxKey[T]{}, st) would make, without an
// allocation of its own. Deadline, Done and Err are the parent's, so
// the context package still finds the request's cancellation through it.
type stateContext[T any] struct {
	context.Context
	st *State[T]
}

func (c *stateContext[T]) Value(key any) any {
	if _, ok := key.(ctxKey[T]); ok {
		return c.st
	}
	return c.Context.Value(key)
}

func (c *stateContext[T]) String() string {
	return fmt.Sprintf("%v.WithValue(httpsession.State[%v])", c.Context, reflect.TypeFor[T]())
}

type ctxKey[T any] struct{}

// Get returns the session of a request that a Manager[T]'s Handler wraps.
// It panics if there is none: that is a wiring mistake (a handler mounted
// outside the middleware, or the wrong T), not a runtime condition. With
// nested Managers of the same T the innermost wins. Code that has only
// the request's context is handed the *State (or the request) by its
// handler.
func Get[T any](r *http.Request) *State[T] {
	st, ok := r.Context().Value(ctxKey[T]{}).(*State[T])
	if !ok {
		panic(fmt.Sprintf("httpsession: Get[%v]: the request has no session; wrap the handler with a Manager[%v]'s Handler", reflect.TypeFor[T](), reflect.TypeFor[T]()))
	}
	return st
}

// ID returns the session ID, or "" when no stored session backs the
// state: the request named none (or a dead one), or the handler destroyed
// or regenerated it and the response has not started yet (the new ID is
// made as it starts).
func (s *State[T]) ID() string {
	switch {
	case s.sess != nil:
		return s.sess.ID
	case s.fresh != nil:
		return s.fresh.ID
	}
	return ""
}

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
// that was stored, a second one that replaces the old record with a
// tombstone; the session is stored even if Data is the zero value.
//
// The old record is not simply deleted: it becomes a tombstone for
// Options.RegenerateGrace ([dynamosession.Repo.Supersede]), so that a
// request the browser sent with the old cookie before it got the new one
// is served without a session instead of logging the user out.
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

// Dropped returns why the session the request's cookie named was dropped
// for the fresh one the handler sees: a *dynamosession.DecodeError when no
// codec could decode the stored record (see [Options.Undecodable]), nil
// otherwise. An app can use it to say "please sign in again".
func (s *State[T]) Dropped() error { return s.dropped }

// varyCookie adds "Vary: Cookie" to h, as h.Add would, with the value
// in the State when h has no Vary yet (h.Add would allocate a slice for
// it). The slice's capacity is 1, so a handler's Add copies it; a
// handler writing into it in place changes only this request's State.
func (s *State[T]) varyCookie(h http.Header) {
	if _, ok := h["Vary"]; ok {
		h.Add("Vary", "Cookie")
		return
	}
	s.vary[0] = "Cookie"
	h["Vary"] = s.vary[:1:1]
}

// unmarked reports whether the Manager may skip saving the stored
// session's Data: ExplicitSave is set and the handler never called Save.
func (s *State[T]) unmarked() bool { return s.m.opts.ExplicitSave && !s.changed }

// Save saves the session now instead of when the response starts, and
// says how it went, for a handler whose answer depends on the write (a
// "201 Created" for an item added to a cart). It does what the Manager
// does as the response starts (creates, saves or touches the session,
// deletes what Destroy and Regenerate dropped, adds the cookie to the
// response's headers) and returns:
//
//   - nil: the session is stored, or there was nothing to store;
//   - an error wrapping [dynamosession.ErrNotFound]: a concurrent logout
//     deleted the session since this request read it, or a regeneration
//     in another request superseded it ([dynamosession.ErrSuperseded]),
//     and the change was dropped (and reported to the Logger). After a
//     logout the cookie is cleared and Data reset, as for a visitor;
//   - an error wrapping [dynamosession.ErrConflict]: a versioned session
//     changed since it was read;
//   - any other error from the store, such as a timeout.
//
// The ErrorHandler is not called: the handler answers. After an error the
// Manager writes nothing more for this request. After a success, changes
// to Data are saved when the handler returns, as changes after the
// response started are, and Regenerate returns ErrResponseStarted. Once
// the response has started, Save saves what changed since and returns
// that outcome. Without Save, a dropped write is only logged, since the
// handler may already have answered.
func (s *State[T]) Save() error {
	if s.closed || s.w == nil || s.w.hijacked {
		return fmt.Errorf("httpsession: save: %w", ErrCommitFailed)
	}
	s.changed = true
	var err error
	if s.w.started {
		err = s.late(true)
	} else {
		s.w.started = true
		var lost error
		if lost, err = s.save(s.w.Header()); err == nil {
			err = lost
		}
	}
	s.closed = err != nil // the handler has the error: write and report nothing more
	return err
}

// storeContext returns the context for one phase of the store's work:
// the request's values without its cancellation (a client that hangs up
// must not cut a regeneration between its create and its delete), bounded
// by Options.Timeout, and in Express mode carrying the session's own
// lifetime.
//
// The timeout's timer is made only when a request to DynamoDB needs it (a
// page view that only reads makes none at commit: Save finds nothing
// changed, the touch is not due), so the clock starts when the work that
// waits does.
//
// The caller defers its cancel. (Returning lt.cancel as a CancelFunc, and
// wrapping the request's context in context.WithoutCancel before the
// timeout is needed, cost every page view three allocations.) The first
// phase's context lives in the State; each later one is a context of its
// own, since the store may still hold an earlier phase's, which must
// stay canceled.
func (s *State[T]) storeContext() *lazyTimeout {
	ctx := s.reqCtx
	if d := s.m.lifetime(&s.Data); d > 0 {
		ctx = dynamosession.WithLifetime(ctx, d)
	}
	lt := &s.storeCtx
	if s.storeUsed {
		lt = new(lazyTimeout)
	}
	s.storeUsed = true
	lt.values, lt.d, lt.detach = ctx, s.m.opts.Timeout, true
	return lt
}

// commit is committer's: it saves the session and adds the cookie to h,
// as the response starts. A write that a concurrent logout or
// regeneration made impossible is not an error here: it was logged, and
// the handler has answered.
func (s *State[T]) commit(h http.Header) error {
	_, err := s.save(h)
	return err
}

// fail is committer's: the commit failed, and the ErrorHandler answers.
func (s *State[T]) fail(err error) { s.m.opts.ErrorHandler(s.rw, s.req, err) }

// lazyTimeout is context.WithTimeout(values, d), or with detach
// context.WithTimeout(context.WithoutCancel(values), d), made on the
// first call that needs the deadline (Deadline, Done, Err); Value needs
// none, except for a key of type *int, which goes to the timeout: the
// context package's own cancelCtxKey is one, through which context.Cause
// and WithCancel's parent lookup find the nearest cancelable context,
// and that must be the timeout's, never the request's. It is safe for
// concurrent use, as contexts must be.
//
// A phase whose store sends no request to DynamoDB (a read the
// repository's cache answers, a commit that finds nothing to write)
// never asks, and so never makes the timer; one that does asks at once,
// so the bound holds from the start of the work that waits.
type lazyTimeout struct {
	values context.Context
	d      time.Duration
	detach bool // drop values' cancellation: see State.storeContext
	once   sync.Once
	ctx    context.Context
	stop   context.CancelFunc
}

// canceled stands in for the timeout of a lazyTimeout canceled before any
// call needed it.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func (c *lazyTimeout) timeout() context.Context {
	c.once.Do(func() {
		parent := c.values
		if c.detach {
			parent = context.WithoutCancel(parent)
		}
		c.ctx, c.stop = context.WithTimeout(parent, c.d)
	})
	return c.ctx
}

func (c *lazyTimeout) Deadline() (time.Time, bool) { return c.timeout().Deadline() }
func (c *lazyTimeout) Done() <-chan struct{}       { return c.timeout().Done() }
func (c *lazyTimeout) Err() error                  { return c.timeout().Err() }

func (c *lazyTimeout) Value(key any) any {
	if _, ok := key.(*int); ok {
		return c.timeout().Value(key)
	}
	return c.values.Value(key)
}

func (c *lazyTimeout) cancel() {
	c.once.Do(func() { c.ctx = canceled })
	if c.stop != nil {
		c.stop()
	}
}

// save saves the session before the response starts and adds the cookie,
// if any, to h. lost reports a change that a concurrent logout or
// regeneration made impossible to store (already logged); err reports a
// failure.
func (s *State[T]) save(h http.Header) (lost, err error) {
	ctx := s.storeContext()
	defer ctx.cancel()
	m := s.m
	var c *http.Cookie
	switch {
	case s.superseded:
		// Sent before the browser got a login's new cookie: any cookie
		// would replace that one.
		if s.drop("the request carries a session ID a regeneration replaced") {
			return errSuperseded, nil
		}
		return nil, nil
	case s.sess != nil:
		moved := false
		if !s.unmarked() { // else only the touch, when it is due
			s.sess.Data = s.Data
			before := s.sess.ExpiresAt
			err := m.repo.Save(ctx, s.sess)
			if errors.Is(err, dynamosession.ErrNotFound) {
				c, lost = s.lost(ctx, err)
				break
			}
			if errors.Is(err, dynamosession.ErrSchemaTooNew) {
				// A newer deploy stored this session (a rolling deploy): this
				// code can serve it but not save it in its older shape.
				m.opts.Logger.WarnContext(ctx, "httpsession: session change dropped: a newer deploy stored this session", "err", err)
				lost = fmt.Errorf("httpsession: session change dropped: %w", err)
				break
			}
			if err != nil {
				return nil, err
			}
			moved = !s.sess.ExpiresAt.Equal(before)
		}
		if !moved {
			var err error
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
			return nil, err
		}
		c = m.cookie(s.fresh.ID, s.fresh.ExpiresAt)
	case s.cookieSeen && (s.deadCookie || len(s.doomed) > 0):
		c = m.expiredCookie()
	}
	// Delete only after creating, so that a failed regeneration leaves the
	// old session in place rather than none. When a new session replaces
	// the old ones, requests still in flight with an old ID must not clear
	// the new cookie: they find a tombstone.
	if err := s.deleteDoomed(ctx, s.fresh != nil); err != nil {
		return nil, err
	}
	if c != nil {
		h.Add("Set-Cookie", c.String())
		keepFromSharedCaches(h)
		s.w.setsCookie = true
	}
	return lost, nil
}

// lost handles a save that found the session gone: deleted by a logout,
// or superseded by a regeneration in another request. The change is
// dropped and reported; after a logout the request carries on as a
// visitor and its cookie is cleared. After a regeneration, or when one
// strongly consistent read cannot tell which happened, no cookie is sent:
// clearing it could log the browser out of its new session.
func (s *State[T]) lost(ctx context.Context, saveErr error) (*http.Cookie, error) {
	id := s.sess.ID
	var zero T
	s.sess, s.Data = nil, zero
	_, err := s.m.repo.Get(consistency.WithStrongRead(ctx), id)
	switch {
	case errors.Is(err, dynamosession.ErrSuperseded):
		s.superseded = true
		s.m.opts.Logger.WarnContext(ctx, "httpsession: session change dropped: a regeneration in another request replaced the session while this one ran", "err", saveErr)
		return nil, errSuperseded
	case errors.Is(err, dynamosession.ErrNotFound):
		s.m.opts.Logger.WarnContext(ctx, "httpsession: session change dropped: the session was deleted (a logout) while this request ran", "err", saveErr)
		return s.m.expiredCookie(), fmt.Errorf("httpsession: session change dropped: %w", saveErr)
	}
	// Not even the read could tell (a timeout): leave the cookie alone.
	s.m.opts.Logger.WarnContext(ctx, "httpsession: session change dropped: the session is gone", "err", saveErr, "check", err)
	return nil, fmt.Errorf("httpsession: session change dropped: %w", saveErr)
}

// errSuperseded is what State.Save returns for a change dropped because
// the request's session ID was superseded.
var errSuperseded = fmt.Errorf("httpsession: session change dropped: %w", dynamosession.ErrSuperseded)

// drop gives up what the handler changed in a session the Manager will
// not write (superseded, hijacked): it reports whether there was such a
// change, reports it to the Logger, and forgets it, so that later changes
// are reported on their own.
func (s *State[T]) drop(why string) bool {
	if !s.pending() {
		return false
	}
	s.m.opts.Logger.WarnContext(s.reqCtx, "httpsession: session change dropped: "+why)
	s.regenerate, s.doomed = false, nil
	if s.sess != nil {
		s.sess.Data = s.Data
	}
	if s.fresh != nil {
		s.fresh.Data = s.Data
	}
	if s.sess == nil && s.fresh == nil {
		var zero T
		s.Data = zero
	}
	return true
}

// pending reports whether the handler changed something that a commit
// would write. For a stored session it compares Data with what was read
// (reflect.DeepEqual): a change made in place inside a slice or map that
// Data shares with the value read cannot be seen.
func (s *State[T]) pending() bool {
	switch {
	case s.regenerate || len(s.doomed) > 0:
		return true
	case s.sess != nil:
		return !reflect.DeepEqual(s.sess.Data, s.Data)
	case s.fresh != nil:
		return !reflect.DeepEqual(s.fresh.Data, s.Data)
	}
	return !isEmpty(s.Data)
}

// commitLate saves what the handler changed after the response started:
// Data of a stored session (no request if unchanged) and deletions. A new
// session cannot be created any more: its cookie would have to follow the
// body.
func (s *State[T]) commitLate() error { return s.late(false) }

// late is commitLate; explicit tells whether the handler asked (State.Save),
// which then wants a dropped change as an error.
func (s *State[T]) late(explicit bool) error {
	if s.superseded {
		if s.drop("the request carries a session ID a regeneration replaced") {
			return errSuperseded
		}
		return nil
	}
	if len(s.doomed) == 0 && (s.sess != nil || s.fresh != nil) && s.unmarked() {
		return nil // nothing to write: spare the page view a context and its timer
	}
	ctx := s.storeContext()
	defer ctx.cancel()
	if err := s.deleteDoomed(ctx, false); err != nil {
		return err
	}
	var saved *dynamosession.Session[T]
	switch {
	case (s.sess != nil || s.fresh != nil) && s.unmarked():
		return nil // ExplicitSave: only the first Data of a new session is stored without Save
	case s.sess != nil:
		saved = s.sess
	case s.fresh != nil:
		saved = s.fresh // Save compares with what Create stored: no request if unchanged
	case s.regenerate || !isEmpty(s.Data):
		return fmt.Errorf("%w: session data set after the response started; a new session needs its cookie in the headers", ErrResponseStarted)
	default:
		return nil
	}
	saved.Data = s.Data
	err := s.m.repo.Save(ctx, saved)
	if errors.Is(err, dynamosession.ErrNotFound) {
		if s.sess == nil {
			s.sess = saved // lost reads the ID from sess
		}
		_, lost := s.lost(ctx, err)
		s.fresh = nil
		if explicit {
			return lost
		}
		return nil
	}
	return err
}

func (s *State[T]) create(ctx context.Context) error {
	id := sessionid.New()
	if s.m.express {
		s.setExpressCookie()
		// The cookie object may have just got its lifetime.
		ctx = dynamosession.WithLifetime(ctx, s.m.lifetime(&s.Data))
	}
	fresh, err := s.m.repo.Put(ctx, id, s.Data)
	if err != nil {
		return err
	}
	s.fresh, s.regenerate = fresh, false
	return nil
}

// deleteDoomed deletes the stored sessions Destroy and Regenerate dropped;
// when supersede is set (a new session, with its new cookie, replaces
// them: a Regenerate, or a Destroy followed by new Data) it leaves
// tombstones for Options.RegenerateGrace instead.
func (s *State[T]) deleteDoomed(ctx context.Context, supersede bool) error {
	for len(s.doomed) > 0 {
		// Unconditional even in a versioned repository: a logout must win
		// over whatever another request saved meanwhile.
		var err error
		if supersede {
			err = s.m.repo.Supersede(ctx, s.doomed[0], s.m.opts.RegenerateGrace)
		} else {
			err = s.m.repo.Delete(ctx, s.doomed[0])
		}
		if err != nil {
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
	c := &express.Cookie{
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
	// A lifetime the handler chose ("remember me") stays; otherwise the
	// cookie's.
	es := m.expressSession(&s.Data)
	if old := es.Cookie; old != nil && old.OriginalMaxAge != nil {
		c.OriginalMaxAge = old.OriginalMaxAge
	} else if age := m.maxAge(); age > 0 {
		ms := age.Milliseconds()
		c.OriginalMaxAge = &ms
	}
	if d := cookieLifetime(c); d > 0 {
		exp := m.now().Add(d).UTC().Truncate(time.Millisecond)
		c.Expires = &exp
	}
	es.Cookie = c
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
