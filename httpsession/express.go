package httpsession

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// expressPrefix marks a signed value in express-session's cookie.
const expressPrefix = "s:"

// ExpressSign returns the cookie value express-session issues for the
// session id: "s:" + id + "." + the standard base64 HMAC-SHA256 of id keyed
// with secret, trailing "=" removed (what the cookie-signature package's
// sign computes). The value is not URL-encoded; in the Set-Cookie header
// express-session encodes it as encodeURIComponent does, which
// [ExpressCookieValue] reproduces.
func ExpressSign(id, secret string) string {
	return expressPrefix + id + "." + expressSignature(id, secret)
}

func expressSignature(id, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id))
	return base64.RawStdEncoding.EncodeToString(mac.Sum(nil))
}

// ExpressUnsign returns the session ID in an express-session cookie value
// (URL-decoded, as [http.Request.Cookie] does not do it: see
// [ExpressDecodeValue]), and the index of the first secret whose signature
// matches. Secrets are tried in order, as express-session does with a list:
// the first one signs, all of them verify, so a secret can be rotated
// without logging everyone out. Signatures are compared in constant time.
//
// It returns an error wrapping [ErrNotSigned] for a value without the "s:"
// prefix and [ErrBadSignature] when no secret matches.
func ExpressUnsign(value string, secrets ...string) (id string, secret int, err error) {
	signed, ok := strings.CutPrefix(value, expressPrefix)
	if !ok {
		return "", -1, ErrNotSigned
	}
	// cookie-signature splits at the last dot: an ID may contain dots, a
	// base64 signature never does.
	dot := strings.LastIndexByte(signed, '.')
	if dot < 0 {
		return "", -1, fmt.Errorf("%w: no signature", ErrBadSignature)
	}
	id, sig := signed[:dot], signed[dot+1:]
	for i, s := range secrets {
		if hmac.Equal([]byte(sig), []byte(expressSignature(id, s))) {
			return id, i, nil
		}
	}
	return "", -1, ErrBadSignature
}

// ExpressCookieValue returns the cookie value for id as express-session
// writes it in the Set-Cookie header: [ExpressSign], then encoded as
// JavaScript's encodeURIComponent ("s:" becomes "s%3A", "+" "%2B", "/"
// "%2F").
func ExpressCookieValue(id, secret string) string {
	return encodeURIComponent(ExpressSign(id, secret))
}

// ExpressDecodeValue decodes a cookie value as the cookie package
// express-session uses does: percent-decoding when the value holds a "%",
// and the raw value when that decoding fails.
func ExpressDecodeValue(raw string) string {
	if !strings.Contains(raw, "%") {
		return raw
	}
	// PathUnescape, unlike QueryUnescape, leaves "+" alone, as
	// decodeURIComponent does.
	v, err := url.PathUnescape(raw)
	if err != nil {
		return raw
	}
	return v
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent: every
// byte but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is percent-encoded, UTF-8 bytes
// one by one, in upper-case hex.
func encodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ExpressCookie is the cookie object express-session keeps in every session
// it stores (session.cookie) and needs in every session it loads: its
// Store.createSession reads sess.cookie.expires, so a record without it
// makes express-session fail on a TypeError. A Go service that creates
// sessions an Express app will read must therefore store one; embed
// [ExpressSession] in the session type and a [Manager] with ExpressSecrets
// fills it in when it creates a session.
//
// The JSON names are express-session's. Fields it may add that are not
// here (partitioned, priority) are dropped when Go rewrites the session;
// express-session then uses its defaults for them.
type ExpressCookie struct {
	// OriginalMaxAge is the cookie's configured max age in milliseconds;
	// nil (null) for a browser-session cookie.
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

// ExpressSession holds express-session's cookie object. Embed it in a
// session type shared with an Express app:
//
//	type Session struct {
//		httpsession.ExpressSession
//		User string `json:"user"`
//	}
//
// encoding/json (and so the JSON codec connect-dynamodb tables need)
// flattens it into the session's "cookie" property.
type ExpressSession struct {
	Cookie *ExpressCookie `json:"cookie,omitempty"`
}

// expressCookieSetter is implemented by *T when T embeds ExpressSession.
// The methods are unexported so that only that embedding satisfies it.
type expressCookieSetter interface {
	setExpressCookie(*ExpressCookie)
	expressCookie() *ExpressCookie
}

func (e *ExpressSession) setExpressCookie(c *ExpressCookie) { e.Cookie = c }
func (e *ExpressSession) expressCookie() *ExpressCookie     { return e.Cookie }

// maxCookieLifetime caps a session's own lifetime: browsers keep a cookie
// at most 400 days whatever Max-Age says (RFC 6265bis, "Cookies: HTTP
// State Management Mechanism", draft 11+, section 5.5; Chrome since
// version 104), and a stored originalMaxAge of absurd size must not
// overflow a time.Duration.
const maxCookieLifetime = 400 * 24 * time.Hour

// cookieLifetime returns the lifetime express-session keeps in the cookie
// object, cookie.originalMaxAge (milliseconds), capped at
// maxCookieLifetime; 0 when there is none (a browser-session cookie,
// null) or it is not positive.
func cookieLifetime(c *ExpressCookie) time.Duration {
	if c == nil || c.OriginalMaxAge == nil || *c.OriginalMaxAge <= 0 {
		return 0
	}
	if ms := *c.OriginalMaxAge; ms < maxCookieLifetime.Milliseconds() {
		return time.Duration(ms) * time.Millisecond
	}
	return maxCookieLifetime
}

// lifetime returns the session's own lifetime, which every write of it
// passes to the repository: in Express mode express-session's
// cookie.originalMaxAge, so that a 30-day "remember me" is not cut to the
// repository's TTL by a Go touch or save; otherwise 0, for the
// repository's TTL.
func (m *Manager[T]) lifetime(data *T) time.Duration {
	if !m.express {
		return 0
	}
	return cookieLifetime(any(data).(expressCookieSetter).expressCookie())
}
