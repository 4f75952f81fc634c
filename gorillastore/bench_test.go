package gorillastore_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/dynamosession/dynamosession/fake"
)

// benchValues is a typical session: a user, a typed cart, a flash.
var benchValues = map[interface{}]interface{}{
	"user":   "ada",
	"cart":   cart{Items: []string{"tea", "milk", "bread"}, Total: 3},
	"_flash": []interface{}{"saved"},
}

// benchSession stores benchValues on the fake and returns a request
// carrying its cookie.
func benchSession(b *testing.B) (*env, *http.Request) {
	fk := fake.New()
	e := newEnv(b, fk, fk)
	br := newBrowser()
	if _, getErr, saveErr := br.save(e.store, func(s *sessions.Session) {
		for k, v := range benchValues {
			s.Values[k] = v
		}
	}); getErr != nil || saveErr != nil {
		b.Fatal(getErr, saveErr)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(br.cookies[sessionName])
	return e, r
}

// BenchmarkLoad is a page view's load: cookie, GetItem on the fake, MAC,
// gob.
func BenchmarkLoad(b *testing.B) {
	e, r := benchSession(b)
	b.ReportAllocs()
	for b.Loop() {
		if s, err := e.store.New(r, sessionName); err != nil || s.IsNew {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveUnchanged is the Save of a page view that changed nothing:
// no request, one gob encoding and, for maps of several entries, a decode
// to compare.
func BenchmarkSaveUnchanged(b *testing.B) {
	e, r := benchSession(b)
	s, err := e.store.New(r, sessionName)
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Save(r, w); err != nil {
			b.Fatal(err)
		}
	}
}
