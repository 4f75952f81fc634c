package gorillastore_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/sessions"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/gorillastore"
)

// The store satisfies gorilla's own interface.
var _ sessions.Store = (*gorillastore.Store)(nil)

func TestNewRefuses(t *testing.T) {
	db := fake.New()
	repo, err := dynamosession.New[gorillastore.Record](db, "sessions")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		repo     *dynamosession.Repo[gorillastore.Record]
		keyPairs [][]byte
		want     error
		wantText string
	}{
		{name: "nil repository", keyPairs: [][]byte{hashKey}, want: dynamosession.ErrInvalidOptions},
		{name: "no keys", repo: repo, want: gorillastore.ErrInvalidKeys, wantText: "GenerateRandomKey(32)"},
		{name: "short hash key", repo: repo, keyPairs: [][]byte{[]byte("secret")}, want: gorillastore.ErrInvalidKeys, wantText: "hash key 0 is 6 bytes"},
		{name: "short second hash key", repo: repo, keyPairs: [][]byte{hashKey, nil, []byte("old")}, want: gorillastore.ErrInvalidKeys, wantText: "hash key 1 is 3 bytes"},
		{name: "block key of no AES size", repo: repo, keyPairs: [][]byte{hashKey, []byte("0123456789")}, want: gorillastore.ErrInvalidKeys, wantText: "block key 0 is 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := gorillastore.New(tt.repo, tt.keyPairs...)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("New error = %v, want %v saying %q", err, tt.want, tt.wantText)
			}
			if s != nil {
				t.Error("New returned a store with its error")
			}
		})
	}
	for _, keys := range [][][]byte{{hashKey}, {hashKey, blockKey}, {hashKey, nil, otherKey, blockKey[:16]}} {
		if _, err := gorillastore.New(repo, keys...); err != nil {
			t.Errorf("New with %d keys: %v", len(keys), err)
		}
	}
}

// TestRoundTrip stores what gorilla users store and reads it back in the
// next request, on both backends, with and without cookie encryption.
func TestRoundTrip(t *testing.T) {
	since := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	values := map[interface{}]interface{}{
		"user":    "ada",
		"visits":  42,
		"ratio":   0.5,
		"admin":   true,
		"cart":    cart{Items: []string{"tea", "milk"}, Total: 7},
		"profile": &profile{Name: "Ada", Since: since},
		"prefs":   map[string]interface{}{"theme": "dark", "size": 3},
		"raw":     []byte{0, 1, 2},
		"_flash":  []interface{}{"saved"},
		7:         "an int key",
	}
	eachBackend(t, func(t *testing.T, db backend, fk *fake.DB) {
		for _, keys := range []struct {
			name  string
			pairs [][]byte
		}{{"signed", [][]byte{hashKey}}, {"signed and encrypted", [][]byte{hashKey, blockKey}}} {
			t.Run(keys.name, func(t *testing.T) {
				e := newEnv(t, db, fk)
				store := e.newStore(t, keys.pairs...)
				b := newBrowser()
				_, getErr, saveErr := b.save(store, func(s *sessions.Session) {
					for k, v := range values {
						s.Values[k] = v
					}
				})
				if getErr != nil || saveErr != nil {
					t.Fatalf("first request: Get %v, Save %v", getErr, saveErr)
				}
				if strings.Contains(b.cookies[sessionName].Value, "ada") {
					t.Errorf("cookie %q carries session data", b.cookies[sessionName].Value)
				}
				s, err := b.load(store)
				if err != nil || s.IsNew {
					t.Fatalf("second request: Get = IsNew %v, %v; want the stored session", s.IsNew, err)
				}
				if diff := cmp.Diff(values, s.Values); diff != "" {
					t.Errorf("Values mismatch (-want +got):\n%s", diff)
				}
				if len(s.ID) != 43 {
					t.Errorf("ID %q is %d characters, want 43 (32 random bytes, base64url)", s.ID, len(s.ID))
				}
			})
		}
	})
}

// TestCost counts the requests each kind of page view makes, on both
// backends: the store must do the cheap thing gorilla's API allows.
func TestCost(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend, fk *fake.DB) {
		e := newEnv(t, db, fk)
		b := newBrowser()
		step := func(name string, want map[string]int, run func()) {
			t.Helper()
			e.requests()
			run()
			if diff := cmp.Diff(want, e.requests()); diff != "" {
				t.Errorf("%s: requests mismatch (-want +got):\n%s", name, diff)
			}
		}
		step("a new session left empty is not stored", map[string]int{}, func() {
			if set := b.do(func(w http.ResponseWriter, r *http.Request) {
				s, _ := e.store.Get(r, sessionName)
				if err := s.Save(r, w); err != nil {
					t.Error(err)
				}
			}); len(set) != 0 {
				t.Errorf("empty new session sent cookies %v", set)
			}
		})
		step("login creates the session", map[string]int{"PutItem": 1}, func() {
			b.save(e.store, func(s *sessions.Session) {
				s.Values["user"], s.Values["n"], s.Values["cart"] = "ada", 1, cart{Items: []string{"tea"}}
			})
		})
		step("page views that save unchanged values only read", map[string]int{"GetItem": 5}, func() {
			for range 5 { // gob writes map entries in random order: this compares values
				if _, getErr, saveErr := b.save(e.store, nil); getErr != nil || saveErr != nil {
					t.Fatalf("Get %v, Save %v", getErr, saveErr)
				}
			}
		})
		step("a change is one conditional update", map[string]int{"GetItem": 1, "UpdateItem": 1}, func() {
			b.save(e.store, func(s *sessions.Session) { s.Values["n"] = 2 })
		})
		step("a value changed in place is a change", map[string]int{"GetItem": 1, "UpdateItem": 1}, func() {
			b.save(e.store, func(s *sessions.Session) {
				c := s.Values["cart"].(cart)
				c.Items[0] = "coffee" // the slice is shared with the map's copy
			})
		})
		s, _ := b.load(e.store)
		if got := s.Values["cart"].(cart).Items[0]; got != "coffee" {
			t.Errorf("cart item = %q, want coffee", got)
		}
		step("a read within the touch interval does not touch", map[string]int{"GetItem": 1}, func() {
			e.clock.Advance(59 * time.Minute)
			b.load(e.store)
		})
		step("a read past the touch interval touches once", map[string]int{"GetItem": 2, "UpdateItem": 1}, func() {
			e.clock.Advance(2 * time.Minute)
			b.load(e.store)
			b.load(e.store)
		})
		step("a session read now and then outlives its first TTL", map[string]int{"GetItem": 1, "UpdateItem": 1}, func() {
			e.clock.Advance(23 * time.Hour) // 25h after login, 23h after the touch
			if s, err := b.load(e.store); err != nil || s.IsNew {
				t.Errorf("Get = IsNew %v, %v; want the touched session", s.IsNew, err)
			}
		})
		step("logout (MaxAge < 0) deletes", map[string]int{"GetItem": 1, "DeleteItem": 1}, func() {
			set := b.do(func(w http.ResponseWriter, r *http.Request) {
				s, _ := e.store.Get(r, sessionName)
				s.Options.MaxAge = -1
				if err := s.Save(r, w); err != nil {
					t.Error(err)
				}
			})
			if len(set) != 1 || set[0].MaxAge >= 0 {
				t.Errorf("logout cookies = %v, want one expired cookie", set)
			}
		})
		if _, ok := b.cookies[sessionName]; ok {
			t.Fatal("browser kept the cookie after logout")
		}
	})
}

// TestDeadCookie: a cookie naming a session that is gone costs a confirmed
// miss (eventual, then strong), and the next save of the empty new
// session clears it so that it costs nothing after.
func TestDeadCookie(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend, fk *fake.DB) {
		e := newEnv(t, db, fk)
		b := newBrowser()
		s, _, _ := b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
		if err := e.repo.Delete(t.Context(), s.ID); err != nil {
			t.Fatal(err)
		}
		e.requests()
		var got *sessions.Session
		set := b.do(func(w http.ResponseWriter, r *http.Request) {
			var err error
			if got, err = e.store.Get(r, sessionName); err != nil {
				t.Errorf("Get: %v", err)
			}
			if err := got.Save(r, w); err != nil {
				t.Errorf("Save: %v", err)
			}
		})
		if !got.IsNew || len(got.Values) != 0 {
			t.Errorf("session of a dead cookie: IsNew %v, Values %v; want a new, empty one", got.IsNew, got.Values)
		}
		if diff := cmp.Diff(map[string]int{"GetItem": 2}, e.requests()); diff != "" {
			t.Errorf("requests mismatch (-want +got):\n%s", diff)
		}
		if len(set) != 1 || set[0].MaxAge >= 0 {
			t.Errorf("cookies = %v, want the dead one expired", set)
		}
		b.load(e.store)
		if diff := cmp.Diff(map[string]int{}, e.requests()); diff != "" {
			t.Errorf("after clearing: requests mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestLoginSurvivesStaleRead: the request right after a login reads a
// replica that has not seen the login's PutItem yet.
func TestLoginSurvivesStaleRead(t *testing.T) {
	fk := fake.New()
	e := newEnv(t, fk, fk)
	b := newBrowser()
	fk.SetReplicaLag(time.Hour)
	b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
	s, err := b.load(e.store)
	if err != nil || s.Values["user"] != "ada" {
		t.Errorf("page after login: user %v, err %v; want ada: the login was lost to an eventually consistent miss", s.Values["user"], err)
	}
	// With strong reads by default there is nothing to confirm.
	strong := newEnv(t, fk, fk, func(o *dynamosession.Options[gorillastore.Record]) { o.Consistency = consistency.Strong })
	b = newBrowser()
	b.save(strong.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
	strong.repo.Delete(t.Context(), b.cookieID(t, strong.store))
	strong.requests()
	b.load(strong.store)
	if diff := cmp.Diff(map[string]int{"GetItem": 1}, strong.requests()); diff != "" {
		t.Errorf("strong repository, dead cookie: requests mismatch (-want +got):\n%s", diff)
	}
}

// cookieID returns the session ID b's cookie names, as the store reads it.
func (b *browser) cookieID(t *testing.T, store *gorillastore.Store) string {
	t.Helper()
	var id string
	b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.New(r, sessionName)
		id = s.ID
	})
	return id
}

// TestBadCookies: a cookie that does not verify is a new session, without
// an error and without a request.
func TestBadCookies(t *testing.T) {
	fk := fake.New()
	e := newEnv(t, fk, fk)
	b := newBrowser()
	b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
	good := b.cookies[sessionName].Value
	tests := []struct {
		name  string
		value string
		store *gorillastore.Store
	}{
		{name: "tampered", value: good[:len(good)-2] + "AA", store: e.store},
		{name: "garbage", value: "not base64 at all!", store: e.store},
		{name: "a bare session ID", value: strings.Repeat("A", 43), store: e.store},
		{name: "signed by a key the store does not hold", value: good, store: e.newStore(t, otherKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser()
			b.cookies[sessionName] = &http.Cookie{Name: sessionName, Value: tt.value}
			e.requests()
			s, err := b.load(tt.store)
			if err != nil || !s.IsNew || s.ID != "" {
				t.Errorf("Get = IsNew %v, ID %q, %v; want a new session and no error", s.IsNew, s.ID, err)
			}
			if diff := cmp.Diff(map[string]int{}, e.requests()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeyRotation: a store whose first key is new opens records and
// cookies of the old key, and rewrites such a record on its next save even
// when nothing changed, so the old key can be retired.
func TestKeyRotation(t *testing.T) {
	fk := fake.New()
	e := newEnv(t, fk, fk)
	b := newBrowser()
	s, _, _ := b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
	id := s.ID

	rotated := e.newStore(t, otherKey, nil, hashKey)
	e.requests()
	if _, getErr, saveErr := b.save(rotated, nil); getErr != nil || saveErr != nil {
		t.Fatalf("rotated store: Get %v, Save %v", getErr, saveErr)
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "UpdateItem": 1}, e.requests()); diff != "" {
		t.Errorf("rotated store re-seals: requests mismatch (-want +got):\n%s", diff)
	}
	retired := e.newStore(t, otherKey)
	s, err := b.load(retired)
	if err != nil || s.ID != id || s.Values["user"] != "ada" {
		t.Errorf("after retiring the old key: ID %q (want %q), user %v, err %v", s.ID, id, s.Values["user"], err)
	}
}

// TestLoadFailureDoesNotReplace: a DynamoDB error while loading must not
// let the handler's save replace the stored session with a new one.
func TestLoadFailureDoesNotReplace(t *testing.T) {
	fk := fake.New()
	e := newEnv(t, fk, fk)
	b := newBrowser()
	b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
	cookie := b.cookies[sessionName].Value
	throttled := &types.ProvisionedThroughputExceededException{Message: new(string)}
	fk.FailNext("GetItem", 1, throttled)
	e.requests()
	s, getErr, saveErr := b.save(e.store, func(s *sessions.Session) { s.Values["cart"] = "tea" })
	if !errors.As(getErr, &throttled) || !s.IsNew {
		t.Errorf("Get = IsNew %v, %v; want a new session and the throttling error", s.IsNew, getErr)
	}
	if !errors.Is(saveErr, gorillastore.ErrNotLoaded) || !errors.As(saveErr, &throttled) {
		t.Errorf("Save error = %v, want ErrNotLoaded wrapping the throttling error", saveErr)
	}
	if diff := cmp.Diff(map[string]int{"GetItem": 1}, e.requests()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	if b.cookies[sessionName].Value != cookie {
		t.Error("the cookie changed")
	}
	if s, err := b.load(e.store); err != nil || s.Values["user"] != "ada" {
		t.Errorf("next request: user %v, err %v; want the session intact", s.Values["user"], err)
	}
}

// TestLogoutWins: a save that finds its session deleted since it was read
// (a logout in another tab) writes nothing and ends the session here too.
func TestLogoutWins(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend, fk *fake.DB) {
		e := newEnv(t, db, fk)
		b := newBrowser()
		created, _, _ := b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "ada" })
		set := b.do(func(w http.ResponseWriter, r *http.Request) {
			s, _ := e.store.Get(r, sessionName)
			if err := e.repo.Delete(r.Context(), s.ID); err != nil { // the other tab
				t.Fatal(err)
			}
			s.Values["cart"] = "tea"
			if err := s.Save(r, w); err != nil {
				t.Errorf("Save = %v, want nil: the logout wins", err)
			}
		})
		if len(set) != 1 || set[0].MaxAge >= 0 {
			t.Errorf("cookies = %v, want the session's cookie expired", set)
		}
		if item := e.rawItem(t, created.ID); item != nil {
			t.Errorf("the deleted session was recreated: %v", item)
		}
	})
}

// TestVersionedConflict: with a versioned repository, the later of two
// concurrent saves fails instead of erasing the earlier one.
func TestVersionedConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend, fk *fake.DB) {
		e := newEnv(t, db, fk, func(o *dynamosession.Options[gorillastore.Record]) { o.Versioned = true })
		b := newBrowser()
		b.save(e.store, func(s *sessions.Session) { s.Values["n"] = 0 })
		var saveErr error
		b.do(func(w http.ResponseWriter, r1 *http.Request) {
			first, _ := e.store.New(r1, sessionName)
			b.do(func(w2 http.ResponseWriter, r2 *http.Request) {
				second, _ := e.store.New(r2, sessionName)
				second.Values["n"] = 2
				if err := second.Save(r2, w2); err != nil {
					t.Fatalf("first save: %v", err)
				}
			})
			first.Values["n"] = 1
			saveErr = first.Save(r1, w)
		})
		if !errors.Is(saveErr, dynamosession.ErrConflict) {
			t.Errorf("later save error = %v, want ErrConflict", saveErr)
		}
		if s, _ := b.load(e.store); s.Values["n"] != 2 {
			t.Errorf("stored n = %v, want 2 (the earlier save)", s.Values["n"])
		}
	})
}

// TestTooLarge: Values over MaxLength are refused before any request.
func TestTooLarge(t *testing.T) {
	fk := fake.New()
	e := newEnv(t, fk, fk)
	e.store.MaxLength = 1000
	b := newBrowser()
	e.requests()
	_, _, err := b.save(e.store, func(s *sessions.Session) { s.Values["blob"] = strings.Repeat("x", 1000) })
	if !errors.Is(err, gorillastore.ErrTooLarge) {
		t.Errorf("Save error = %v, want ErrTooLarge", err)
	}
	if diff := cmp.Diff(map[string]int{}, e.requests()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

// TestSaveErrors: what gob cannot encode is an error naming the likely
// cause, and nothing is written.
func TestSaveErrors(t *testing.T) {
	type unregistered struct{ A int }
	fk := fake.New()
	e := newEnv(t, fk, fk)
	b := newBrowser()
	e.requests()
	_, _, err := b.save(e.store, func(s *sessions.Session) { s.Values["x"] = unregistered{1} })
	if err == nil || !strings.Contains(err.Error(), "gob.Register") {
		t.Errorf("Save error = %v, want one that mentions gob.Register", err)
	}
	if diff := cmp.Diff(map[string]int{}, e.requests()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}
