package fake_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
)

// TestNewSessionTables: each name given to New is a session table with
// the repository's default attribute names, created without a trace in
// the stats, on a clock standing at its documented start.
func TestNewSessionTables(t *testing.T) {
	db := fake.New("sessions", "carts")
	ctx := context.Background()
	if diff := cmp.Diff(fake.Stats{Calls: map[string]int{}}, db.Stats()); diff != "" {
		t.Errorf("setup left something in the stats (-want +got):\n%s", diff)
	}
	for _, name := range []string{"sessions", "carts"} {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		tb, ix := out.Table, out.Table.GlobalSecondaryIndexes
		got := []string{
			aws.ToString(tb.KeySchema[0].AttributeName), fmt.Sprint(len(tb.KeySchema)), string(tb.BillingModeSummary.BillingMode),
			string(ttl.TimeToLiveDescription.TimeToLiveStatus), aws.ToString(ttl.TimeToLiveDescription.AttributeName),
			fmt.Sprint(len(ix)), aws.ToString(ix[0].IndexName), aws.ToString(ix[0].KeySchema[0].AttributeName),
			string(ix[0].Projection.ProjectionType), tb.CreationDateTime.Format(time.RFC3339),
		}
		want := []string{"id", "1", "PAY_PER_REQUEST", "ENABLED", "expires", "1", "owner-index", "owner", "KEYS_ONLY", "2025-01-01T00:00:00Z"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
		}
	}
	if out, err := fake.New().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("sessions")}); err == nil {
		t.Errorf("fake.New() holds a table: %v", out.Table)
	}
}

func TestNewPanicsOnATableItCannotMake(t *testing.T) {
	tests := []struct {
		name   string
		tables []string
		want   string
	}{
		{"too short", []string{"x"}, "fake.New: api error ValidationException: 1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"twice", []string{"sessions", "sessions"}, "fake.New: ResourceInUseException: Table already exists: sessions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := func() (msg any) {
				defer func() { msg = recover() }()
				fake.New(tt.tables...)
				return nil
			}()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("panic mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

type cart struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

// TestNewMatchesARepository: the table of fake.New is what a repository
// with default options needs, owners included, and one clock (the DB's)
// drives the repository and the fake. If the repository's defaults
// change, this fails until New follows them.
func TestNewMatchesARepository(t *testing.T) {
	ctx := context.Background()
	db := fake.New("sessions")
	repo, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Clock = db.Now
		o.Owner = func(c *cart) string { return c.User }
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Put(ctx, "anonymous", cart{Items: []string{"tea"}}); err != nil {
		t.Fatal(err)
	}
	if st := db.Stats(); st.WriteUnits != 1 {
		t.Errorf("an anonymous session cost %v write units, want 1 (none for the owner index); calls:\n%s", st.WriteUnits, strings.Join(db.Calls(), "\n"))
	}
	if _, err := repo.Put(ctx, "ada-1", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	list, err := repo.ListOwner(ctx, "ada", "")
	if err != nil || len(list) != 1 {
		t.Fatalf("ListOwner = %v, %v; want ada's one session; calls:\n%s", list, err, strings.Join(db.Calls(), "\n"))
	}
	db.Advance(25 * time.Hour) // past the default TTL of a day
	if _, err := repo.Get(ctx, "anonymous"); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Errorf("Get after the TTL = %v, want ErrNotFound", err)
	}
}

// TestExpiredItemsStay: DynamoDB deletes expired items at a time of its
// choosing, often days later; the fake never does, so code under test
// meets the expired items a real table still holds.
func TestExpiredItemsStay(t *testing.T) {
	db := fake.New("sessions")
	expired := fmt.Sprint(db.Now().Add(-time.Minute).Unix())
	mustPut(t, db, "sessions", item{"id": s("old"), "expires": n(expired)})
	db.Advance(30 * 24 * time.Hour)
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("old")}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(item{"id": s("old"), "expires": n(expired)}, out.Item, avCmp); diff != "" {
		t.Errorf("expired item mismatch (-want +got):\n%s", diff)
	}
}
