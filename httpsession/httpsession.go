// Package httpsession is net/http middleware that keeps typed sessions in
// DynamoDB through a [dynamosession.Repo]: one line of middleware, typed
// access in handlers, secure cookies, and the store doing the cheap thing.
//
//	sessions, err := httpsession.New(repo) // repo is a *dynamosession.Repo[Session]
//	http.ListenAndServe(":3001", sessions.Handler(mux))
//
//	func login(w http.ResponseWriter, r *http.Request) {
//		s := httpsession.Get[Session](r)
//		s.Regenerate()          // a new ID for the new privilege
//		s.Data.User = "ada"     // saved when the response starts
//		http.Redirect(w, r, "/", http.StatusSeeOther)
//	}
//
// # What a request costs
//
// A request without a session cookie costs nothing, and so does one whose
// handler leaves the session's Data at its zero value: a session is created
// (one PutItem) only when a handler stores something in it. A request with
// a cookie costs one GetItem. When the response starts, the session is
// saved through [dynamosession.Repo.Save], which sends no request when Data
// did not change; otherwise [dynamosession.Repo.Touch] extends the expiry
// when the repository's touch policy says it is due (by default at most
// once an hour). So a page view that only reads the session is one read.
// A touch that fails does not fail the page: it goes to [Options.Logger],
// and the next request, for which the touch is still due, tries again.
//
// # Cookies
//
// Cookies are HttpOnly, Secure and SameSite=Lax by default, and path "/".
// Browsers treat http://localhost as a secure context and keep Secure
// cookies there, so the defaults work in local development;
// [Options.InsecureCookie] exists only for plain HTTP on other hosts. The
// cookie is sent when a session is created or its ID changes, and again
// whenever the stored expiry moves (a save that wrote, a touch that wrote),
// with Max-Age set to the time the stored session has left, so cookie and
// record expire together; a response that writes nothing sends no cookie.
// Session IDs are 256 random bits from crypto/rand, base64url-encoded
// ([NewID]).
//
// A cookie naming a session that is unknown, expired, malformed or
// tampered with starts a fresh session: never an error page. With an
// eventually consistent repository a miss is confirmed by one strongly
// consistent read first, so the request right after a login can never
// mistake a session too new for the replica it read for a dead one; a
// confirmed dead cookie is then cleared, so it costs reads only once.
// DynamoDB errors and records that cannot be decoded go to
// [Options.ErrorHandler].
//
// # Express interop
//
// With [Options.ExpressSecrets] the cookie is express-session's signed
// cookie (named connect.sid by default), so a Go service and an Express app
// using connect-dynamodb can share sessions in one table during a
// migration: configure the repository with Prefix "sess:" and codec.JSON,
// and embed [ExpressSession] in the session type. See [ExpressSign].
//
// # Concurrent requests on one session
//
// Each request works on its own copy of the session, read when the request
// starts and saved when its response starts. Without
// [dynamosession.Options.Versioned] two requests that change one session
// concurrently both save, and the later save wins whole (as with
// express-session): use it for sessions that change rarely, as most do.
// With Versioned the later save fails with [dynamosession.ErrConflict]
// instead of erasing the earlier one; the Manager does not retry, because
// it cannot replay a handler's other effects, and hands the error to the
// ErrorHandler before the response starts (the default answers 409
// Conflict, which a client may retry). A touch only ever writes the expiry
// and never overwrites a concurrent save, and a logout (Destroy) wins over
// a concurrent save: the save finds the session gone and the cookie is
// cleared, without an error.
//
// With consistency.Eventual (the repository's default) the request right
// after a change may also read the session's previous version, typically
// for under a second; a save of that stale copy would, without Versioned,
// undo the change. Sessions that change on one request and are changed
// again on the next (a cart filled by redirecting POSTs) want Versioned, or
// consistency.Strong reads at twice the price.
package httpsession

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/consistency"
)

// Options configures a [Manager]. Every zero field means its documented
// default.
type Options struct {
	// CookieName names the session cookie. Default "sid", or
	// "connect.sid" (express-session's default) when ExpressSecrets is set.
	CookieName string

	// CookiePath is the cookie's Path attribute. Default "/".
	CookiePath string

	// CookieDomain is the cookie's Domain attribute. Default none: a
	// host-only cookie, which subdomains do not receive.
	CookieDomain string

	// MaxAge decides the cookie's lifetime. Default 0: the cookie expires
	// with the stored session (the repository's TTL after each write,
	// refreshed whenever the stored expiry moves). A negative MaxAge makes
	// a browser-session cookie, without Max-Age or Expires. A positive one
	// is used as is each time the cookie is sent; it must be at least a
	// second, the unit of Max-Age.
	MaxAge time.Duration

	// SameSite is the cookie's SameSite attribute. Default
	// http.SameSiteLaxMode: sent on top-level navigations from other sites
	// (links into the app keep the user logged in) but not on their
	// cross-site POSTs, which blunts CSRF. http.SameSiteDefaultMode leaves
	// the attribute out. http.SameSiteNoneMode needs a Secure cookie.
	SameSite http.SameSite

	// InsecureCookie leaves out the Secure attribute, so the cookie also
	// travels over plain HTTP. Default false. Only for development on a
	// plain-HTTP host other than localhost: browsers keep Secure cookies on
	// http://localhost.
	InsecureCookie bool

	// ExpressSecrets, when not empty, makes the cookie express-session's
	// signed cookie: "s:" + ID + "." + HMAC-SHA256 signature, URL-encoded.
	// The first secret signs; every secret verifies, so a secret is
	// rotated by putting the new one first; a cookie verified by an older
	// secret is re-sent signed with the first. The session type must embed
	// [ExpressSession] (express-session cannot load a session without its
	// cookie object). Default none: the cookie holds the bare ID.
	ExpressSecrets []string

	// ErrorHandler answers a request whose session could not be loaded or
	// saved: DynamoDB errors, undecodable records, conflicts of a versioned
	// repository. Nothing of the handler's response has been sent, except
	// when err wraps ErrResponseStarted: then it can only log. Default
	// [DefaultErrorHandler].
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Logger receives the problems that do not fail a request: a touch
	// that failed (the session is intact and the next request tries
	// again, so the page is served). Default slog.Default().
	Logger *slog.Logger
}

// Manager loads and saves the sessions of the requests its [Manager.Handler]
// wraps. Create it with [New]. A Manager is safe for concurrent use.
type Manager[T any] struct {
	repo    *dynamosession.Repo[T]
	opts    Options
	now     func() time.Time
	express bool
}

// New returns a Manager that keeps the sessions of type T in repo,
// configured by optFns applied in order to the default [Options]. It
// returns an error wrapping [ErrInvalidOptions] for a bad configuration.
func New[T any](repo *dynamosession.Repo[T], optFns ...func(*Options)) (*Manager[T], error) {
	if repo == nil {
		return nil, fmt.Errorf("%w: nil repository", ErrInvalidOptions)
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	m := &Manager[T]{repo: repo, now: repo.Options().Clock, express: len(o.ExpressSecrets) > 0}
	if o.CookieName == "" {
		o.CookieName = "sid"
		if m.express {
			o.CookieName = "connect.sid"
		}
	}
	if o.CookiePath == "" {
		o.CookiePath = "/"
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteLaxMode
	}
	if o.ErrorHandler == nil {
		o.ErrorHandler = DefaultErrorHandler
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.ExpressSecrets = append([]string(nil), o.ExpressSecrets...) // the caller's slice may change
	m.opts = o
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manager[T]) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	o := m.opts
	if o.CookiePath[0] != '/' {
		return bad("CookiePath %q must start with /", o.CookiePath)
	}
	probe := &http.Cookie{Name: o.CookieName, Value: "x", Path: o.CookiePath, Domain: o.CookieDomain}
	if err := probe.Valid(); err != nil {
		return bad("%v", err)
	}
	if o.MaxAge > 0 && o.MaxAge < time.Second {
		return bad("MaxAge %v is under a second, the unit of Max-Age", o.MaxAge)
	}
	switch o.SameSite {
	case http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if o.InsecureCookie {
			return bad("SameSite=None needs a Secure cookie; browsers reject it with InsecureCookie")
		}
	default:
		return bad("unknown SameSite mode %d", o.SameSite)
	}
	for i, s := range o.ExpressSecrets {
		if s == "" {
			return bad("ExpressSecrets[%d] is empty", i)
		}
	}
	if m.express {
		if _, ok := any(new(T)).(expressCookieSetter); !ok {
			return bad("ExpressSecrets: %v must embed httpsession.ExpressSession, or express-session cannot load the sessions Go creates", reflect.TypeFor[T]())
		}
	}
	return nil
}

// Options returns the manager's effective options, defaults filled in.
func (m *Manager[T]) Options() Options {
	o := m.opts
	o.ExpressSecrets = append([]string(nil), o.ExpressSecrets...)
	return o
}

// Repo returns the repository the manager keeps sessions in.
func (m *Manager[T]) Repo() *dynamosession.Repo[T] { return m.repo }

// Get returns the session of a request that m's Handler wraps; it is
// Get[T](r).
func (m *Manager[T]) Get(r *http.Request) *State[T] { return Get[T](r) }

// Handler returns middleware that loads the request's session before next
// runs and saves it as the response starts: on next's first WriteHeader,
// Write or Flush, or when next returns without writing. A session is saved
// only if next returns or starts the response: a panic saves nothing.
//
// If the session cannot be loaded next does not run, and if it cannot be
// saved next's response is replaced; in both cases Options.ErrorHandler
// answers instead.
func (m *Manager[T]) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The response depends on the cookie: shared caches must not mix
		// up users.
		w.Header().Add("Vary", "Cookie")
		st, err := m.load(r)
		if err != nil {
			m.opts.ErrorHandler(w, r, err)
			return
		}
		// Saving must not be cut short by a client that hangs up: a
		// regeneration that created the new record but not yet deleted the
		// old one would leave both behind.
		ctx := context.WithoutCancel(r.Context())
		sw := &responseWriter{
			ResponseWriter: w,
			commit:         func() error { return st.commit(ctx, w.Header()) },
			fail:           func(err error) { m.opts.ErrorHandler(w, r, err) },
		}
		st.w = sw
		r = r.WithContext(context.WithValue(r.Context(), ctxKey[T]{}, st))
		next.ServeHTTP(sw, r)
		if !sw.started {
			sw.start() // next wrote nothing: commit now; the server sends 200
			return
		}
		if sw.failed {
			return
		}
		if err := st.commitLate(ctx); err != nil {
			if !errors.Is(err, ErrResponseStarted) {
				err = fmt.Errorf("%w: %w", ErrResponseStarted, err)
			}
			m.opts.ErrorHandler(w, r, err)
		}
	})
}

// load reads the session named by the request's cookie. A missing, bad or
// dead cookie gives a new, empty session; only DynamoDB and decoding
// errors are errors.
func (m *Manager[T]) load(r *http.Request) (*State[T], error) {
	st := &State[T]{m: m}
	id, stale, ok := m.readCookie(r)
	if !ok {
		return st, nil
	}
	st.cookieSeen = true
	ctx := r.Context()
	s, err := m.repo.Get(ctx, id)
	if errors.Is(err, dynamosession.ErrNotFound) && !errors.Is(err, dynamosession.ErrExpired) &&
		!consistency.Resolve(ctx, m.repo.Options().Consistency) {
		// An eventually consistent read can miss a session written a
		// moment ago (the request right after a login): ask the leader
		// before treating the cookie as dead.
		s, err = m.repo.Get(consistency.WithStrongRead(ctx), id)
	}
	switch {
	case err == nil:
		st.sess, st.Data, st.resend = s, s.Data, stale
	case errors.Is(err, dynamosession.ErrNotFound), errors.Is(err, dynamosession.ErrInvalidID):
		st.deadCookie = true
	default:
		return nil, err
	}
	return st, nil
}
