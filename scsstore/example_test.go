package scsstore_test

import (
	"fmt"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/scsstore"
	"github.com/dynamosession/dynamosession/ttl"
)

// A store on the in-memory DynamoDB, driven as scs drives it. With scs:
// sessionManager.Store = store.
func Example() {
	db := fake.New("sessions")
	repo, err := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
		o.Codec = codec.Msgpack[scsstore.Record]()
		o.TTL = ttl.Sliding(24 * time.Hour) // scs's default Lifetime
	})
	if err != nil {
		panic(err)
	}
	store, err := scsstore.New(repo)
	if err != nil {
		panic(err)
	}

	token := "pDtAqrKHH7tWsnRu0vgfVuVFBpn9jXmsAFbuIA1w0tE"
	if err := store.Commit(token, []byte("scs bytes"), time.Now().Add(time.Hour)); err != nil {
		panic(err)
	}
	b, found, err := store.Find(token)
	fmt.Printf("%q %v %v\n", b, found, err)
	fmt.Println(store.Delete(token))
	_, found, _ = store.Find(token)
	fmt.Println(found)
	// Output:
	// "scs bytes" true <nil>
	// <nil>
	// false
}
