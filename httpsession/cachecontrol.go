package httpsession

import (
	"net/http"
	"strings"
)

// keepFromSharedCaches rewrites h's Cache-Control for a response that
// sets or clears the session cookie, so that no shared cache (a CDN, a
// corporate proxy) stores it and replays one user's session cookie to
// others, whatever the handler said:
//
//   - a response marked no-store is left as it is: nothing stores it;
//   - otherwise the directives that allow a shared cache to store it
//     (public, s-maxage; RFC 9111 sections 5.2.2.9 and 5.2.2.10) are
//     removed and private is added (section 5.2.2.7: a shared cache must
//     not store the response), with no-cache="Set-Cookie" (section
//     5.2.2.4: a cache must not reuse the cookie without revalidating)
//     unless a no-cache directive is already there.
//
// The handler's other directives (max-age for the browser's own cache,
// must-revalidate, …) are kept in their order, spelled as they came.
func keepFromSharedCaches(h http.Header) {
	var kept []string
	private, noCache := false, false
	for _, line := range h.Values("Cache-Control") {
		for _, d := range splitDirectives(line) {
			name, _, _ := strings.Cut(d, "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store":
				return
			case "public", "s-maxage":
				continue
			case "private":
				private = true
			case "no-cache":
				noCache = true
			}
			kept = append(kept, d)
		}
	}
	if !private {
		kept = append(kept, "private")
	}
	if !noCache {
		kept = append(kept, `no-cache="Set-Cookie"`)
	}
	h.Set("Cache-Control", strings.Join(kept, ", "))
}

// splitDirectives splits a Cache-Control value at the commas that separate
// its directives, not at those inside a quoted argument
// (no-cache="Set-Cookie, X-Token"), and trims the spaces around each.
func splitDirectives(v string) []string {
	var out []string
	add := func(d string) {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	quoted, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if quoted {
				i++ // a quoted-pair: the next byte is literal
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				add(v[start:i])
				start = i + 1
			}
		}
	}
	add(v[start:])
	return out
}
