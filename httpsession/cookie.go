package httpsession

import (
	"net/http"
	"slices"
	"time"

	"github.com/dynamosession/dynamosession/internal/expresscookie"
)

// maxIDLen bounds the IDs a cookie may name; the Manager's are 43 bytes,
// express-session's 32. Anything longer is garbage not worth a read.
const maxIDLen = 256

// plausibleID reports whether id could be an ID this package or
// express-session issued: base64url or hex characters, of sane length.
// Checking it locally spares DynamoDB a read for every garbage cookie.
func plausibleID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// signedIDOK reports whether an ID that carried a valid express signature
// can be a key. The signature proves it was issued by someone holding the
// secret, perhaps with a custom genid, so only length and control
// characters are checked.
func signedIDOK(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] == 0x7f {
			return false
		}
	}
	return true
}

// candidate is a session ID a request's cookie names.
type candidate struct {
	id     string
	resend bool // an older express secret signed it: re-sign with the first
}

// readCookies returns the distinct session IDs the request's cookies of
// the session's name hold, in the order sent (browsers send the most
// specific path first), at most maxCandidates of them, and whether more
// plausible ones were left out. Values that cannot be an ID, or whose
// express signature does not verify, are skipped without a read.
func (m *Manager[T]) readCookies(r *http.Request, ids []candidate) (_ []candidate, more bool) {
	for _, c := range r.CookiesNamed(m.opts.CookieName) {
		var id string
		var resend bool
		if !m.express {
			if !plausibleID(c.Value) {
				continue
			}
			id = c.Value
		} else {
			v, secret, err := expresscookie.Unsign(expresscookie.DecodeValue(c.Value), m.opts.ExpressSecrets...)
			if err != nil || !signedIDOK(v) {
				continue
			}
			id, resend = v, secret > 0
		}
		if slices.ContainsFunc(ids, func(c candidate) bool { return c.id == id }) {
			continue
		}
		if len(ids) == maxCandidates {
			return ids, true
		}
		ids = append(ids, candidate{id, resend})
	}
	return ids, false
}

// maxAge returns the cookie lifetime to write: positive, or zero for a
// browser-session cookie.
func (m *Manager[T]) maxAge() time.Duration {
	switch {
	case m.opts.MaxAge > 0:
		return m.opts.MaxAge
	case m.opts.MaxAge < 0:
		return 0
	}
	return m.repo.Options().TTL.Lifetime()
}

// cookie returns the session cookie for id, whose stored session expires
// at expires (zero if it has no expiry).
func (m *Manager[T]) cookie(id string, expires time.Time) *http.Cookie {
	c := m.baseCookie()
	c.Value = id
	if m.express {
		c.Value = expresscookie.Value(id, m.opts.ExpressSecrets[0])
	}
	now := m.now()
	switch {
	case m.opts.MaxAge > 0:
		c.MaxAge, c.Expires = int(m.opts.MaxAge/time.Second), now.Add(m.opts.MaxAge)
	case m.opts.MaxAge < 0 || expires.IsZero():
		// A browser-session cookie: neither attribute.
	default:
		// Expire with the stored session. It was just written, so it has
		// at least a second left; max guards a clock that jumped.
		c.MaxAge, c.Expires = max(1, int(expires.Sub(now)/time.Second)), expires
	}
	return c
}

// expiredCookie returns a cookie that makes the browser drop the session
// cookie.
func (m *Manager[T]) expiredCookie() *http.Cookie {
	c := m.baseCookie()
	c.MaxAge, c.Expires = -1, time.Unix(0, 0) // "Max-Age=0; Expires=Thu, 01 Jan 1970 …"
	return c
}

func (m *Manager[T]) baseCookie() *http.Cookie {
	return &http.Cookie{
		Name:     m.opts.CookieName,
		Path:     m.opts.CookiePath,
		Domain:   m.opts.CookieDomain,
		HttpOnly: true, // no script has any business reading a bearer credential
		Secure:   !m.opts.InsecureCookie,
		SameSite: m.opts.SameSite,
	}
}
