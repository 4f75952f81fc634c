package frameworktest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/dynamosession/dynamosession/gorillastore"
)

// TestUndecodableSession: a stored session that no longer decodes (here,
// one rewritten by someone without the store's key) never becomes an
// error page in gin or echo: the app logs the error and serves a new
// session, the record stays for inspection, and logging in again creates a
// new session.
func TestUndecodableSession(t *testing.T) {
	apps := []struct {
		name string
		app  func(t *testing.T, store *gorillastore.Store, log io.Writer) http.Handler
	}{
		{"gin", func(t *testing.T, store *gorillastore.Store, log io.Writer) http.Handler {
			// gin-contrib/sessions logs Get errors with slog's default logger.
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewTextHandler(log, nil)))
			t.Cleanup(func() { slog.SetDefault(prev) })
			return ginApp(store)
		}},
		{"echo", func(_ *testing.T, store *gorillastore.Store, log io.Writer) http.Handler {
			e := echoApp(store).(*echo.Echo)
			e.Logger.SetOutput(log)
			return e
		}},
	}
	eachBackend(t, func(t *testing.T, db backend) {
		for _, a := range apps {
			t.Run(a.name, func(t *testing.T) {
				store, repo, calls := newStore(t, db)
				var log bytes.Buffer
				var id string
				corrupt := func(sid *http.Cookie) {
					r := httptest.NewRequest(http.MethodGet, "/", nil)
					r.AddCookie(sid)
					s, err := store.New(r, "sid")
					if err != nil || s.IsNew {
						t.Fatalf("reading the session to corrupt: %v", err)
					}
					id = s.ID
					if _, err := repo.Put(context.Background(), id, gorillastore.Record{Values: []byte("forged"), MAC: make([]byte, 32)}); err != nil {
						t.Fatal(err)
					}
				}
				visit(t, a.app(t, store, &log), calls, []step{
					{"POST", "/login", "ok", map[string]int{"PutItem": 1}, nil},
					{"GET", "/", "anonymous", map[string]int{"GetItem": 1}, corrupt},
					{"POST", "/login", "ok", map[string]int{"GetItem": 1, "PutItem": 1}, nil},
					{"GET", "/", "ada: []", map[string]int{"GetItem": 1}, nil},
					{"POST", "/logout", "ok", map[string]int{"GetItem": 1, "DeleteItem": 1}, nil},
				})
				if !strings.Contains(log.String(), "not authentic") {
					t.Errorf("the app's log does not report the undecodable session:\n%s", log.String())
				}
				s, err := repo.Get(context.Background(), id)
				if err != nil || string(s.Data.Values) != "forged" {
					t.Errorf("the undecodable record: %v, %v; want it left as it was", s, err)
				}
			})
		}
	})
}
