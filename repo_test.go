package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// newFake returns a fake DynamoDB with a "sessions" table.
func newFake(t testing.TB) *fake.DB {
	t.Helper()
	db := fake.New()
	if err := createSessions(db); err != nil {
		t.Fatal(err)
	}
	return db
}

func createSessions(db *fake.DB) error {
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	return err
}

func TestNewRejectsBadOptions(t *testing.T) {
	db := fake.New()
	tests := []struct {
		name  string
		table string
		opt   func(*dynamosession.Options[cart])
		want  string
	}{
		{"empty table", "", nil, "table name"},
		{"touch not shorter than ttl", "sessions", func(o *dynamosession.Options[cart]) {
			o.TTL = ttl.Sliding(time.Hour)
			o.Touch = ttl.TouchAfter(time.Hour)
		}, "shorter than the TTL"},
		{"attribute clash", "sessions", func(o *dynamosession.Options[cart]) { o.DataAttr = "id" }, "both"},
		{"version clash", "sessions", func(o *dynamosession.Options[cart]) { o.Versioned = true; o.VersionAttr = "expires" }, "both"},
		{"negative attempts", "sessions", func(o *dynamosession.Options[cart]) { o.MaxUpdateAttempts = -1 }, "negative"},
		{"negative schema", "sessions", func(o *dynamosession.Options[cart]) { o.Schema = -1 }, "positive"},
		{"upgrade from a future version", "sessions", func(o *dynamosession.Options[cart]) {
			o.Schema = 2
			o.Upgrades = []dynamosession.Upgrade[cart]{dynamosession.UpgradeFrom(3, func(c cart) (cart, error) { return c, nil })}
		}, "versions run from 1"},
		{"two upgrades from one version", "sessions", func(o *dynamosession.Options[cart]) {
			o.Schema = 2
			up := dynamosession.UpgradeFrom(1, func(c cart) (cart, error) { return c, nil })
			o.Upgrades = []dynamosession.Upgrade[cart]{up, up}
		}, "two upgrades"},
		{"zero upgrade", "sessions", func(o *dynamosession.Options[cart]) { o.Upgrades = make([]dynamosession.Upgrade[cart], 1) }, "UpgradeFrom"},
		{"schema clash", "sessions", func(o *dynamosession.Options[cart]) { o.Schema = 2; o.SchemaAttr = "sess" }, "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fns []func(*dynamosession.Options[cart])
			if tt.opt != nil {
				fns = append(fns, tt.opt)
			}
			_, err := dynamosession.New[cart](db, tt.table, fns...)
			if !errors.Is(err, dynamosession.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := dynamosession.New[cart](nil, "sessions"); !errors.Is(err, dynamosession.ErrInvalidOptions) {
		t.Errorf("New(nil client) = %v", err)
	}
	// A Map codec for a type that is not a map or struct cannot work.
	if _, err := dynamosession.New[string](db, "sessions"); !errors.Is(err, dynamosession.ErrInvalidOptions) {
		t.Errorf("New[string] with the Map codec = %v, want ErrInvalidOptions", err)
	}
}

func TestDefaults(t *testing.T) {
	repo, err := dynamosession.New[cart](fake.New(), "sessions")
	if err != nil {
		t.Fatal(err)
	}
	o := repo.Options()
	got := fmt.Sprintf("%s %s %s %s %s %v %v %v %d", o.KeyAttr, o.Prefix, o.DataAttr, o.ExpiresAttr, o.Codec.Format(),
		o.TTL.Lifetime(), o.Touch.Interval(), consistency.Resolve(context.Background(), o.Consistency), o.MaxUpdateAttempts)
	if want := "id session# sess expires map 24h0m0s 2h24m0s false 10"; got != want {
		t.Errorf("defaults = %q, want %q", got, want)
	}
}

// TestDefaultTouchFromTTL checks that a repository given only a TTL gets
// a touch interval of a tenth of it, whatever the TTL, and that an
// interval the user sets is kept.
func TestDefaultTouchFromTTL(t *testing.T) {
	tests := []struct {
		name  string
		ttl   time.Duration
		touch ttl.Throttle // nil: the default
		want  time.Duration
	}{
		{"an hour", time.Hour, nil, 6 * time.Minute},
		{"14 days", 14 * 24 * time.Hour, nil, 33*time.Hour + 36*time.Minute},
		{"a minute", time.Minute, nil, 6 * time.Second},
		{"14 days, touch set", 14 * 24 * time.Hour, ttl.TouchAfter(time.Hour), time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, err := dynamosession.New[cart](fake.New(), "sessions", func(o *dynamosession.Options[cart]) {
				o.TTL = ttl.Sliding(tt.ttl)
				o.Touch = tt.touch
			})
			if err != nil {
				t.Fatalf("New with TTL %v: %v", tt.ttl, err)
			}
			if got := repo.Options().Touch.Interval(); got != tt.want {
				t.Errorf("touch interval %v, want %v", got, tt.want)
			}
		})
	}
	// The derived interval is what Touch obeys: with a one-hour TTL, a
	// session read 5 minutes after its write is not touched, one read 6
	// minutes after is.
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	repo, err := dynamosession.New[cart](newFake(t), "sessions", func(o *dynamosession.Options[cart]) {
		o.TTL = ttl.Sliding(time.Hour)
		o.Clock = func() time.Time { return now }
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := repo.Put(ctx, "a", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		want  bool
	}{{5 * time.Minute, false}, {time.Minute, true}} {
		now = now.Add(step.after)
		s, err := repo.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if touched, err := repo.Touch(ctx, s); err != nil || touched != step.want {
			t.Errorf("Touch at %s = %v, %v; want %v", now.Format(time.TimeOnly), touched, err, step.want)
		}
	}
}

func TestExpiresForms(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		stored  string
		wantErr bool
		want    int64 // unix seconds
	}{
		{"integer seconds", "1800003600", false, 1800003600},
		{"fractional seconds (connect-dynamodb 3.0.3+)", "1800003600.25", false, 1800003600},
		{"milliseconds (old connect-dynamodb)", "1800003600250", false, 1800003600},
		{"not a number", "soon", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newFake(t)
			db.PutRaw("sessions", map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "sess:x"},
				"sess":    &types.AttributeValueMemberS{Value: `{"user":"u"}`},
				"expires": &types.AttributeValueMemberN{Value: tt.stored},
			})
			repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
				o.Prefix = "sess:"
				o.Clock = func() time.Time { return now }
			})
			s, err := repo.Get(context.Background(), "x")
			if tt.wantErr {
				var de *dynamosession.DecodeError
				if !errors.As(err, &de) || de.Attr != "expires" {
					t.Fatalf("Get = %v, want a DecodeError on expires", err)
				}
				return
			}
			if err != nil || s.ExpiresAt.Unix() != tt.want {
				t.Fatalf("Get = %v, %v; want expiry %d", s, err, tt.want)
			}
		})
	}
}

func TestSDKErrorsStayReachable(t *testing.T) {
	db := newFake(t)
	repo, _ := dynamosession.New[cart](db, "sessions")
	db.ThrottleNext("GetItem", 1)
	_, err := repo.Get(context.Background(), "abc")
	var pte *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Fatalf("Get under throttling = %v, want a ProvisionedThroughputExceededException", err)
	}
	if strings.Contains(err.Error(), "abcdefgh") {
		t.Error("error leaks the session ID")
	}

	missing, _ := dynamosession.New[cart](db, "no-such-table")
	var rnf *types.ResourceNotFoundException
	if _, err := missing.Get(context.Background(), "abc"); !errors.As(err, &rnf) {
		t.Fatalf("Get on a missing table = %v, want ResourceNotFoundException", err)
	}
}

func TestContextCanceled(t *testing.T) {
	repo, _ := dynamosession.New[cart](newFake(t), "sessions")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := repo.Put(ctx, "abc", cart{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a canceled context = %v", err)
	}
}

func TestDecodeErrorRedactsID(t *testing.T) {
	db := newFake(t)
	id := "0123456789abcdef0123456789abcdef"
	db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":   &types.AttributeValueMemberS{Value: "session#" + id},
		"sess": &types.AttributeValueMemberBOOL{Value: true},
	})
	repo, _ := dynamosession.New[cart](db, "sessions")
	_, err := repo.Get(context.Background(), id)
	var de *dynamosession.DecodeError
	if !errors.As(err, &de) || de.ID != id {
		t.Fatalf("Get = %v", err)
	}
	if strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), `"012345…"`) {
		t.Errorf("message %q must name the session by a redacted prefix only", err)
	}
}

func TestUpdateErrors(t *testing.T) {
	ctx := context.Background()
	db := newFake(t)
	plain, _ := dynamosession.New[cart](db, "sessions")
	if _, err := plain.Update(ctx, "x", func(*cart) error { return nil }); !errors.Is(err, dynamosession.ErrNotVersioned) {
		t.Errorf("Update on an unversioned repo = %v, want ErrNotVersioned", err)
	}
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Versioned = true
		o.MaxUpdateAttempts = 3
	})
	if _, err := repo.Update(ctx, "missing", func(*cart) error { return nil }); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Errorf("Update of a missing session = %v, want ErrNotFound", err)
	}
	if _, err := repo.Put(ctx, "x", cart{}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := repo.Update(ctx, "x", func(c *cart) error { c.Count = 99; return boom }); !errors.Is(err, boom) {
		t.Errorf("Update whose fn fails = %v, want boom", err)
	}
	// A competing writer inside every attempt: the retries run out.
	attempts := 0
	_, err := repo.Update(ctx, "x", func(c *cart) error {
		attempts++
		other, err := repo.Get(ctx, "x")
		if err != nil {
			return err
		}
		other.Data.User = fmt.Sprint("rival ", attempts)
		if err := repo.Save(ctx, other); err != nil {
			return err
		}
		c.Count++
		return nil
	})
	if !errors.Is(err, dynamosession.ErrConflict) || attempts != 3 || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("Update under constant conflict = %v after %d attempts, want ErrConflict after 3", err, attempts)
	}
	s, _ := repo.Get(ctx, "x")
	if s.Data.Count != 0 {
		t.Errorf("a failed Update wrote: count = %d", s.Data.Count)
	}
}

func TestObserver(t *testing.T) {
	db := newFake(t)
	var calls []dynamosession.Call
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Observer = func(c dynamosession.Call) { calls = append(calls, c) }
	})
	ctx := context.Background()
	_, _ = repo.Put(ctx, "abc", cart{User: "ada"})
	_, _ = repo.Get(ctx, "abc")
	_ = repo.Delete(ctx, "abc")
	var ops []string
	for _, c := range calls {
		if c.Consumed == nil || c.Consumed.CapacityUnits == nil || c.Table != "sessions" || c.Err != nil {
			t.Errorf("call %+v lacks consumed capacity or table", c)
		}
		ops = append(ops, c.Op)
	}
	if got := strings.Join(ops, ","); got != "PutItem,GetItem,DeleteItem" {
		t.Errorf("observed %s", got)
	}
}

func TestSaveRequiresGet(t *testing.T) {
	repo, _ := dynamosession.New[cart](newFake(t), "sessions")
	if err := repo.Save(context.Background(), &dynamosession.Session[cart]{ID: "x"}); err == nil {
		t.Error("Save of a session not read by Get succeeded")
	}
	if _, err := repo.Touch(context.Background(), nil); err == nil {
		t.Error("Touch(nil) succeeded")
	}
}

func TestEncodeError(t *testing.T) {
	type bad struct {
		V any `json:"v"`
	}
	repo, err := dynamosession.New[bad](newFake(t), "sessions", func(o *dynamosession.Options[bad]) { o.Codec = codec.JSON[bad]{} })
	if err != nil {
		t.Fatal(err)
	}
	var ee *dynamosession.EncodeError
	if _, err := repo.Put(context.Background(), "x", bad{V: make(chan int)}); !errors.As(err, &ee) {
		t.Fatalf("Put of a channel = %v, want *EncodeError", err)
	}
}

// Example shows the life of one session on the in-memory fake.
func Example() {
	ctx := context.Background()
	db := fake.New()
	_ = createSessions(db)

	type Cart struct {
		User  string   `json:"user"`
		Items []string `json:"items"`
	}
	repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) {
		o.Codec = codec.Msgpack[Cart]{}
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
	db := fake.New()
	_ = createSessions(db)
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
	db := fake.New()
	_ = createSessions(db)
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Versioned = true })
	_, _ = repo.Put(ctx, "id-1", cart{})
	s, err := repo.Update(ctx, "id-1", func(c *cart) error {
		c.Count++
		return nil
	})
	fmt.Println(s.Data.Count, s.Version, err)
	// Output: 1 2 <nil>
}

// TestExclusiveCodecTrustsBytes pins down the trade-off of
// codec.JSON.Exclusive: a record another program wrote in the same format
// (connect-dynamodb's key order) reads as changed, and the first Save
// rewrites it once; without Exclusive the data is compared and nothing is
// written.
func TestExclusiveCodecTrustsBytes(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprint("exclusive=", exclusive), func(t *testing.T) {
			db := newFake(t)
			db.PutRaw("sessions", map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "sess:x"},
				"sess":    &types.AttributeValueMemberS{Value: `{"count":3,"user":"ada"}`},
				"expires": &types.AttributeValueMemberN{Value: "4000000000"},
			})
			repo, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
				o.Prefix = "sess:"
				o.Codec = codec.JSON[cart]{Exclusive: exclusive}
			})
			if err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(context.Background(), "x")
			if err != nil {
				t.Fatal(err)
			}
			if err := repo.Save(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			want := 0
			if exclusive {
				want = 1
			}
			if got := db.Stats().Calls["UpdateItem"]; got != want {
				t.Errorf("Save of unchanged data wrote %d times, want %d", got, want)
			}
		})
	}
}
