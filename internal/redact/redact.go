// Package redact shortens session IDs and keys for text that ends up in
// errors, terminals and logs: a session ID is a bearer credential. The
// repository's errors, its owner listings and the migration and CLI
// reports all shorten by this one rule.
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
	return k[:cut] + ID(k[cut:])
}

// ID returns the first 6 characters of a session ID, then "…"; a shorter
// ID stays whole.
func ID(id string) string {
	if utf8.RuneCountInString(id) <= keep {
		return id
	}
	return string([]rune(id)[:keep]) + "…"
}
