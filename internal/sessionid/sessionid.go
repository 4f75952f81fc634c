// Package sessionid makes the session IDs that package httpsession and
// the gorilla/sessions store issue.
package sessionid

import (
	"crypto/rand"
	"encoding/base64"
)

// New returns a new session ID: 256 bits from crypto/rand, encoded as
// unpadded base64url (43 characters), so it is safe in cookies and URLs
// without escaping. At 256 bits, guessing a live ID is hopeless however
// many sessions a table holds.
func New() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand.Read's contract since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
