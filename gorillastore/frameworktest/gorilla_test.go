package frameworktest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/dynamosession/dynamosession/gorillastore"
)

// gorillaApp uses gorilla/sessions' own API on net/http: store.Get through
// the request's registry, flashes, and sessions.Save saving every session
// of the request at once. Its page view saves on every request, as many
// gorilla apps do: that costs a write only when something changed (here,
// a flash read once).
func gorillaApp(store *gorillastore.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "sid")
		user, ok := s.Values["user"].(string)
		flashes := s.Flashes()
		if err := sessions.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if !ok {
			fmt.Fprint(w, "anonymous")
			return
		}
		fmt.Fprintf(w, "%s: %s %v", user, fmtItems(s.Values["cart"].(Cart).Items), flashes)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "sid")
		s.Values["user"] = "ada"
		s.Values["cart"] = Cart{Items: []string{}}
		s.AddFlash("welcome")
		done(w, sessions.Save(r, w))
	})
	mux.HandleFunc("POST /add", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "sid")
		cart := s.Values["cart"].(Cart)
		cart.Items = append(cart.Items, r.URL.Query().Get("item"))
		cart.Total++
		s.Values["cart"] = cart
		done(w, sessions.Save(r, w))
	})
	mux.HandleFunc("POST /save-unchanged", func(w http.ResponseWriter, r *http.Request) {
		store.Get(r, "sid")
		done(w, sessions.Save(r, w))
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "sid")
		s.Options.MaxAge = -1
		done(w, s.Save(r, w))
	})
	return mux
}

func done(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, "ok")
}

func fmtItems(items []string) string { return fmt.Sprint(items) }

func TestGorilla(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		store, _, calls := newStore(t, db)
		visit(t, gorillaApp(store), calls, []step{
			{"GET", "/", "anonymous", map[string]int{}, nil},
			{"POST", "/login", "ok", map[string]int{"PutItem": 1}, nil},
			{"GET", "/", "ada: [] [welcome]", map[string]int{"GetItem": 1, "UpdateItem": 1}, nil}, // the flash goes
			{"GET", "/", "ada: [] []", map[string]int{"GetItem": 1}, nil},
			{"POST", "/add?item=tea", "ok", map[string]int{"GetItem": 1, "UpdateItem": 1}, nil},
			{"GET", "/", "ada: [tea] []", map[string]int{"GetItem": 1}, nil},
			{"POST", "/save-unchanged", "ok", map[string]int{"GetItem": 1}, nil},
			{"POST", "/logout", "ok", map[string]int{"GetItem": 1, "DeleteItem": 1}, nil},
			{"GET", "/", "anonymous", map[string]int{}, nil},
		})
	})
}
