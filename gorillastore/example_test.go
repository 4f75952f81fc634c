package gorillastore_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/gorillastore"
	"github.com/dynamosession/dynamosession/ttl"
)

// A store on the in-memory DynamoDB, used through gorilla's API: a login
// that stores a value, then a page view that reads it, each a request.
func Example() {
	db := fake.New("sessions")
	repo, err := dynamosession.New[gorillastore.Record](db, "sessions", func(o *dynamosession.Options[gorillastore.Record]) {
		o.Codec = codec.Msgpack[gorillastore.Record]()
		o.TTL = ttl.Sliding(7 * 24 * time.Hour) // how long an idle session lives
	})
	if err != nil {
		panic(err)
	}
	hashKey := []byte("an example key; use 32 random bytes") // securecookie.GenerateRandomKey(32)
	store, err := gorillastore.New(repo, hashKey)
	if err != nil {
		panic(err)
	}

	login := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	session, _ := store.Get(r, "session")
	session.Values["user"] = "ada"
	if err := session.Save(r, login); err != nil {
		panic(err)
	}

	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(login.Result().Cookies()[0])
	session, err = store.Get(r, "session")
	fmt.Println(session.Values["user"], session.IsNew, err)
	fmt.Printf("%+v\n", db.Stats())
	// Output:
	// ada false <nil>
	// {ReadUnits:0.5 WriteUnits:1 Calls:map[GetItem:1 PutItem:1]}
}
