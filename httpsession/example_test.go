package httpsession_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/httpsession"
)

// Session is what the example app keeps per visitor.
type Session struct {
	User string `json:"user"`
}

// The login flow of a small app, on the in-memory DynamoDB: anonymous
// pages cost nothing, the login is one write, later pages one read each.
func Example() {
	db := fake.New("sessions")
	repo, err := dynamosession.New[Session](db, "sessions")
	if err != nil {
		panic(err)
	}
	sessions, err := httpsession.New(repo)
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		user := httpsession.Get[Session](r).Data.User
		if user == "" {
			user = "stranger"
		}
		fmt.Fprintf(w, "hello, %s", user)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := httpsession.Get[Session](r)
		s.Regenerate() // a new ID with the new privilege
		s.Data.User = r.FormValue("user")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		httpsession.Get[Session](r).Destroy()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})

	srv := httptest.NewTLSServer(sessions.Handler(mux)) // cookies are Secure
	defer srv.Close()
	client := srv.Client()
	client.Jar, _ = cookiejar.New(nil)
	show := func(res *http.Response, err error) {
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		st := db.Stats()
		fmt.Printf("%-22s DynamoDB calls so far: %d get, %d put, %d update, %d delete\n",
			b, st.Calls["GetItem"], st.Calls["PutItem"], st.Calls["UpdateItem"], st.Calls["DeleteItem"])
	}

	show(client.Get(srv.URL + "/"))
	show(client.PostForm(srv.URL+"/login", url.Values{"user": {"ada"}}))
	show(client.Get(srv.URL + "/"))
	show(client.Post(srv.URL+"/logout", "text/plain", strings.NewReader("")))
	show(client.Get(srv.URL + "/"))
	// Output:
	// hello, stranger        DynamoDB calls so far: 0 get, 0 put, 0 update, 0 delete
	// hello, ada             DynamoDB calls so far: 1 get, 1 put, 0 update, 0 delete
	// hello, ada             DynamoDB calls so far: 2 get, 1 put, 0 update, 0 delete
	// hello, stranger        DynamoDB calls so far: 3 get, 1 put, 0 update, 1 delete
	// hello, stranger        DynamoDB calls so far: 3 get, 1 put, 0 update, 1 delete
}
