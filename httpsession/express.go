package httpsession

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/dynamosession/dynamosession/express"
)

// expressSessionIndex returns the index path (for reflect.Value's
// FieldByIndex) of the express.Session that t embeds, so that the
// Manager can read and fill in the cookie object of a session type it did
// not define. It refuses a type that does not embed one where Go promotes
// its Cookie field (reflect.VisibleFields leaves out one embedded twice at
// the same depth, as Go does), or that reaches it through a pointer, which
// could be nil when the Manager fills it in.
func expressSessionIndex(t reflect.Type) ([]int, error) {
	want := reflect.TypeFor[express.Session]()
	if t == want {
		return nil, nil
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%v is not a struct", t)
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous && f.Type == reflect.PointerTo(want) {
			return nil, fmt.Errorf("%v embeds *express.Session, which may be nil", t)
		}
		if !f.Anonymous || f.Type != want {
			continue
		}
		for typ, i := t, 0; i < len(f.Index)-1; i++ {
			typ = typ.Field(f.Index[i]).Type
			if typ.Kind() == reflect.Pointer {
				return nil, fmt.Errorf("%v reaches express.Session through the pointer %v, which may be nil", t, typ)
			}
		}
		if err := storedAsCookie(t, f.Index); err != nil {
			return nil, err
		}
		return f.Index, nil
	}
	return nil, fmt.Errorf("%v does not embed express.Session (or embeds it twice at one depth, which promotes neither)", t)
}

// storedAsCookie checks that the express.Session at index in t is what
// encoding/json, and so every codec (they name fields by their json
// tags), stores as the record's "cookie" property, where express-session
// reads it: a JSON name on the embedded field nests it, "-" leaves it
// out, and another field of t named "cookie" in JSON at a shallower depth
// shadows it. It encodes a zero t with a marked cookie object and looks
// for the mark: encoding/json's rules for embedded fields and names are
// the authority, not a copy of them. A t that encoding/json cannot encode
// at all (a custom MarshalJSON that fails on the zero value) is left to
// the codec, which reports it on the first write.
func storedAsCookie(t reflect.Type, index []int) error {
	const mark = "/dynamosession-probe"
	v := reflect.New(t)
	v.Elem().FieldByIndex(index).Addr().Interface().(*express.Session).Cookie = &express.Cookie{Path: mark}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil
	}
	var stored map[string]json.RawMessage
	var c express.Cookie
	if json.Unmarshal(b, &stored) == nil && json.Unmarshal(stored["cookie"], &c) == nil && c.Path == mark {
		return nil
	}
	return fmt.Errorf("%v embeds express.Session, but its cookie object would not be stored as the session's \"cookie\" property, which express-session needs: another field named \"cookie\" in JSON shadows it, or the embedded field has a JSON name or \"-\"", t)
}

// expressSession returns the express.Session embedded in *data, at the
// index path New found.
func (m *Manager[T]) expressSession(data *T) *express.Session {
	return reflect.ValueOf(data).Elem().FieldByIndex(m.expressIndex).Addr().Interface().(*express.Session)
}

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
func cookieLifetime(c *express.Cookie) time.Duration {
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
	return cookieLifetime(m.expressSession(data).Cookie)
}
