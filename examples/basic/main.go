// Command basic shows a typed session repository end to end on the embedded
// in-memory DynamoDB (package fake): no AWS account, no server.
//
//	go run ./examples/basic
//
// Point the same code at real DynamoDB by passing a *dynamodb.Client
// instead of the fake.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/ttl"
)

// Cart is the session: a plain Go struct, typed end to end.
type Cart struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

func main() {
	ctx := context.Background()
	db := fake.New("sessions") // a ready session table, on a clock this demo moves
	repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) {
		o.Codec = codec.Msgpack[Cart]()          // smallest records
		o.TTL = ttl.Sliding(14 * 24 * time.Hour) // two weeks idle timeout
		o.Touch = ttl.TouchAfter(time.Hour)      // at most one expiry write an hour
	})
	if err != nil {
		log.Fatal(err)
	}

	// Login: create the session.
	if _, err := repo.Put(ctx, "a1b2c3", Cart{User: "ada"}); err != nil {
		log.Fatal(err)
	}

	// A page that changes the cart: Get, modify, Save (one write).
	s, err := repo.Get(ctx, "a1b2c3")
	if err != nil {
		log.Fatal(err)
	}
	s.Data.Items = append(s.Data.Items, "book")
	if err := repo.Save(ctx, s); err != nil {
		log.Fatal(err)
	}

	// Page views that only read: Save and Touch send nothing.
	for range 3 {
		db.Advance(10 * time.Minute)
		s, err := repo.Get(ctx, "a1b2c3")
		if err != nil {
			log.Fatal(err)
		}
		_ = repo.Save(ctx, s) // unchanged: no request
		touched, _ := repo.Touch(ctx, s)
		fmt.Printf("%s: %s has %v, touched=%v\n", db.Now().Format("15:04"), s.Data.User, s.Data.Items, touched)
	}

	// Two hours later the touch policy pays for one write to slide the expiry.
	db.Advance(2 * time.Hour)
	s, _ = repo.Get(ctx, "a1b2c3")
	touched, _ := repo.Touch(ctx, s)
	fmt.Printf("%s: touched=%v, expires %s\n", db.Now().Format("15:04"), touched, s.ExpiresAt.UTC().Format(time.DateOnly))

	// Logout.
	if err := repo.Delete(ctx, "a1b2c3"); err != nil {
		log.Fatal(err)
	}
	if _, err := repo.Get(ctx, "a1b2c3"); errors.Is(err, dynamosession.ErrNotFound) {
		fmt.Println("after logout: session not found")
	}

	st := db.Stats()
	fmt.Printf("requests: %d GetItem, %d PutItem, %d UpdateItem, %d DeleteItem; %.1f read units, %.0f write units\n",
		st.Calls["GetItem"], st.Calls["PutItem"], st.Calls["UpdateItem"], st.Calls["DeleteItem"], st.ReadUnits, st.WriteUnits)
}
