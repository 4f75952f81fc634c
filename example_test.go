// Examples of the root package's API, run as tests.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// Example shows the life of one session on the in-memory fake.
func Example() {
	ctx := context.Background()
	db := fake.New("sessions")

	type Cart struct {
		User  string   `json:"user"`
		Items []string `json:"items"`
	}
	repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) {
		o.Codec = codec.Msgpack[Cart]()
	})
	if err != nil {
		panic(err)
	}
	_, _ = repo.Put(ctx, "id-1", Cart{User: "ada"})

	s, _ := repo.Get(ctx, "id-1")
	s.Data.Items = append(s.Data.Items, "book")
	_ = repo.Save(ctx, s)

	s, _ = repo.Get(ctx, "id-1")
	fmt.Println(s.Data.User, s.Data.Items, s.Format())

	_ = repo.Delete(ctx, "id-1")
	_, err = repo.Get(ctx, "id-1")
	fmt.Println(errors.Is(err, dynamosession.ErrNotFound))
	// Output:
	// ada [book] msgpack
	// true
}

// ExampleRepo_Touch shows touch throttling: reads inside the interval write
// nothing; the first read after it extends the expiry with one write.
func ExampleRepo_Touch() {
	ctx := context.Background()
	db := fake.New("sessions")
	clock := testclock.New(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.TTL = ttl.Sliding(24 * time.Hour)
		o.Touch = ttl.TouchAfter(time.Hour)
		o.Clock = clock.Now
	})
	_, _ = repo.Put(ctx, "id-1", cart{User: "ada"})
	for _, wait := range []time.Duration{10 * time.Minute, 30 * time.Minute, 30 * time.Minute} {
		clock.Advance(wait)
		s, _ := repo.Get(ctx, "id-1")
		touched, _ := repo.Touch(ctx, s)
		fmt.Println(clock.Now().Format("15:04"), "touched:", touched, "expires:", s.ExpiresAt.UTC().Format("Jan 2 15:04"))
	}
	fmt.Println("UpdateItem requests:", db.Stats().Calls["UpdateItem"])
	// Output:
	// 09:10 touched: false expires: Nov 22 09:00
	// 09:40 touched: false expires: Nov 22 09:00
	// 10:10 touched: true expires: Nov 22 10:10
	// UpdateItem requests: 1
}

// ExampleRepo_Update shows a read-modify-write that retries on conflict.
func ExampleRepo_Update() {
	ctx := context.Background()
	db := fake.New("sessions")
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Versioned = true })
	_, _ = repo.Put(ctx, "id-1", cart{})
	s, err := repo.Update(ctx, "id-1", func(c *cart) error {
		c.Count++
		return nil
	})
	fmt.Println(s.Data.Count, s.Version, err)
	// Output: 1 2 <nil>
}

// meter is a DynamoDB client that asks for each request's consumed
// capacity and adds it up by operation: metrics come from wrapping the
// client a repository calls.
type meter struct {
	dynamosession.API // the client wrapped: *dynamodb.Client in production
	mu                sync.Mutex
	units             map[string]float64
}

func (m *meter) add(op string, cc *types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.units == nil {
		m.units = map[string]float64{}
	}
	if cc != nil { // nil after most errors: DynamoDB charges nothing for them
		m.units[op] += aws.ToFloat64(cc.CapacityUnits)
	}
}

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.GetItem(ctx, in, optFns...)
	if err == nil {
		m.add("GetItem", out.ConsumedCapacity)
	}
	return out, err
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.PutItem(ctx, in, optFns...)
	if err == nil {
		m.add("PutItem", out.ConsumedCapacity)
	}
	return out, err
}

func (m *meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.UpdateItem(ctx, in, optFns...)
	if err == nil {
		m.add("UpdateItem", out.ConsumedCapacity)
	}
	return out, err
}

func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.DeleteItem(ctx, in, optFns...)
	if err == nil {
		m.add("DeleteItem", out.ConsumedCapacity)
	}
	return out, err
}

// ExampleAPI_capacity measures what a session's requests cost by wrapping
// the client: the wrapper asks for ConsumedCapacity, and the repository
// passes it through untouched.
func ExampleAPI_capacity() {
	ctx := context.Background()
	db := fake.New("sessions")
	m := &meter{API: db}
	// The wrapper hides the fake's Now, so the fake's clock is given.
	repo, _ := dynamosession.New[cart](m, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = db.Now })

	_, _ = repo.Put(ctx, "id-1", cart{User: "ada"})
	s, _ := repo.Get(ctx, "id-1")
	s.Data.Items = append(s.Data.Items, "book")
	_ = repo.Save(ctx, s)
	_ = repo.Delete(ctx, "id-1")
	for _, op := range []string{"PutItem", "GetItem", "UpdateItem", "DeleteItem"} {
		fmt.Println(op, m.units[op])
	}
	// Output:
	// PutItem 1
	// GetItem 0.5
	// UpdateItem 1
	// DeleteItem 1
}

// ExampleCacheOptions serves a page load of 1 + 9 requests within 2 s
// from one read, and sees a logout on another instance once the bound has
// passed.
func ExampleCacheOptions() {
	ctx := context.Background()
	db := fake.New("sessions")
	clock := testclock.New(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	web, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Cache.MaxStale = 2 * time.Second
		o.Clock = clock.Now
	})
	other, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clock.Now })

	_, _ = other.Put(ctx, "id-1", cart{User: "ada"}) // login on another instance
	for range 10 {
		s, _ := web.Get(ctx, "id-1")
		_ = s // ... serve the request
		clock.Advance(200 * time.Millisecond)
	}
	fmt.Println("GetItem requests for 10 page requests:", db.Stats().Calls["GetItem"])

	_ = other.Delete(ctx, "id-1") // logout on another instance
	clock.Advance(2 * time.Second)
	_, err := web.Get(ctx, "id-1")
	fmt.Println("after the bound:", err)
	// Output:
	// GetItem requests for 10 page requests: 1
	// after the bound: dynamosession: session not found
}

// ExampleRepo_RevokeOwner: "sign out other devices". The session keeps
// its user in the data; Options.Owner tells the repository where, so the
// owner index lists the user's sessions.
func ExampleRepo_RevokeOwner() {
	ctx := context.Background()
	// A session table with its owner index, as `dynamosession create-table`
	// makes it, and one clock for the fake and the repository.
	db := fake.New("sessions")
	type Session struct {
		UserID string
		Theme  string
	}
	repo, err := dynamosession.New[Session](db, "sessions", func(o *dynamosession.Options[Session]) {
		o.Owner = func(s *Session) string { return s.UserID }
	})
	if err != nil {
		panic(err)
	}
	// Ada signs in on a laptop, a phone and a tablet; someone browses anonymously.
	for _, id := range []string{"laptop-7f3a9c", "phone-2b8e41", "tablet-c05d17"} {
		_, _ = repo.Put(ctx, id, Session{UserID: "ada"})
	}
	_, _ = repo.Put(ctx, "anon-99e1f0", Session{Theme: "dark"})

	current, _ := repo.Get(ctx, "laptop-7f3a9c")
	list, _ := repo.ListOwner(ctx, current.Owner(), current.ID)
	for _, s := range list {
		fmt.Println(s.RedactedID, s.Current)
	}
	rev, err := repo.RevokeOwner(ctx, current.Owner(), current.ID)
	fmt.Println("ended:", rev.Ended, err)
	_, err = repo.Get(ctx, "phone-2b8e41")
	fmt.Println("phone:", err)
	_, err = repo.Get(ctx, "laptop-7f3a9c")
	fmt.Println("laptop:", err)
	// Output:
	// laptop… true
	// phone-… false
	// tablet… false
	// ended: 2 <nil>
	// phone: dynamosession: session not found
	// laptop: <nil>
}
