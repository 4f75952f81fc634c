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
// A regeneration (a login) is two PutItems: the new session, and the
// tombstone that replaces the old one; a logout is one DeleteItem.
//
// # Time bounds
//
// Every read and write the middleware makes finishes or fails within
// [Options.Timeout] (5 seconds by default) per phase: the load before the
// handler, the save as the response starts, and a save after the handler
// returned. A phase that runs out reaches the ErrorHandler as an error
// wrapping context.DeadlineExceeded (a failed touch only reaches the
// Logger); the AWS SDK has no timeout of its own. A client that hangs up
// does not cut a save short: the save keeps the request's context values
// but not its cancellation, and only the Timeout bounds it.
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
// (43 characters).
//
// Every response carries "Vary: Cookie", and every response that sets or
// clears the session cookie carries a Cache-Control that keeps shared
// caches from storing it, whatever the handler set: "public" and
// "s-maxage" are removed, and "private" and no-cache="Set-Cookie" added
// (a response marked "no-store" is left as it is). Otherwise a CDN could
// hand one user's session cookie to the next.
//
// A cookie naming a session that is unknown, expired, malformed or
// tampered with starts a fresh session: never an error page. With an
// eventually consistent repository a miss is confirmed by one strongly
// consistent read first, so the request right after a login can never
// mistake a session too new for the replica it read for a dead one; a
// confirmed dead cookie is then cleared, so it costs reads only once.
// A browser holding two cookies of the session's name (an older Path or
// Domain setting) sends both: each is looked up in turn (at most three per
// request) and the first live one wins, and is re-sent under the
// configured Path and Domain. A dead one is cleared only when every cookie
// of the name was found dead, because clearing uses the configured Path
// and Domain, which may be the live cookie's. DynamoDB errors go to
// [Options.ErrorHandler].
//
// The ResponseWriter a handler gets implements http.Flusher and
// http.Hijacker exactly when the writer below does (directly or through
// Unwrap, as http.ResponseController finds them), so type assertions
// answer as they would without the middleware. Once a handler hijacks the
// connection (a WebSocket upgrade) the middleware writes nothing more,
// since no cookie can reach the browser: save what must be saved before
// hijacking, with [State.Save]; a change left unsaved is reported to the
// Logger.
//
// # Logging in while other requests are in flight
//
// Regenerate replaces the old record with a tombstone that lives for
// [Options.RegenerateGrace] (30 seconds by default; see
// [dynamosession.Repo.Supersede]). A request the browser sent with the old
// cookie before the login's response arrived (a poll, a prefetch, a second
// tab) finds the tombstone and is served as a request without a session
// that sends no Set-Cookie at all: clearing the old cookie, or creating a
// session for it, would replace the new cookie in the browser and log the
// user out. What such a request changes is written nowhere and reported
// to the Logger; a request that had loaded the session before the login
// and saves after it finds the tombstone the same way. After the grace
// period the old ID is an ordinary dead cookie again, cleared on sight.
//
// The grace gives an attacker nothing. The old ID never acts as a
// session: the tombstone holds no data and no link to the new ID, which
// no response to the old ID ever carries; Save, Touch and Get all refuse
// it; and a request with the old ID gets exactly what a request with no
// cookie gets, minus a cookie of its own. Someone who planted or stole the
// old ID (session fixation) therefore rides on nothing, and the grace
// period's length matters only to how long the ~100-byte tombstone stays
// stored before DynamoDB's TTL removes it. What it costs is one case: a
// request with the old ID that stores something (a second login racing
// the first) is dropped instead of starting yet another session.
//
// # Sessions that no longer decode
//
// A stored session that no codec can decode (a deploy changed the session
// type; another program wrote the record) is handled by
// [Options.Undecodable]. By default ([dynamosession.KeepUndecodable]) the
// request goes on with a fresh session: the *dynamosession.DecodeError is
// logged with the ID shortened, [State.Dropped] returns it so the app can
// say "please sign in again", the cookie is cleared (or replaced, if the
// handler stores a new session), and the record is left untouched for
// inspection. [dynamosession.DeleteUndecodable] also deletes it,
// conditionally on it being unchanged; [dynamosession.FailUndecodable]
// answers through the ErrorHandler (500) on every request that carries the
// cookie, until the record expires.
//
// # Express interop
//
// With [Options.ExpressSecrets] the cookie is express-session's signed
// cookie (named connect.sid by default), so a Go service and an Express app
// using connect-dynamodb can share sessions in one table during a
// migration: configure the repository with Prefix "sess:" and codec.JSON,
// and embed [express.Session] in the session type. Package express says
// more, and gives the signed cookie value for tests.
//
// A session keeps its own lifetime, as express-session does: the cookie
// object's originalMaxAge (a 30-day "remember me", capped at the 400 days
// browsers keep a cookie) sets the stored expiry of every write and touch
// the Go side makes, and the Max-Age of the cookie it sends, instead of
// the repository's TTL; a session without one (a browser-session cookie)
// uses the TTL. A Go login handler sets it by storing a cookie object
// with OriginalMaxAge before the session is created.
//
// What Go cannot promise in a table it shares with express-session:
//   - A logout does not always win. Go's saves are conditional, but
//     connect-dynamodb and @pwrdrvr/dynamodb-session-store save with an
//     unconditional PutItem, so a slow Node request that loaded a session
//     before Go deleted it (or superseded it at a login) writes it back
//     afterwards, alive for both sides. Set resave: false in
//     express-session, so that only Node requests that changed the session
//     write it, and for a logout that must hold, also invalidate on the
//     Node side (destroy the session there, or check a per-user "signed
//     out at" time both apps consult).
//   - Legacy millisecond expiries: connect-dynamodb before 1.0.12 stored
//     expires in milliseconds. Go reads such a value as milliseconds and
//     ends the session when it passes; both Node stores compare it with
//     seconds and serve it as live, and DynamoDB's TTL reads it as a date
//     thousands of years ahead and never deletes it. Delete such records
//     (expires above 1e11) once; Go will not rewrite them.
//   - Secure cookies: a session Go creates stores cookie.secure = true
//     unless [Options.InsecureCookie] is set, as the cookie Go sends is
//     Secure. express-session does not set a cookie whose stored secure
//     flag is true on a request it does not see as HTTPS, so over plain
//     HTTP (or behind a TLS-terminating proxy without Express's
//     "trust proxy" setting) the Node app sends no cookie for sessions Go
//     created. Serve both over HTTPS with "trust proxy" set, or use
//     InsecureCookie on both sides in plain-HTTP development.
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
// and never overwrites a concurrent save.
//
// A logout (Destroy) wins over a concurrent save: the save finds the
// session gone, the change is dropped and reported to the Logger, and the
// cookie is cleared. The handler may by then have answered as if the
// change had been stored ("201 Created" for an item added to the cart).
// A handler whose answer depends on the write calls [State.Save] before
// answering and answers according to its error, which wraps
// [dynamosession.ErrNotFound] when the session was logged out (or
// superseded by a login) meanwhile.
//
// With consistency.Eventual (the repository's default) the request right
// after a change may also read the session's previous version, typically
// for under a second; a save of that stale copy would, without Versioned,
// undo the change. Sessions that change on one request and are changed
// again on the next (a cart filled by redirecting POSTs) want Versioned, or
// consistency.Strong reads at twice the price. For the same second after a
// login, a request with the old ID may read the old session from a replica
// that has not seen its tombstone yet: it sees what it saw before the
// login, and nothing it writes is stored.
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
	"github.com/dynamosession/dynamosession/internal/readconsistency"
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
	// with the stored session (the repository's TTL after each write, or
	// in Express mode the session's own cookie.originalMaxAge; refreshed
	// whenever the stored expiry moves). A negative MaxAge makes a
	// browser-session cookie, without Max-Age or Expires. A positive one
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
	// [express.Session], by value (express-session cannot load a session
	// without its cookie object). Default none: the cookie holds the bare
	// ID.
	ExpressSecrets []string

	// Timeout bounds the session store's work in each phase of a request:
	// loading the session before the handler runs (every read), saving it
	// as the response starts (create, save or touch, and the deletes of
	// Destroy and Regenerate), and saving what the handler changed after
	// the response started. A phase that runs out fails with an error
	// wrapping context.DeadlineExceeded, which goes to the ErrorHandler
	// (or, for a touch, to the Logger, as every failed touch does). So a
	// request spends at most three times Timeout on its session (plus one
	// for each State.Save), and usually one read. Default 5 seconds; it must not be negative. The
	// AWS SDK sets no timeout of its own: without this bound a request
	// would wait for as long as DynamoDB is unreachable. The client's
	// cancellation does not reach a save (a client that hangs up must not
	// cut a regeneration between its create and its delete); the Timeout
	// does.
	Timeout time.Duration

	// RegenerateGrace is how long the old ID of a regenerated session (or
	// of one a request destroyed before storing a new one) is recognised
	// as superseded rather than dead. Default 30 seconds;
	// negative turns the grace off. A request the browser sent with the
	// old cookie before the login's response arrived (a poll, a prefetch,
	// a second tab) is then served as a request without a session that
	// sends no cookie at all: clearing the old cookie, or issuing yet
	// another session, would replace the new cookie in the browser and
	// log the user out. Whatever such a request changes in its session is
	// written nowhere and reported to the Logger. See "Logging in while
	// other requests are in flight" in the package documentation.
	RegenerateGrace time.Duration

	// Undecodable decides what happens to a request whose stored session
	// no codec can decode (a *dynamosession.DecodeError: the session type
	// changed in a deploy, or another program wrote the record). Default
	// [dynamosession.KeepUndecodable]: the request goes on with a fresh,
	// empty session, never an error page; the decode error is logged at
	// Warn level with the session ID shortened, [State.Dropped] returns it
	// to the handler (so an app can say "please sign in again"), and the
	// cookie is cleared, or replaced if the handler stores a new session,
	// so the next request costs no read of the bad record; the record is
	// left as it is. [dynamosession.DeleteUndecodable] does the same and
	// deletes the record if it is still exactly that record.
	// [dynamosession.FailUndecodable] hands the *DecodeError to the
	// ErrorHandler (500 by default) and does not run the handler, on every
	// request that carries the cookie until the record is fixed or
	// expires.
	Undecodable dynamosession.UndecodablePolicy

	// ErrorHandler answers a request whose session could not be loaded or
	// saved: DynamoDB errors and timeouts, undecodable records under
	// FailUndecodable, conflicts of a versioned repository. Nothing of the
	// handler's response has been sent, except when err wraps
	// [ErrResponseStarted]: then it can only log. Default (nil): log err
	// with [slog.ErrorContext] and answer 500 Internal Server Error, or 409
	// Conflict when err wraps [dynamosession.ErrConflict] (a concurrent
	// request changed a versioned session: the client may retry), with only
	// the status text as the body, since errors carry table and attribute
	// names a visitor has no business seeing; when err wraps
	// ErrResponseStarted, only log.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Logger receives the problems that do not fail a request: a touch
	// that failed (the session is intact and the next request tries
	// again, so the page is served), a session that could not be decoded
	// and was dropped, and a change to a session that could not be written
	// because the session was logged out, regenerated or hijacked while
	// the request ran. Session IDs appear in it shortened to their first
	// six characters. Default slog.Default().
	Logger *slog.Logger

	// ExplicitSave makes the Manager save a stored session's Data only in
	// a request whose handler called [State.Save], as gorilla/sessions
	// does; from then on, every save of that request (Save itself, and
	// the one after the handler returns, which catches changes made after
	// Save) compares Data with what was stored and writes what changed.
	// Any other request only touches the session when its touch is due.
	// Default false: the Manager finds a change itself, by encoding Data
	// and comparing it with what was stored ([dynamosession.Repo.Save]),
	// which catches every change, made in place or not, and costs an
	// encode as the response starts and, when the handler wrote the
	// response, another after it returns (a change made after the first
	// byte is saved too): a page view that only reads then costs several
	// times the CPU of a GetItem and an unmarshal by hand, most with the
	// Map codec (the README's table, `make bench`). Set it when every
	// handler that changes the session calls Save: a change made without
	// it is then not stored. Regenerate, Destroy and a new session's first
	// Data are stored either way.
	ExplicitSave bool
}

// defaultTimeout bounds each phase of a request's session work unless
// Options.Timeout says otherwise: far above DynamoDB's single-digit
// milliseconds and the SDK's retries of a throttled request (3 attempts,
// backoff under a second each), far below a browser's patience.
const defaultTimeout = 5 * time.Second

// defaultRegenerateGrace covers the requests a browser has in flight while
// a login's response travels: polls, prefetches, a second tab, a slow
// upload; a long poll that outlasts it is treated as carrying a dead
// cookie.
const defaultRegenerateGrace = 30 * time.Second

// Manager loads and saves the sessions of the requests its [Manager.Handler]
// wraps. Create it with [New]. A Manager is safe for concurrent use.
type Manager[T any] struct {
	repo         *dynamosession.Repo[T]
	opts         Options
	now          func() time.Time
	express      bool
	expressIndex []int // where T embeds express.Session, in Express mode
}

// New returns a Manager that keeps the sessions of type T in repo,
// configured by optFns applied in order to the default [Options]. It
// returns an error wrapping [dynamosession.ErrInvalidOptions] for a bad configuration.
func New[T any](repo *dynamosession.Repo[T], optFns ...func(*Options)) (*Manager[T], error) {
	if repo == nil {
		return nil, fmt.Errorf("%w: nil repository", dynamosession.ErrInvalidOptions)
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
		o.ErrorHandler = defaultErrorHandler
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	if o.RegenerateGrace == 0 {
		o.RegenerateGrace = defaultRegenerateGrace
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
		return fmt.Errorf("%w: %s", dynamosession.ErrInvalidOptions, fmt.Sprintf(format, args...))
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
	if o.Timeout < 0 {
		return bad("Timeout %v is negative", o.Timeout)
	}
	switch o.Undecodable {
	case dynamosession.KeepUndecodable, dynamosession.DeleteUndecodable, dynamosession.FailUndecodable:
	default:
		return bad("unknown Undecodable policy %d", o.Undecodable)
	}
	for i, s := range o.ExpressSecrets {
		if s == "" {
			return bad("ExpressSecrets[%d] is empty", i)
		}
	}
	if m.express {
		idx, err := expressSessionIndex(reflect.TypeFor[T]())
		if err != nil {
			return bad("ExpressSecrets: %v; the session type must embed express.Session by value, or express-session cannot load the sessions Go creates", err)
		}
		m.expressIndex = idx
	}
	return nil
}

// Handler returns middleware that loads the request's session before next
// runs and saves it as the response starts: on next's first WriteHeader,
// Write or Flush, when next calls [State.Save], or when next returns
// without writing. A session is saved only if next returns or starts the
// response: a panic saves nothing, and neither does a hijacked connection.
//
// If the session cannot be loaded next does not run, and if it cannot be
// saved next's response is replaced; in both cases Options.ErrorHandler
// answers instead.
func (m *Manager[T]) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &State[T]{m: m}
		// The response depends on the cookie: shared caches must not mix
		// up users.
		st.varyCookie(w.Header())
		// The load's work, bounded by Timeout and by the request's own
		// cancellation.
		st.loadCtx.values, st.loadCtx.d = r.Context(), m.opts.Timeout
		err := m.load(&st.loadCtx, r, st)
		st.loadCtx.cancel()
		if err != nil {
			m.opts.ErrorHandler(w, r, err)
			return
		}
		st.reqCtx = r.Context()
		st.writer = responseWriter{ResponseWriter: w, sess: st}
		sw := &st.writer
		st.w, st.rw = sw, w
		st.ctx = stateContext[T]{Context: r.Context(), st: st}
		r = r.WithContext(&st.ctx)
		st.req = r
		next.ServeHTTP(sw.wrapped(), r)
		switch {
		case sw.hijacked:
			// The connection is the handler's: no cookie can reach the
			// browser, and the middleware writes nothing.
			st.drop("the connection was hijacked")
			return
		case !sw.started:
			sw.start() // next wrote nothing: commit now; the server sends 200
			return
		case sw.failed || st.closed:
			return
		}
		if err := st.commitLate(); err != nil {
			if !errors.Is(err, ErrResponseStarted) {
				err = fmt.Errorf("%w: %w", ErrResponseStarted, err)
			}
			m.opts.ErrorHandler(w, r, err)
		}
	})
}

// maxCandidates bounds the session cookies of one request that are looked
// up. A browser sends one cookie of the name per matching path and domain
// (rarely more than two); a forged header holding a hundred must not buy
// a hundred reads.
const maxCandidates = 3

// load reads the session named by the request's cookies into st. A
// missing, bad, dead or superseded cookie leaves st a new, empty session,
// and so does an
// undecodable record unless the policy is FailUndecodable; only DynamoDB
// errors are errors.
//
// With several cookies of the session's name (path or domain variants),
// the first live one wins, whatever order they came in. A dead cookie is
// marked for clearing only when every cookie of the name was looked up and
// found dead: clearing sends the configured Path and Domain, which may be
// those of a live cookie the request also carried.
func (m *Manager[T]) load(ctx context.Context, r *http.Request, st *State[T]) error {
	var buf [maxCandidates]candidate
	ids, more := m.readCookies(r, buf[:0])
	if len(ids) == 0 {
		return nil
	}
	st.cookieSeen = true
	var undecodable *dynamosession.DecodeError
	superseded := false
	for i, c := range ids {
		s, err := m.get(ctx, c.id)
		switch {
		case err == nil:
			// Re-send the cookie when an older express secret signed it,
			// or when a dead duplicate came first: the browser then holds
			// the live ID under the configured Path and Domain too.
			st.sess, st.Data, st.resend = s, s.Data, c.resend || i > 0
			return nil
		case errors.Is(err, dynamosession.ErrSuperseded), errors.Is(err, dynamosession.ErrSchemaTooNew):
			// Replaced by a login a moment ago, or a newer deploy's
			// session during a rolling deploy: leave its cookie alone.
			superseded = true
		case asDecodeError(err) != nil:
			if undecodable == nil {
				undecodable = asDecodeError(err)
			}
		case errors.Is(err, dynamosession.ErrNotFound), errors.Is(err, dynamosession.ErrInvalidID):
		default:
			return err
		}
	}
	switch {
	case undecodable != nil && m.opts.Undecodable == dynamosession.FailUndecodable:
		return undecodable
	case superseded:
		// A request sent before the browser got a login's new cookie:
		// leave that cookie alone.
		st.superseded = true
		return nil
	case undecodable != nil:
		m.dropUndecodable(ctx, st, undecodable)
	}
	st.deadCookie = !more
	return nil
}

// asDecodeError returns the *dynamosession.DecodeError in err's chain,
// or nil. A function of its own: the variable errors.As needs escapes,
// and declared in load's loop it cost every page view an allocation.
func asDecodeError(err error) *dynamosession.DecodeError {
	var de *dynamosession.DecodeError
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// get reads the session id. An eventually consistent read can miss a
// session written a moment ago (the request right after a login): a miss
// is confirmed with the leader before the cookie is treated as dead.
func (m *Manager[T]) get(ctx context.Context, id string) (*dynamosession.Session[T], error) {
	s, err := m.repo.Get(ctx, id)
	if errors.Is(err, dynamosession.ErrNotFound) && !errors.Is(err, dynamosession.ErrExpired) &&
		!errors.Is(err, dynamosession.ErrSuperseded) && !readconsistency.Strong(ctx, m.repo.Options().Consistency) {
		s, err = m.repo.Get(consistency.WithStrongRead(ctx), id)
	}
	return s, err
}

// dropUndecodable gives up a session no codec can decode, under the
// Manager's policy: the request goes on with a fresh session and the
// handler can learn why from State.Dropped.
func (m *Manager[T]) dropUndecodable(ctx context.Context, st *State[T], de *dynamosession.DecodeError) {
	st.dropped = de
	// The error names the session by the first characters of its ID only.
	m.opts.Logger.WarnContext(ctx, "httpsession: stored session cannot decode; starting a fresh session", "err", de)
	if m.opts.Undecodable != dynamosession.DeleteUndecodable {
		return
	}
	if _, err := m.repo.DeleteUndecodable(ctx, de.ID); err != nil {
		m.opts.Logger.WarnContext(ctx, "httpsession: could not delete the undecodable session; it is left as it is", "err", err)
	}
}
