// Package express holds what a Go service needs to share sessions with a
// Node.js Express app that uses express-session (with connect-dynamodb or
// @pwrdrvr/dynamodb-session-store as its store): the cookie object
// express-session keeps in every session, to embed in the session type,
// and the signed cookie value it sends, for tests that seed a session as
// the Express app would.
//
// The middleware itself is package httpsession: with
// httpsession.Options.ExpressSecrets set, its cookie is express-session's
// signed cookie (named connect.sid by default) and it fills in the cookie
// object of every session it creates. Configure the repository with Prefix
// "sess:" and codec.JSON for a connect-dynamodb table.
package express

import (
	"time"

	"github.com/dynamosession/dynamosession/internal/expresscookie"
)

// Session holds express-session's cookie object. Embed it in a session
// type shared with an Express app:
//
//	type Session struct {
//		express.Session
//		User string `json:"user"`
//	}
//
// encoding/json (and so the JSON codec connect-dynamodb tables need)
// flattens it into the session's "cookie" property. Embed it by value,
// once, without a JSON name, and give no other field the JSON name
// "cookie": httpsession.New refuses a session type for ExpressSecrets
// that does not embed it, reaches it through a pointer, or would not
// store its cookie object as "cookie".
type Session struct {
	Cookie *Cookie `json:"cookie,omitempty"`
}

// Cookie is the cookie object express-session keeps in every session it
// stores (session.cookie) and needs in every session it loads: its
// Store.createSession reads sess.cookie.expires, so a record without it
// makes express-session fail on a TypeError. A Go service that creates
// sessions an Express app will read must therefore store one; embed
// [Session] in the session type and httpsession's Manager with
// ExpressSecrets fills it in when it creates a session.
//
// The JSON names are express-session's. Fields it may add that are not
// here (partitioned, priority) are dropped when Go rewrites the session;
// express-session then uses its defaults for them.
type Cookie struct {
	// OriginalMaxAge is the cookie's configured max age in milliseconds;
	// nil (null) for a browser-session cookie. A Go login handler sets it
	// before the session is created for a "remember me" lifetime of the
	// session's own, as Express code sets req.session.cookie.maxAge.
	OriginalMaxAge *int64 `json:"originalMaxAge"`
	// Expires is when the cookie expires; nil (null) for a browser-session
	// cookie. express-session resets it from OriginalMaxAge whenever it
	// sends the cookie.
	Expires *time.Time `json:"expires"`
	// Secure, HTTPOnly, Domain, Path and SameSite are the cookie's
	// attributes. SameSite is a string ("lax", "strict", "none") or a
	// boolean in express-session, hence any.
	Secure   bool   `json:"secure,omitempty"`
	HTTPOnly bool   `json:"httpOnly"`
	Domain   string `json:"domain,omitempty"`
	Path     string `json:"path"`
	SameSite any    `json:"sameSite,omitempty"`
}

// CookieValue returns the value of the cookie express-session sets for
// the session id when it signs with secret, exactly as it appears in its
// Set-Cookie header: "s:" + id + "." + the standard base64 HMAC-SHA256 of
// id keyed with secret, trailing "=" removed (the cookie-signature
// package's sign), encoded as JavaScript's encodeURIComponent ("s:"
// becomes "s%3A", "+" "%2B", "/" "%2F"). A test sends it as the
// connect.sid cookie to reach a session it stored as the Express app
// would; httpsession's Manager signs and verifies its cookies itself.
func CookieValue(id, secret string) string {
	return expresscookie.Value(id, secret)
}
