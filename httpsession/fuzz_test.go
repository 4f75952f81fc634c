package httpsession_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/express"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/internal/expresscookie"
	"github.com/dynamosession/dynamosession/internal/sessionid"
)

// FuzzExpressUnsign: any cookie value either fails with a named error or
// names an ID that signs back to exactly that value.
func FuzzExpressUnsign(f *testing.F) {
	for _, s := range []string{
		expresscookie.Sign("abc", "keyboard cat"),
		express.CookieValue("CFiz2P40O4BkT8CeGwdDPXiAK7PlNw0V", "keyboard cat"),
		"s:", "s:.", "s:a.b.c", "abc", "s%3Aabc.%2F", "%zz", "s:\x00.x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v := expresscookie.DecodeValue(raw)
		id, i, err := expresscookie.Unsign(v, "other", "keyboard cat")
		switch {
		case err != nil:
			if id != "" || i != -1 {
				t.Errorf("Unsign(%q) = %q, %d, %v: want nothing with an error", v, id, i, err)
			}
		case expresscookie.Sign(id, []string{"other", "keyboard cat"}[i]) != v:
			t.Errorf("Unsign(%q) = %q with secret %d, which does not sign back to the value", v, id, i)
		}
	})
}

// FuzzCookieHeader: whatever Cookie header a client sends, the handler
// runs and no error reaches the ErrorHandler (a fresh session, never an
// error page), and it costs at most three reads and their confirmations.
func FuzzCookieHeader(f *testing.F) {
	for _, s := range []string{
		"sid=" + sessionid.New(), "sid=", "sid=a;sid=b", "sid=\"quoted\"", "sid=" + strings.Repeat("x", 5000),
		"connect.sid=s%3Aabc.def", "sid=%00", "=;;=", "sid=héllo",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	db := fake.New()
	createTable(f, db)
	type T = ExpressCart
	repo, err := dynamosession.New[T](db, table)
	if err != nil {
		f.Fatal(err)
	}
	var errs []error
	handlers := map[bool]http.Handler{}
	for _, express := range []bool{false, true} {
		m, err := httpsession.New(repo, func(o *httpsession.Options) {
			if express {
				o.ExpressSecrets = []string{"keyboard cat"}
			}
			o.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { errs = append(errs, err) }
		})
		if err != nil {
			f.Fatal(err)
		}
		handlers[express] = m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpsession.Get[T](r)
			w.WriteHeader(http.StatusNoContent)
		}))
	}
	f.Fuzz(func(t *testing.T, header string, express bool) {
		errs = nil
		db.ResetStats()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", header)
		rec := httptest.NewRecorder()
		handlers[express].ServeHTTP(rec, r)
		if rec.Code != http.StatusNoContent || len(errs) > 0 {
			t.Errorf("Cookie %q: status %d, errors %v; want the handler's 204", header, rec.Code, errs)
		}
		// Three cookies of the name are looked up at most, each with a
		// read and its confirmation.
		if n := db.Stats().Calls["GetItem"]; n > 6 {
			t.Errorf("Cookie %q: %d reads", header, n)
		}
	})
}
