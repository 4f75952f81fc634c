package httpsession_test

import (
	"errors"
	"testing"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/express"
	"github.com/dynamosession/dynamosession/fake"
)

// TestExpressSessionStoredAsCookie: New in Express mode refuses a session
// type whose embedded express.Session would not be stored as the record's
// "cookie" property, where express-session reads it: a field of the outer
// type named Cookie or tagged "cookie" shadows it, a JSON name on the
// embedded field nests it, and "-" leaves it out. Such a type used to be
// accepted, and every session Go created made express-session fail on
// load (found by a breaker).
func TestExpressSessionStoredAsCookie(t *testing.T) {
	type Base struct {
		express.Session
		User string `json:"user"`
	}
	type ShadowedByName struct {
		express.Session
		Cookie string `json:"cookie"`
	}
	type ShadowedByUntaggedName struct { // Go shadows it; JSON stores both, as "Cookie" and "cookie"
		express.Session
		Cookie string
	}
	type ShadowedByTag struct {
		express.Session
		Prefs map[string]string `json:"cookie"`
	}
	type ShadowedDeeper struct {
		Base
		Theme string `json:"cookie"`
	}
	type Named struct {
		express.Session `json:"express"`
	}
	type Hidden struct {
		express.Session `json:"-"`
		User            string `json:"user"`
	}
	type Nested struct {
		Base
		Cart []string `json:"cart"`
	}
	type OmitEmpty struct {
		express.Session `json:",omitempty"`
	}
	type unexported struct{ express.Session }
	type ViaUnexported struct {
		unexported
		User string `json:"user"`
	}
	tests := []struct {
		name string
		newM func(db *fake.DB) error
		ok   bool
	}{
		{"by value", newExpressManager[Base], true},
		{"nested", newExpressManager[Nested], true},
		{"tag without a name", newExpressManager[OmitEmpty], true},
		{"through an unexported embedded type", newExpressManager[ViaUnexported], true},
		{"shadowed by a field named Cookie", newExpressManager[ShadowedByName], false},
		{"a field named Cookie under another JSON name", newExpressManager[ShadowedByUntaggedName], true},
		{"shadowed by a field tagged cookie", newExpressManager[ShadowedByTag], false},
		{"shadowed at a shallower depth", newExpressManager[ShadowedDeeper], false},
		{"embedded under a JSON name", newExpressManager[Named], false},
		{"left out of JSON", newExpressManager[Hidden], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.newM(fake.New("sessions"))
			if tt.ok && err != nil {
				t.Errorf("New = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, dynamosession.ErrInvalidOptions) {
				t.Errorf("New = %v, want an error wrapping dynamosession.ErrInvalidOptions", err)
			}
		})
	}
}
