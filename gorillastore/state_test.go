package gorillastore

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
)

// TestStatesDoNotLeak: the store's per-session states go with their
// sessions, whether or not the sessions were saved.
func TestStatesDoNotLeak(t *testing.T) {
	db := fake.New()
	repo, err := dynamosession.New[Record](db, dynamotest.CreateTable(t, db, "id", ""))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(repo, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		s.states.Range(func(any, any) bool { n++; return true })
		return n
	}
	const sessions = 200
	for i := range sessions {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if i%2 == 1 {
			r.AddCookie(&http.Cookie{Name: "sid", Value: "forged"}) // loaded, not saved
		}
		gs, _ := s.New(r, "sid")
		if i%2 == 0 {
			gs.Values["i"] = i
			if err := gs.Save(r, httptest.NewRecorder()); err != nil { // created, saved
				t.Fatal(err)
			}
		}
	}
	if n := count(); n == 0 {
		t.Fatal("no states recorded: the test tests nothing")
	}
	// Cleanups run on their own goroutine after a collection: give them a
	// bounded number of collections, not a time.
	for i := 0; i < 50 && count() > 0; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if n := count(); n > 0 {
		t.Errorf("%d of the states of %d dropped sessions remain", n, sessions)
	}
}
