// Package redact shortens session keys for text that ends up in
// terminals and logs: a session ID is a bearer credential.
package redact

import (
	"strings"
	"unicode/utf8"
)

// keep is how many characters of a session ID stay, as in the library's
// error messages: enough to tell sessions apart in a report, too few to
// use.
const keep = 6

// Key keeps the key's prefix (up to its last '#' or ':', as in
// "session#" and "sess:") and the first 6 characters of the session ID
// after it, then "…"; a shorter ID stays whole.
func Key(k string) string {
	cut := strings.LastIndexAny(k, "#:") + 1
	prefix, id := k[:cut], k[cut:]
	if utf8.RuneCountInString(id) <= keep {
		return k
	}
	return prefix + string([]rune(id)[:keep]) + "…"
}
