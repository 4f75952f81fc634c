// Package expresscookie signs, verifies, encodes and decodes the session
// cookie value of the Node.js middleware express-session, for package
// httpsession's Express interop and package express's CookieValue.
//
// express-session signs its cookie as "s:" + ID + "." + the standard
// base64 HMAC-SHA256 of the ID keyed with the secret, trailing "=" removed
// (the cookie-signature package's sign), and URL-encodes it in the
// Set-Cookie header as JavaScript's encodeURIComponent does.
package expresscookie

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Sentinel errors of Unsign, checked with errors.Is.
var (
	// ErrNotSigned reports an express-session cookie value without the
	// "s:" prefix of a signed value. express-session ignores such a cookie,
	// and so does httpsession's Manager.
	ErrNotSigned = errors.New("httpsession: express cookie is not signed")

	// ErrBadSignature reports an express-session cookie whose signature no
	// configured secret produces: tampered, truncated, or signed with a
	// secret that is no longer in the list.
	ErrBadSignature = errors.New("httpsession: express cookie signature does not verify")
)

// prefix marks a signed value in express-session's cookie.
const prefix = "s:"

// Sign returns the cookie value express-session issues for the session
// id, before URL-encoding: "s:" + id + "." + the standard base64
// HMAC-SHA256 of id keyed with secret, trailing "=" removed.
func Sign(id, secret string) string {
	return prefix + id + "." + signature(id, secret)
}

func signature(id, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id))
	return base64.RawStdEncoding.EncodeToString(mac.Sum(nil))
}

// Unsign returns the session ID in an express-session cookie value
// (URL-decoded, as [http.Request.Cookie] does not do it: see
// [DecodeValue]), and the index of the first secret whose signature
// matches. Secrets are tried in order, as express-session does with a
// list: the first one signs, all of them verify, so a secret can be
// rotated without logging everyone out. Signatures are compared in
// constant time.
//
// It returns an error wrapping [ErrNotSigned] for a value without the "s:"
// prefix and [ErrBadSignature] when no secret matches.
func Unsign(value string, secrets ...string) (id string, secret int, err error) {
	signed, ok := strings.CutPrefix(value, prefix)
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
		if hmac.Equal([]byte(sig), []byte(signature(id, s))) {
			return id, i, nil
		}
	}
	return "", -1, ErrBadSignature
}

// Value returns the cookie value for id as express-session writes it in
// the Set-Cookie header: [Sign], then encoded as JavaScript's
// encodeURIComponent ("s:" becomes "s%3A", "+" "%2B", "/" "%2F").
func Value(id, secret string) string {
	return encodeURIComponent(Sign(id, secret))
}

// DecodeValue decodes a cookie value as the cookie package express-session
// uses does: percent-decoding when the value holds a "%", and the raw
// value when that decoding fails.
func DecodeValue(raw string) string {
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
