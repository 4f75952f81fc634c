// Command quickstart is the README's quick start, kept here so that it
// compiles with every build. It talks to real DynamoDB through the default
// AWS configuration; for a run without an account, see examples/basic.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/ttl"
)

type Cart struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	repo, err := dynamosession.New[Cart](dynamodb.NewFromConfig(cfg), "sessions", func(o *dynamosession.Options[Cart]) {
		o.Codec = codec.Msgpack[Cart]()          // smallest, fastest records
		o.TTL = ttl.Sliding(14 * 24 * time.Hour) // idle timeout
		o.Touch = ttl.TouchAfter(time.Hour)      // at most one expiry write an hour
	})
	if err != nil {
		log.Fatal(err)
	}

	// Login: create the session (one PutItem).
	if _, err := repo.Put(ctx, "session-id", Cart{User: "ada"}); err != nil {
		log.Fatal(err)
	}
	// A later request: errors.Is(err, dynamosession.ErrNotFound) when the
	// session is missing or expired.
	s, err := repo.Get(ctx, "session-id")
	if err != nil {
		log.Fatal(err)
	}
	s.Data.Items = append(s.Data.Items, "book")
	if err := repo.Save(ctx, s); err != nil { // one write; none if nothing changed
		log.Fatal(err)
	}
	if _, err := repo.Touch(ctx, s); err != nil { // slides the expiry only when due
		log.Fatal(err)
	}
	fmt.Println(s.Data)
	// Logout.
	if err := repo.Delete(ctx, "session-id"); err != nil {
		log.Fatal(err)
	}
}
