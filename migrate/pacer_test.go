package migrate

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/testclock"
)

// fakeTime is a clock whose sleeps advance it, so pacing is tested
// without waiting.
type fakeTime struct {
	clock *testclock.Clock
	mu    sync.Mutex
	slept []time.Duration
}

func newFakeTime() *fakeTime { return &fakeTime{clock: testclock.New(time.Unix(1_800_000_000, 0))} }

func (f *fakeTime) pacing() pacing {
	return pacing{now: f.clock.Now, sleep: func(_ context.Context, d time.Duration) error {
		f.mu.Lock()
		f.slept = append(f.slept, d)
		f.mu.Unlock()
		f.clock.Advance(d)
		return nil
	}}
}

func TestPacer(t *testing.T) {
	ft := newFakeTime()
	p := newPacer(10, ft.pacing()) // 10 units a second
	ctx := context.Background()
	// Three writes of 2 units: the first goes at once, the next wait for
	// the 0.2 s the previous booked.
	for range 3 {
		if err := p.take(ctx, 2); err != nil {
			t.Fatal(err)
		}
	}
	// DynamoDB reported the last write cost 5 units, not 2: the next
	// request waits for the difference too.
	p.adjust(3)
	if err := p.take(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Idle time does not build up a burst.
	ft.clock.Advance(time.Minute)
	if err := p.take(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.take(ctx, 1); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, 100 * time.Millisecond}
	if diff := cmp.Diff(want, ft.slept); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if newPacer(0, ft.pacing()) != nil {
		t.Error("a zero rate must not pace")
	}
	var none *pacer
	if err := none.take(ctx, 1e9); err != nil {
		t.Error(err)
	}
}

// TestWriteRate runs a migration paced at 5 write units a second and
// checks it took the time the consumed units call for. One worker: the
// fake clock adds up sleeps, which concurrent workers would overlap.
func TestWriteRate(t *testing.T) {
	db := fake.New()
	ctx := context.Background()
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	big := filler(1500) // 2 write units per rewrite
	for i := range 20 {
		if err := db.PutRaw("sessions", map[string]types.AttributeValue{
			"id":   &types.AttributeValueMemberS{Value: "session#" + strconv.Itoa(i)},
			"sess": &types.AttributeValueMemberS{Value: `{"blob":"` + big + `"}`},
		}); err != nil {
			t.Fatal(err)
		}
	}
	ft := newFakeTime()
	start := ft.clock.Now()
	rep, err := Run(ctx, db, valueRepo(t, db, "sessions", codec.Msgpack[anyvalue.Value]()), Config{WriteUnitsPerSecond: 5, Workers: 1, pacing: ft.pacing()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Migrated != 20 || rep.WriteUnits != 40 {
		t.Fatalf("migrated %d records for %.0f units, want 20 for 40", rep.Migrated, rep.WriteUnits)
	}
	// 40 units at 5 a second: the last write starts after 38 units' worth.
	if got, want := ft.clock.Now().Sub(start), 38*time.Second/5; got != want {
		t.Errorf("paced run took %v, want %v", got, want)
	}
}

func filler(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return string(b)
}
