// Package gorillastore keeps the sessions of github.com/gorilla/sessions in
// DynamoDB through a dynamosession repository, and so serves gin (through
// gin-contrib/sessions) and echo (through echo-contrib/session), which both
// sit on gorilla's Store interface.
//
//	repo, err := dynamosession.New[gorillastore.Record](client, "sessions", func(o *dynamosession.Options[gorillastore.Record]) {
//		o.Codec = codec.Msgpack[gorillastore.Record]() // one binary attribute
//	})
//	store, err := gorillastore.New(repo, hashKey) // hashKey: 32 or 64 random bytes
//	session, err := store.Get(r, "session-name")
//	session.Values["user"] = "ada"
//	err = session.Save(r, w)
//
// The package lives in a module of its own, so that depending on
// dynamosession does not pull gorilla in.
//
// # What a request costs
//
// Loading a session is one GetItem (0.5 read unit with eventual reads); a
// cookie whose session is not found is confirmed by one strongly
// consistent GetItem (1 read unit), so the request right after a login,
// which may reach a replica that has not seen the new session yet, does not
// lose it. A loaded session's expiry is extended when the repository's
// touch policy says it is due (by default at most once an hour): one
// conditional UpdateItem of the expiry alone, made when the session is
// loaded, because frameworks call Save only when a handler changed
// something (gin-contrib/sessions) and a session that is only read must
// stay alive too. Save writes only when the Values differ from what was
// read, in one conditional UpdateItem ([dynamosession.Repo.Save]) that never
// recreates a session deleted in between; a new session is created by one
// PutItem, and a new session whose Values are empty is not stored at all.
// Save with Options.MaxAge < 0 deletes the session the cookie names, even
// one that did not load: one DeleteItem. So a page view that only reads
// the session costs one read.
//
// # Cookies
//
// The cookie holds only the session ID (256 bits from crypto/rand,
// base64url), signed, and encrypted when a block key is given, with
// gorilla/securecookie exactly as gorilla's FilesystemStore does
// ([Store.Codecs], keys given in pairs for rotation). A signed cookie costs
// a forger nothing to send but costs this store no read either: a cookie
// that does not verify never reaches DynamoDB. A cookie that does not
// verify (tampered with, too old for the codecs' MaxAge, signed by a key
// that was retired) or that names a session that does not exist gives a
// new session and no error, as a missing cookie does; gorilla's own stores
// return the securecookie error instead, which makes apps that fail a
// request on any Get error fail every request that carries such a cookie.
//
// # Values, gob, and what reaches it
//
// gorilla's Values are a map[interface{}]interface{} of gob-registered
// types, so the store gob-encodes the map into [Record.Values]. encoding/gob
// is not hardened against adversarial input (its documentation says so),
// and a size cap alone does not make it safe: it trusts a map's declared
// length, so a 42-byte gob stream declaring a map of a million entries
// makes Go 1.26's decoder allocate 84 MB before it notices the entries are
// missing, and one declaring a hundred million exhausts memory, a fatal
// error that no recover catches. So every record is sealed by default:
// [Record.MAC] is an HMAC-SHA256 of the session ID and the gob bytes under
// a key derived (HKDF-SHA256) from the store's hash key, and a record's
// gob bytes reach the decoder only if they are at most [Store.MaxLength]
// bytes and the MAC verifies, in that order, and with any panic (a
// registered type's GobDecode) recovered as an error. Whoever can write
// the table but does not hold a hash key cannot make the decoder see a
// single byte. Records are authenticated, not encrypted; for encryption at
// rest beyond DynamoDB's own, give the repository a sealed codec
// (codec.Sealed).
//
// Hash keys must be at least 32 bytes (securecookie.GenerateRandomKey(32)):
// the record MAC is what keeps crafted gob away from the decoder, and a
// short key can be found offline from one record read out of the table.
// After a key rotation, a record sealed by an older hash key is sealed
// again by the first on its next Save, even when nothing changed; a
// session that is only read keeps its old seal, and becomes a new session
// (with an error) once its key is dropped from the pairs.
//
// # gin and echo
//
// echo-contrib/session takes the store as it is:
//
//	e.Use(session.Middleware(store))
//	s, err := session.Get("session-name", c) // on err, log it and carry on with s
//
// gin-contrib/sessions wants one more method, Options, taking its own
// options type, which this package cannot name without depending on gin;
// an app adds it in a wrapper, as gin-contrib does for gorilla's stores:
//
//	type ginStore struct{ *gorillastore.Store }
//
//	func (s ginStore) Options(o sessions.Options) {
//		s.Store.Options = o.ToGorillaOptions()
//		s.Store.MaxAge(o.MaxAge)
//	}
//
//	r.Use(sessions.Sessions("session-name", ginStore{store}))
//
// # Sessions that no longer decode
//
// A record that cannot be decoded (not authentic, over MaxLength, gob that
// no longer matches the registered types after a deploy, or a
// [dynamosession.DecodeError] from the repository) follows the library's
// policy: Get returns a new, empty session (IsNew true) together with an
// error, a *dynamosession.DecodeError that names the session and wraps the
// cause ([ErrNotAuthentic], [ErrTooLarge], ...). The record is left
// untouched for inspection; saving the new session stores it under a new
// ID and replaces the cookie. gin-contrib/sessions logs such an error and
// carries on with the new session; an echo handler should do the same
// rather than return the error, or every request with that cookie fails.
//
// A DynamoDB error while loading is different: Get returns a new session
// and the error, and saving that session fails with [ErrNotLoaded], so that
// a throttled read cannot log a user out by replacing their session with
// an empty one.
//
// # Concurrent requests, logouts
//
// Each request works on its own copy of a session, and an unversioned
// repository lets the later of two concurrent saves win whole. With
// dynamosession.Options.Versioned the later save fails with an error
// wrapping dynamosession.ErrConflict instead. A save that finds the session
// deleted (a logout in another tab) or expired since it was read writes
// nothing, expires the cookie and returns nil: the logout wins.
package gorillastore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"weak"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/readconsistency"
	"github.com/dynamosession/dynamosession/internal/sessionid"
)

// Record is what the store keeps per session.
type Record struct {
	// Values is the session's Values map, gob-encoded.
	Values []byte `json:"values"`
	// MAC is HMAC-SHA256 of the session ID and Values (see the package
	// documentation), 32 bytes.
	MAC []byte `json:"mac"`
}

// Errors, checked with errors.Is.
var (
	// ErrInvalidKeys reports keys New cannot use: none at all, a hash key
	// shorter than 32 bytes, or a block key that is not 16, 24 or 32 bytes
	// (AES-128, -192, -256).
	ErrInvalidKeys = errors.New("gorillastore: invalid keys")

	// ErrNotAuthentic reports a stored record whose MAC no hash key of the
	// store produces: written by someone without the keys, changed, copied
	// from another session ID, or sealed by a key that was retired.
	ErrNotAuthentic = errors.New("gorillastore: stored session is not authentic")

	// ErrTooLarge reports Values whose gob encoding exceeds
	// Store.MaxLength, when saving, or a stored record over it, when
	// loading.
	ErrTooLarge = errors.New("gorillastore: session values too large")

	// ErrBadValues reports stored gob bytes that do not decode into a
	// Values map: types that are no longer registered or changed shape.
	ErrBadValues = errors.New("gorillastore: session values do not decode")

	// ErrNotLoaded reports a Save of a session whose loading failed with a
	// DynamoDB error: saving it would replace the stored session with an
	// empty one.
	ErrNotLoaded = errors.New("gorillastore: session was not loaded; not saving it")
)

// DefaultMaxLength is the default [Store.MaxLength]: 64 KiB.
const DefaultMaxLength = 64 << 10

// minHashKeyBytes is the shortest hash key New accepts.
const minHashKeyBytes = 32

// Store is a gorilla/sessions Store over a dynamosession repository. Create
// it with [New]. A Store is safe for concurrent use; its exported fields are
// configuration, set before serving, like those of gorilla's own stores
// (which is why it is configured by fields rather than option functions:
// code written for FilesystemStore, and gin-contrib's Options wrapper,
// carry over).
type Store struct {
	// Codecs sign (and encrypt, with block keys) the cookie, which holds
	// the session ID. New makes one codec per key pair.
	Codecs []securecookie.Codec

	// Options are the cookie options of new sessions. Default: Path "/",
	// MaxAge 30 days (gorilla's default), HttpOnly, Secure, SameSite=Lax.
	// Browsers keep Secure cookies on http://localhost. MaxAge governs the
	// cookie, which Save sends again each time; how long an idle session
	// lives is the repository's TTL.
	Options *sessions.Options

	// MaxLength bounds a session's gob-encoded Values, in bytes: Save
	// refuses larger ones with ErrTooLarge, and a larger stored record is
	// not decoded. Default DefaultMaxLength; 0 leaves only DynamoDB's
	// 400 KB item limit.
	MaxLength int

	// Logger receives the problems that do not fail a request: a touch
	// that failed (the session is intact, and the next load tries again).
	// Default slog.Default().
	Logger *slog.Logger

	repo     *dynamosession.Repo[Record]
	eventual bool     // the repository reads eventually consistent by default
	macKeys  [][]byte // one per key pair; the first seals
	states   sync.Map // weak.Pointer[sessions.Session] -> *state
}

// New returns a Store keeping sessions in repo, with keyPairs as gorilla's
// stores take them: a hash key (at least 32 bytes) that authenticates, and
// an optional block key (16, 24 or 32 bytes) that encrypts the cookie, per
// pair; the first pair signs, every pair verifies, so keys are rotated by
// putting a new pair first. Hash keys also seal the stored records (see
// the package documentation). It returns an error wrapping
// [dynamosession.ErrInvalidOptions] for a nil repository, or one wrapping
// [ErrInvalidKeys].
func New(repo *dynamosession.Repo[Record], keyPairs ...[]byte) (*Store, error) {
	if repo == nil {
		return nil, fmt.Errorf("%w: gorillastore: nil repository", dynamosession.ErrInvalidOptions)
	}
	if len(keyPairs) == 0 {
		return nil, fmt.Errorf("%w: no keys; give a hash key of at least %d bytes (securecookie.GenerateRandomKey(%d))", ErrInvalidKeys, minHashKeyBytes, minHashKeyBytes)
	}
	s := &Store{
		Codecs:    securecookie.CodecsFromPairs(keyPairs...),
		MaxLength: DefaultMaxLength,
		repo:      repo,
		eventual:  !readconsistency.Strong(context.Background(), repo.Options().Consistency),
	}
	for i := 0; i < len(keyPairs); i += 2 {
		pair := i / 2
		if n := len(keyPairs[i]); n < minHashKeyBytes {
			return nil, fmt.Errorf("%w: hash key %d is %d bytes, want at least %d", ErrInvalidKeys, pair, n, minHashKeyBytes)
		}
		if i+1 < len(keyPairs) && keyPairs[i+1] != nil {
			if n := len(keyPairs[i+1]); n != 16 && n != 24 && n != 32 {
				return nil, fmt.Errorf("%w: block key %d is %d bytes, want 16, 24 or 32", ErrInvalidKeys, pair, n)
			}
		}
		s.macKeys = append(s.macKeys, macKey(keyPairs[i]))
		// The cookie carries the ID's bytes as they are: nothing in it
		// needs gob.
		s.Codecs[pair].(*securecookie.SecureCookie).SetSerializer(securecookie.NopEncoder{})
	}
	s.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	s.MaxAge(86400 * 30)
	return s, nil
}

// MaxAge sets the Max-Age of new sessions' cookies, in seconds, and the
// oldest signed cookie the codecs accept, as gorilla's stores do. A
// session's own Options.MaxAge < 0 deletes it when saved.
func (s *Store) MaxAge(age int) {
	s.Options.MaxAge = age
	for _, c := range s.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(age)
		}
	}
}

// Get returns the session name of r, loading it on the first call for r
// and returning the same session after that (gorilla's registry). See
// [Store.New] for the session and error it returns.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session name of r afresh. It always returns a session:
// the stored one, with IsNew false, or a new, empty one, with IsNew true,
// when r has no valid cookie, the session does not exist or expired, or
// it could not be loaded. The error is nil except when a stored session
// could not be decoded (a *dynamosession.DecodeError: the new session may
// be saved and replaces it) or DynamoDB failed (saving the new session
// then fails with [ErrNotLoaded]).
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	gs := sessions.NewSession(s, name)
	opts := *s.Options
	gs.Options = &opts
	gs.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return gs, nil
	}
	st := &state{cookie: true}
	s.remember(gs, st)
	var id []byte
	if securecookie.DecodeMulti(name, c.Value, &id, s.Codecs...) != nil {
		return gs, nil
	}
	st.id = string(id)
	ctx := r.Context()
	sess, err := s.repo.Get(ctx, st.id)
	if errors.Is(err, dynamosession.ErrNotFound) && !errors.Is(err, dynamosession.ErrExpired) && s.eventual {
		// An eventually consistent read can miss a session created a
		// moment ago (the login right before this request).
		sess, err = s.repo.Get(consistency.WithStrongRead(ctx), st.id)
	}
	var de *dynamosession.DecodeError
	switch {
	case errors.Is(err, dynamosession.ErrNotFound), errors.Is(err, dynamosession.ErrInvalidID):
		return gs, nil
	case errors.As(err, &de):
		return gs, fmt.Errorf("gorillastore: load: %w", err)
	case err != nil:
		st.failed = err
		return gs, fmt.Errorf("gorillastore: load: %w", err)
	}
	values, rekey, err := s.open(sess.ID, sess.Data)
	if err != nil {
		return gs, fmt.Errorf("gorillastore: load: %w", &dynamosession.DecodeError{ID: sess.ID, Attr: s.repo.Options().DataAttr, Err: err})
	}
	st.sess, st.stored, st.rekey = sess, sess.Data.Values, rekey
	gs.ID, gs.Values, gs.IsNew = sess.ID, values, false
	if _, err := s.repo.Touch(ctx, sess); err != nil {
		s.logger().WarnContext(ctx, "gorillastore: touch failed; the next load tries again", "err", err)
	}
	return gs, nil
}

// Save stores gs and sends its cookie. See the package documentation for
// what it writes and when. It returns [ErrTooLarge] (wrapped) for Values
// over MaxLength, [ErrNotLoaded] for a session whose loading failed, and
// DynamoDB's errors; a conflict in a versioned repository wraps
// dynamosession.ErrConflict.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, gs *sessions.Session) error {
	// A client that hangs up must not cut a write short.
	ctx := context.WithoutCancel(r.Context())
	st := s.stateOf(gs)
	if gs.Options.MaxAge < 0 {
		id := gs.ID
		if id == "" && st != nil {
			id = st.id // a session that did not load: log out all the same
		}
		if id != "" {
			if err := s.repo.Delete(ctx, id); err != nil && !errors.Is(err, dynamosession.ErrInvalidID) {
				return fmt.Errorf("gorillastore: delete: %w", err)
			}
		}
		s.states.Delete(weak.Make(gs))
		gs.ID = ""
		http.SetCookie(w, sessions.NewCookie(gs.Name(), "", gs.Options))
		return nil
	}
	if st != nil && st.failed != nil {
		return fmt.Errorf("%w: %w", ErrNotLoaded, st.failed)
	}
	if st == nil || st.sess == nil {
		if len(gs.Values) == 0 {
			if st != nil && st.cookie {
				// The cookie names nothing stored: stop paying a read for
				// it on every request.
				http.SetCookie(w, expired(gs))
			}
			return nil
		}
		if err := s.create(ctx, gs); err != nil {
			return err
		}
	} else if err := s.update(ctx, gs, st); errors.Is(err, dynamosession.ErrNotFound) {
		s.states.Delete(weak.Make(gs))
		gs.ID = ""
		http.SetCookie(w, expired(gs))
		return nil
	} else if err != nil {
		return err
	}
	encoded, err := securecookie.EncodeMulti(gs.Name(), []byte(gs.ID), s.Codecs...)
	if err != nil {
		return fmt.Errorf("gorillastore: cookie: %w", err)
	}
	http.SetCookie(w, sessions.NewCookie(gs.Name(), encoded, gs.Options))
	return nil
}

// create stores a new session under a new ID.
func (s *Store) create(ctx context.Context, gs *sessions.Session) error {
	b, err := s.encode(gs.Values)
	if err != nil {
		return err
	}
	id := sessionid.New()
	sess, err := s.repo.Put(ctx, id, s.seal(id, b))
	if err != nil {
		return fmt.Errorf("gorillastore: create: %w", err)
	}
	gs.ID = id
	s.remember(gs, &state{sess: sess, stored: b, cookie: true, id: id})
	return nil
}

// update writes a loaded session back if its Values changed (or its record
// was sealed by an older key). A session deleted or expired since it was
// read is an error for which errors.Is(err, dynamosession.ErrNotFound)
// holds.
func (s *Store) update(ctx context.Context, gs *sessions.Session, st *state) error {
	b, err := s.encode(gs.Values)
	if err != nil {
		return err
	}
	if !st.rekey && s.unchanged(st.stored, b, gs.Values) {
		return nil
	}
	st.sess.Data = s.seal(st.sess.ID, b)
	if err := s.repo.Save(ctx, st.sess); err != nil {
		return fmt.Errorf("gorillastore: save: %w", err)
	}
	st.stored, st.rekey = b, false
	return nil
}

func (s *Store) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// expired returns the cookie that makes a browser forget gs's cookie.
func expired(gs *sessions.Session) *http.Cookie {
	o := *gs.Options
	o.MaxAge = -1
	return sessions.NewCookie(gs.Name(), "", &o)
}

// state is what the store knows of a session it returned, beyond gorilla's
// Session: the repository's session (for conditional writes) and the
// Values as stored (to skip unchanged saves).
type state struct {
	sess   *dynamosession.Session[Record] // nil: nothing stored yet
	stored []byte                         // gob as stored
	rekey  bool                           // sealed by an older key: rewrite on Save
	failed error                          // loading failed: Save refuses
	cookie bool                           // the browser holds a cookie for it
	id     string                         // the ID the verified cookie names
}

// remember attaches st to gs. gorilla's Session has no room for it, and a
// Store serves many requests, so the states sit in a map keyed by weak
// pointers: an entry goes when its session is garbage (runtime.AddCleanup),
// whether or not Save was ever called.
func (s *Store) remember(gs *sessions.Session, st *state) {
	wp := weak.Make(gs)
	if _, had := s.states.Swap(wp, st); !had {
		runtime.AddCleanup(gs, func(wp weak.Pointer[sessions.Session]) { s.states.Delete(wp) }, wp)
	}
}

// stateOf returns the state attached to gs, or nil for a session this
// store did not return (sessions.NewSession).
func (s *Store) stateOf(gs *sessions.Session) *state {
	if v, ok := s.states.Load(weak.Make(gs)); ok {
		return v.(*state)
	}
	return nil
}
