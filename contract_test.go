package dynamosession_test

// The contract suite: every behaviour of Repo[T] that the docs promise, run
// unchanged against the in-memory fake and against Amazon's DynamoDB Local.
// Where the two disagree, the fake (or the library) is wrong, never the
// assertion. Capacity is measured through Options.Observer, from the
// ConsumedCapacity each backend reports, so the same numbers are checked
// on both.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// cart is the session type of the contract suite.
type cart struct {
	User  string         `json:"user"`
	Items []string       `json:"items"`
	Count int            `json:"count"`
	Meta  map[string]any `json:"meta,omitempty"`
	Blob  []byte         `json:"blob,omitempty"`
}

// backendClient is what the suite needs of a backend: the repository's API
// plus raw table access.
type backendClient interface {
	dynamosession.API
	dynamotest.TableAPI
}

// env is one contract case's world: a backend, a table, a clock, and a log
// of the requests the repositories made.
type env struct {
	client backendClient
	table  string
	clock  *testclock.Clock
	mu     sync.Mutex
	calls  []dynamosession.Call
}

func (e *env) observe(c dynamosession.Call) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, c)
}

// count returns how many requests of op were made ("" for all).
func (e *env) count(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if op == "" || c.Op == op {
			n++
		}
	}
	return n
}

// units returns the read and write units the observed requests consumed.
func (e *env) units() (read, write float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.calls {
		if c.Consumed == nil || c.Consumed.CapacityUnits == nil {
			continue
		}
		if c.Op == "GetItem" {
			read += *c.Consumed.CapacityUnits
		} else {
			write += *c.Consumed.CapacityUnits
		}
	}
	return read, write
}

func (e *env) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = nil
}

// raw reads the stored item directly, strongly consistent.
func (e *env) raw(t *testing.T, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      &e.table,
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: ptr(true),
	})
	if err != nil {
		t.Fatalf("raw GetItem: %v", err)
	}
	return out.Item
}

// putRaw stores an item as another program would.
func (e *env) putRaw(t *testing.T, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := e.client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &e.table, Item: item}); err != nil {
		t.Fatalf("raw PutItem: %v", err)
	}
}

func newRepo[T any](t *testing.T, e *env, optFns ...func(*dynamosession.Options[T])) *dynamosession.Repo[T] {
	t.Helper()
	base := func(o *dynamosession.Options[T]) {
		o.Clock = e.clock.Now
		o.Observer = e.observe
		// The throttle the cases are written for; the default, a tenth
		// of the TTL, is TestDefaultTouchFromTTL's.
		o.Touch = ttl.TouchAfter(time.Hour)
	}
	r, err := dynamosession.New[T](e.client, e.table, append([]func(*dynamosession.Options[T]){base}, optFns...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func newID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }

type contractCase struct {
	name string
	run  func(t *testing.T, e *env)
}

// TestContract runs the contract suite on every backend.
func TestContract(t *testing.T) {
	run := func(t *testing.T, name string, client backendClient, where string, table string) {
		if table == "" {
			table = dynamotest.CreateTable(t, client, "id", "expires")
		}
		cases := append(contractCases(), cacheCases()...)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				// Real time as the base keeps every stored expiry in the
				// future for DynamoDB Local's own TTL sweeper; the repo's
				// clock then only moves forward.
				c.run(t, &env{client: client, table: table, clock: testclock.New(time.Now().Truncate(time.Second))})
			})
		}
		t.Logf("contract suite: %d cases executed on %s (%s)", len(cases), name, where)
	}
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		run(t, "fake", fake.New(), "in memory", "")
	})
	t.Run("dynamodb-local", func(t *testing.T) {
		t.Parallel()
		run(t, "dynamodb-local", dynamotest.Client(t), dynamotest.Endpoint(), "")
	})
	t.Run("aws", func(t *testing.T) {
		t.Parallel()
		client, table := dynamotest.AWSClient(t) // skips unless DYNAMOSESSION_TEST_TABLE is set
		run(t, "aws", client, "table "+table, table)
	})
}

func contractCases() []contractCase {
	return append([]contractCase{
		{"RoundTripEveryCodec", testRoundTripEveryCodec},
		{"GetMissing", testGetMissing},
		{"ExpiredButPresentIsNotFound", testExpiredButPresent},
		{"TouchThrottled", testTouchThrottled},
		{"TouchAfterDeleteDoesNotResurrect", testTouchAfterDelete},
		{"TouchLosingRaceIsNotAnError", testTouchLosesRace},
		{"SaveUnchangedSendsNothing", testSaveUnchanged},
		{"SaveChangedWritesOnce", testSaveChanged},
		{"SaveAfterDeleteDoesNotResurrect", testSaveAfterDelete},
		{"ConsistencyFlags", testConsistency},
		{"InvalidIDsSendNothing", testInvalidIDs},
		{"ItemTooLargeSendsNothing", testItemTooLarge},
		{"DecodeErrorNamesSessionAndKeepsRecord", testDecodeError},
		{"ReadsConnectDynamoDBRecord", testReadsConnectRecord},
		{"MigratesFormatOnChange", testMigratesOnChange},
		{"RewriteOnRead", testRewriteOnRead},
		{"DeleteIsIdempotent", testDelete},
		{"CapacityAtSizeBoundaries", testCapacityBoundaries},
		{"VersionedPutRefusesToReplace", testVersionedPut},
		{"VersionedSaveConflict", testVersionedSaveConflict},
		{"VersionedDeleteSession", testVersionedDeleteSession},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates},
		{"TouchRacingDeleteLeavesDeleted", testTouchRacingDelete},
		{"HuskWithoutDataIsNotFound", testHusk},
		{"CreateReturnsASavableSession", testCreate},
		{"RewriteOnReadOfAMapRecord", testRewriteMapRecord},
		{"SaveAndTouchDoNotReviveExpired", testNoReviveExpired},
		{"SaveIntoAHuskIsNotFound", testSaveIntoHusk},
		{"CapacityOfMapsWithNumbers", testCapacityMapNumbers},
		{"HashedIDsKeepIDsOutOfTheTable", testHashIDs},
		{"StrictFormatsRefusePlainRecords", testStrictFormats},
		{"LegacyExpiriesAgreeWithConditions", testLegacyExpiriesAgree},
		{"SaveConditionAgreesWithReads", testSaveConditionAgreesWithReads},
		{"OutOfRangeExpiryIsKept", testOutOfRangeExpiryIsKept},
		{"DeleteIfUnchangedUnversioned", testDeleteIfUnchangedUnversioned},
		{"KeyRotationCompletesForReadOnlyUsers", testKeyRotationCompletes},
		{"TouchResealNeverUndoesASave", testTouchResealNeverUndoesASave},
		{"VersionedSaveAfterNodeWrite", testVersionedSaveAfterNodeWrite},
		{"SchemaCompatibleChanges", testSchemaCompatibleChanges},
		{"SchemaUpgrade", testSchemaUpgrade},
		{"SchemaUpgradeAtTouch", testSchemaUpgradeAtTouch},
		{"UpgradeOfUndecodableRecords", testUpgradeOfUndecodableRecords},
		{"UpgradeFailureKeepsRecord", testUpgradeFailureKeepsRecord},
	}, ownerContractCases()...)
}

func testRoundTripEveryCodec(t *testing.T, e *env) {
	for _, c := range []codec.Codec[cart]{codec.Map[cart]{}, codec.JSON[cart]{}, codec.Msgpack[cart]{}} {
		t.Run(string(c.Format()), func(t *testing.T) {
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = c })
			id := newID(t)
			want := cart{User: "ada", Items: []string{"book", "pen"}, Count: 2, Meta: map[string]any{"k": "v"}}
			if _, err := repo.Put(context.Background(), id, want); err != nil {
				t.Fatalf("Put: %v", err)
			}
			s, err := repo.Get(context.Background(), id)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if diff := cmp.Diff(want, s.Data); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if s.Format() != c.Format() {
				t.Errorf("Format = %q, want %q", s.Format(), c.Format())
			}
			if want := e.clock.Now().Add(24 * time.Hour).Unix(); s.ExpiresAt.Unix() != want {
				t.Errorf("ExpiresAt = %d, want %d", s.ExpiresAt.Unix(), want)
			}
			stored := e.raw(t, "session#"+id)["expires"].(*types.AttributeValueMemberN).Value
			if stored != fmt.Sprint(e.clock.Now().Add(24*time.Hour).Unix()) {
				t.Errorf("stored expires = %q, want integer seconds", stored)
			}
		})
	}
}

func testGetMissing(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	_, err := repo.Get(context.Background(), newID(t))
	if !errors.Is(err, dynamosession.ErrNotFound) || errors.Is(err, dynamosession.ErrExpired) {
		t.Fatalf("Get = %v, want ErrNotFound (not ErrExpired)", err)
	}
}

func testExpiredButPresent(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	id := newID(t)
	if _, err := repo.Put(context.Background(), id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour) // expires == now: expired
	_, err := repo.Get(context.Background(), id)
	if !errors.Is(err, dynamosession.ErrNotFound) || !errors.Is(err, dynamosession.ErrExpired) {
		t.Fatalf("Get of an expired record = %v, want ErrNotFound and ErrExpired", err)
	}
	if e.raw(t, "session#"+id) == nil {
		t.Fatal("the expired record is gone; the test needs it present")
	}
}

func testTouchThrottled(t *testing.T, e *env) {
	repo := newRepo[cart](t, e) // TouchAfter(1h), Sliding(24h)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(59 * time.Minute)
	e.reset()
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	touched, err := repo.Touch(ctx, s)
	if err != nil || touched {
		t.Fatalf("Touch inside the interval = %v, %v; want false, nil", touched, err)
	}
	if n := e.count("UpdateItem") + e.count("PutItem"); n != 0 {
		t.Fatalf("Touch inside the interval sent %d writes, want 0", n)
	}

	e.clock.Advance(2 * time.Minute)
	e.reset()
	s, err = repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	touched, err = repo.Touch(ctx, s)
	if err != nil || !touched {
		t.Fatalf("Touch past the interval = %v, %v; want true, nil", touched, err)
	}
	if got, want := e.count("UpdateItem"), 1; got != want || e.count("") != 2 {
		t.Fatalf("Touch past the interval sent %d UpdateItem of %d requests, want exactly 1 UpdateItem after 1 GetItem", got, e.count(""))
	}
	want := fmt.Sprint(e.clock.Now().Add(24 * time.Hour).Unix())
	if got := e.raw(t, "session#"+id)["expires"].(*types.AttributeValueMemberN).Value; got != want {
		t.Errorf("stored expires = %s, want %s", got, want)
	}
	if s.ExpiresAt.Unix() != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Errorf("session ExpiresAt not updated: %v", s.ExpiresAt)
	}
	// Touching again at once is inside the new interval.
	if touched, _ := repo.Touch(ctx, s); touched {
		t.Error("second Touch right after a touch wrote again")
	}
}

func testTouchAfterDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	touched, err := repo.Touch(ctx, s)
	if err != nil || touched {
		t.Fatalf("Touch after Delete = %v, %v; want false, nil", touched, err)
	}
	if item := e.raw(t, "session#"+id); item != nil {
		t.Fatalf("Touch resurrected a deleted session: %v", item)
	}
}

func testTouchLosesRace(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	a, _ := repo.Get(ctx, id)
	b, _ := repo.Get(ctx, id)
	b.Data.Count = 7
	if err := repo.Save(ctx, b); err != nil { // a newer write
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	touched, err := repo.Touch(ctx, a)
	if err != nil || touched {
		t.Fatalf("stale Touch = %v, %v; want false, nil", touched, err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil || s.Data.Count != 7 {
		t.Fatalf("after a stale touch: %+v, %v; want the newer data", s, err)
	}
}

func testSaveUnchanged(t *testing.T, e *env) {
	for _, c := range []codec.Codec[cart]{codec.Map[cart]{}, codec.JSON[cart]{}, codec.Msgpack[cart]{}} {
		t.Run(string(c.Format()), func(t *testing.T) {
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = c; o.Versioned = true })
			ctx := context.Background()
			id := newID(t)
			meta := map[string]any{}
			for i := range 20 { // many keys: map order must not matter
				meta[fmt.Sprint("k", i)] = i
			}
			if _, err := repo.Put(ctx, id, cart{User: "ada", Meta: meta}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			if n := e.count(""); n != 0 {
				t.Fatalf("Save of unchanged data sent %d requests, want 0", n)
			}
		})
	}
}

func testSaveChanged(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, id)
	s.Data.Items = append(s.Data.Items, "lamp")
	e.clock.Advance(time.Minute)
	e.reset()
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if e.count("UpdateItem") != 1 || e.count("") != 1 {
		t.Fatalf("Save sent %d requests, want one UpdateItem", e.count(""))
	}
	got, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lamp"}, got.Data.Items); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got.ExpiresAt.Unix() != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Errorf("Save did not refresh the expiry: %v", got.ExpiresAt)
	}
}

func testSaveAfterDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, id)
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	s.Data.Count++
	if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Save after Delete = %v, want ErrNotFound", err)
	}
	if item := e.raw(t, "session#"+id); item != nil {
		t.Fatalf("Save resurrected a deleted session: %v", item)
	}
}

func testConsistency(t *testing.T, e *env) {
	ctx := context.Background()
	id := newID(t)
	eventual := newRepo[cart](t, e)
	strong := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Consistency = consistency.Strong })
	if _, err := eventual.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		repo *dynamosession.Repo[cart]
		ctx  context.Context
		want float64 // read units for an item under 4 KB
	}{
		{"eventual", eventual, ctx, 0.5},
		{"strong", strong, ctx, 1},
		{"eventual repo, strong override", eventual, consistency.WithStrongRead(ctx), 1},
		{"strong repo, eventual override", strong, consistency.WithEventualRead(ctx), 0.5},
	}
	for _, tt := range tests {
		e.reset()
		if _, err := tt.repo.Get(tt.ctx, id); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.units(); got != tt.want {
			t.Errorf("%s: read consumed %v units, want %v", tt.name, got, tt.want)
		}
	}
}

func testInvalidIDs(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	for name, id := range map[string]string{
		"empty":    "",
		"not utf8": "abc\xff",
		"too long": strings.Repeat("x", 2048-len("session#")+1),
	} {
		t.Run(name, func(t *testing.T) {
			e.reset()
			_, err := repo.Get(ctx, id)
			if !errors.Is(err, dynamosession.ErrInvalidID) {
				t.Errorf("Get = %v, want ErrInvalidID", err)
			}
			if _, err := repo.Put(ctx, id, cart{}); !errors.Is(err, dynamosession.ErrInvalidID) {
				t.Errorf("Put = %v, want ErrInvalidID", err)
			}
			if err := repo.Delete(ctx, id); !errors.Is(err, dynamosession.ErrInvalidID) {
				t.Errorf("Delete = %v, want ErrInvalidID", err)
			}
			if n := e.count(""); n != 0 {
				t.Errorf("%d requests sent for an invalid ID", n)
			}
		})
	}
	// The longest valid key works on the backend too.
	id := strings.Repeat("x", 2048-len("session#"))
	if _, err := repo.Put(ctx, id, cart{User: "long"}); err != nil {
		t.Fatalf("Put with a 2048-byte key: %v", err)
	}
	if _, err := repo.Get(ctx, id); err != nil {
		t.Fatalf("Get with a 2048-byte key: %v", err)
	}
}

func testItemTooLarge(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]{} })
	ctx := context.Background()
	id := newID(t)
	e.reset()
	_, err := repo.Put(ctx, id, cart{Blob: make([]byte, capacity.MaxItemBytes)})
	if !errors.Is(err, dynamosession.ErrItemTooLarge) {
		t.Fatalf("Put of a 400 KB blob = %v, want ErrItemTooLarge", err)
	}
	if n := e.count(""); n != 0 {
		t.Fatalf("%d requests sent for an oversized item", n)
	}
	// Just under the limit is accepted by the backend.
	if _, err := repo.Put(ctx, id, cart{Blob: make([]byte, capacity.MaxItemBytes-200)}); err != nil {
		t.Fatalf("Put just under 400 KB: %v", err)
	}
}

func testDecodeError(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.RewriteOnRead = true; o.Codec = codec.Msgpack[cart]{} })
	ctx := context.Background()
	for name, sess := range map[string]types.AttributeValue{
		"number":        &types.AttributeValueMemberN{Value: "12"},
		"corrupt json":  &types.AttributeValueMemberS{Value: `{"user":`},
		"corrupt bytes": &types.AttributeValueMemberB{Value: []byte{0x92, 0x01}},
	} {
		t.Run(name, func(t *testing.T) {
			id := newID(t)
			item := map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#" + id},
				"sess":    sess,
				"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
			}
			e.putRaw(t, item)
			_, err := repo.Get(ctx, id)
			var de *dynamosession.DecodeError
			if !errors.As(err, &de) || de.ID != id || de.Attr != "sess" {
				t.Fatalf("Get = %v, want a *DecodeError naming session %s", err, id)
			}
			if diff := cmp.Diff(item, e.raw(t, "session#"+id), cmpAV); diff != "" {
				t.Errorf("record changed after a decode error (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpAV compares attribute values by their DynamoDB meaning.
var cmpAV = cmp.Comparer(func(a, b types.AttributeValue) bool { return fmt.Sprint(avString(a)) == fmt.Sprint(avString(b)) })

func avString(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		m := map[string]any{}
		for k, e := range v.Value {
			m[k] = avString(e)
		}
		return m
	case *types.AttributeValueMemberL:
		l := []any{}
		for _, e := range v.Value {
			l = append(l, avString(e))
		}
		return l
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B:%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint("BOOL:", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	}
	return fmt.Sprintf("%T", av)
}

// connectItem is a record as connect-dynamodb 3.0.5 writes it: JSON text,
// fractional-second expiry, type marker.
func connectItem(key string, expires time.Time, sessJSON string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"sess":    &types.AttributeValueMemberS{Value: sessJSON},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprintf("%d.437", expires.Unix())},
		"type":    &types.AttributeValueMemberS{Value: "connect-session"},
	}
}

func testReadsConnectRecord(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Prefix = "sess:"; o.Codec = codec.JSON[cart]{} })
	ctx := context.Background()
	id := newID(t)
	e.putRaw(t, connectItem("sess:"+id, e.clock.Now().Add(time.Hour),
		`{"cookie":{"originalMaxAge":86400000,"httpOnly":true,"path":"/"},"user":"ada","count":3}`))
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if s.Data.User != "ada" || s.Data.Count != 3 || s.Format() != codec.FormatJSON {
		t.Fatalf("Get = %+v (%s)", s.Data, s.Format())
	}
	if want := e.clock.Now().Add(time.Hour).Unix(); s.ExpiresAt.Unix() != want {
		t.Errorf("fractional expiry read as %v, want %d", s.ExpiresAt, want)
	}
	// The JSON text differs from ours (the cookie field), the data does not:
	// no write.
	e.reset()
	if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
		t.Fatalf("Save of an unchanged connect-dynamodb record = %v after %d requests, want nil after 0", err, e.count(""))
	}
}

func testMigratesOnChange(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Prefix = "sess:"; o.Codec = codec.Msgpack[cart]{} })
	ctx := context.Background()
	id := newID(t)
	e.putRaw(t, connectItem("sess:"+id, e.clock.Now().Add(time.Hour), `{"user":"ada","count":3}`))
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	e.reset()
	if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
		t.Fatalf("Save of unchanged data in an old format = %v after %d requests, want no request", err, e.count(""))
	}
	s.Data.Count++
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	item := e.raw(t, "sess:"+id)
	if _, ok := item["sess"].(*types.AttributeValueMemberB); !ok {
		t.Errorf("after Save the record is %T, want msgpack (B)", item["sess"])
	}
	if _, ok := item["type"]; ok {
		t.Error("connect-dynamodb's type marker survived the move to msgpack")
	}
	got, err := repo.Get(ctx, id)
	if err != nil || got.Data.Count != 4 || got.Format() != codec.FormatMsgpack {
		t.Fatalf("Get after migration = %+v, %v", got, err)
	}
}

func testRewriteOnRead(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
		o.Prefix = "sess:"
		o.Codec = codec.Msgpack[cart]{}
		o.RewriteOnRead = true
	})
	ctx := context.Background()
	id := newID(t)
	e.putRaw(t, connectItem("sess:"+id, e.clock.Now().Add(time.Hour), `{"user":"ada"}`))
	e.reset()
	s, err := repo.Get(ctx, id)
	if err != nil || s.Data.User != "ada" {
		t.Fatalf("Get = %+v, %v", s, err)
	}
	if e.count("UpdateItem") != 1 {
		t.Fatalf("RewriteOnRead sent %d UpdateItem, want 1", e.count("UpdateItem"))
	}
	if _, ok := e.raw(t, "sess:"+id)["sess"].(*types.AttributeValueMemberB); !ok {
		t.Fatal("record not rewritten as msgpack")
	}
	e.reset()
	if _, err := repo.Get(ctx, id); err != nil || e.count("UpdateItem") != 0 {
		t.Fatalf("second Get = %v with %d writes, want no write", err, e.count("UpdateItem"))
	}
}

func testDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := repo.Delete(ctx, id); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

// testCapacityBoundaries writes items of exact sizes around the 1 KB write
// and 4 KB read boundaries and checks the consumed units both backends
// report against DynamoDB's published rules.
func testCapacityBoundaries(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]{} })
	ctx := context.Background()
	for _, size := range []int{1024, 1025, 4096, 4097, 8192, 8193} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id := newID(t)
			data := sizedCart(t, id, e.clock.Now(), size)
			e.reset()
			if _, err := repo.Put(ctx, id, data); err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Get(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Get(consistency.WithStrongRead(ctx), id); err != nil {
				t.Fatal(err)
			}
			if err := repo.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			read, write := e.units()
			wantRead := capacity.ReadUnits(size, false) + capacity.ReadUnits(size, true)
			wantWrite := 2 * capacity.WriteUnits(size) // Put of a new item, Delete of it
			if read != wantRead || write != wantWrite {
				t.Errorf("%d-byte item: consumed %v read, %v write units; want %v, %v", size, read, write, wantRead, wantWrite)
			}
		})
	}
}

// sizedCart returns a cart whose msgpack item is exactly size bytes by
// DynamoDB's rules.
func sizedCart(t *testing.T, id string, now time.Time, size int) cart {
	t.Helper()
	c := cart{User: "u"}
	size0 := func() int { return capacity.ItemSize(storedItem(t, codec.Msgpack[cart]{}, id, now, &c)) }
	c.Blob = make([]byte, max(0, size-size0()-3))
	for size0() < size {
		c.Blob = append(c.Blob, 0)
	}
	for size0() > size {
		c.Blob = c.Blob[:len(c.Blob)-1]
	}
	if got := size0(); got != size {
		t.Fatalf("cannot build a %d-byte item (got %d)", size, got)
	}
	return c
}

// storedItem is the item a default-configured repository writing with c
// stores for c at now: what the capacity cases size by DynamoDB's rules.
func storedItem(t *testing.T, c codec.Codec[cart], id string, now time.Time, data *cart) map[string]types.AttributeValue {
	t.Helper()
	av, err := c.Encode("", data)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"sess":    av,
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(24 * time.Hour).Unix())},
	}
}

func testVersionedPut(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Put(ctx, id, cart{User: "second"}); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("second versioned Put = %v, want ErrConflict", err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil || s.Data.User != "first" || s.Version != 1 {
		t.Fatalf("after refused Put: %+v v%d, %v", s.Data, s.Version, err)
	}
	// An expired record may be replaced.
	e.clock.Advance(25 * time.Hour)
	if _, err := repo.Put(ctx, id, cart{User: "third"}); err != nil {
		t.Fatalf("versioned Put over an expired record: %v", err)
	}
}

func testVersionedSaveConflict(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	tab1, _ := repo.Get(ctx, id)
	tab2, _ := repo.Get(ctx, id)
	tab1.Data.Items = append(tab1.Data.Items, "from tab 1")
	tab2.Data.Items = append(tab2.Data.Items, "from tab 2")
	if err := repo.Save(ctx, tab1); err != nil {
		t.Fatalf("first Save: %v", err)
	}
	err := repo.Save(ctx, tab2)
	if !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("second Save = %v, want ErrConflict", err)
	}
	// Tab 2 recovers its intent by re-reading and reapplying.
	s, err := repo.Update(ctx, id, func(c *cart) error {
		c.Items = append(c.Items, "from tab 2")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"from tab 1", "from tab 2"}, s.Data.Items); diff != "" {
		t.Errorf("both tabs' intent (-want +got):\n%s", diff)
	}
	if s.Version != 3 {
		t.Errorf("Version = %d, want 3", s.Version)
	}
}

func testVersionedDeleteSession(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	old, _ := repo.Get(ctx, id)
	cur, _ := repo.Get(ctx, id)
	cur.Data.Count = 1
	if err := repo.Save(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if err := repo.DeleteIfUnchanged(ctx, old); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("DeleteIfUnchanged of a stale version = %v, want ErrConflict", err)
	}
	if err := repo.DeleteIfUnchanged(ctx, cur); err != nil {
		t.Fatalf("DeleteIfUnchanged of the current version: %v", err)
	}
	if err := repo.DeleteIfUnchanged(ctx, cur); err != nil {
		t.Fatalf("DeleteIfUnchanged of a deleted session: %v", err)
	}
	if e.raw(t, "session#"+id) != nil {
		t.Fatal("session not deleted")
	}
}

func testConcurrentUpdates(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true; o.MaxUpdateAttempts = 100 })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	const goroutines, increments = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*increments)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range increments {
				if _, err := repo.Update(ctx, id, func(c *cart) error { c.Count++; return nil }); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := repo.Get(consistency.WithStrongRead(ctx), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Data.Count != goroutines*increments || s.Version != goroutines*increments+1 {
		t.Fatalf("count = %d, version = %d; want %d and %d", s.Data.Count, s.Version, goroutines*increments, goroutines*increments+1)
	}
}

func testTouchRacingDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e, func(o *dynamosession.Options[cart]) { o.Touch = ttl.Always() })
	ctx := context.Background()
	for i := range 20 {
		id := newID(t)
		if _, err := repo.Put(ctx, id, cart{}); err != nil {
			t.Fatal(err)
		}
		s, _ := repo.Get(ctx, id)
		e.clock.Advance(time.Second)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = repo.Touch(ctx, s) }()
		go func() { defer wg.Done(); _ = repo.Delete(ctx, id) }()
		wg.Wait()
		if item := e.raw(t, "session#"+id); item != nil {
			t.Fatalf("round %d: a touch racing a delete left %v", i, item)
		}
	}
}

// testHusk: connect-dynamodb's unconditional touch can leave {id, expires}
// behind a logout. It is no session, and a new session may take its key.
func testHusk(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	e.putRaw(t, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
	})
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get of a husk = %v, want ErrNotFound", err)
	}
	if _, err := repo.Put(ctx, id, cart{User: "new"}); err != nil {
		t.Fatalf("versioned Put over a husk: %v", err)
	}
	if s, err := repo.Get(ctx, id); err != nil || s.Data.User != "new" {
		t.Fatalf("Get after Put = %+v, %v", s, err)
	}
}

func testCreate(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true; o.Codec = codec.Msgpack[cart]{} })
	ctx := context.Background()
	id := newID(t)
	s, err := repo.Put(ctx, id, cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.ExpiresAt.Unix() != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Fatalf("Create = version %d, expires %v", s.Version, s.ExpiresAt)
	}
	e.reset()
	if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
		t.Fatalf("Save right after Create = %v after %d requests, want none", err, e.count(""))
	}
	s.Data.Count = 5
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, id)
	if err != nil || got.Data.Count != 5 || got.Version != 2 {
		t.Fatalf("Get after Create+Save = %+v v%d, %v", got.Data, got.Version, err)
	}
}

// testRewriteMapRecord: the rewrite is conditional on the stored value
// being the one read (#d = :old), which DynamoDB must evaluate on a map.
func testRewriteMapRecord(t *testing.T, e *env) {
	ctx := context.Background()
	id := newID(t)
	mapRepo := newRepo[cart](t, e) // writes Map
	if _, err := mapRepo.Put(ctx, id, cart{User: "ada", Meta: map[string]any{"a": 1.0, "b": "x"}}); err != nil {
		t.Fatal(err)
	}
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]{}; o.RewriteOnRead = true })
	e.reset()
	if _, err := repo.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	if e.count("UpdateItem") != 1 {
		t.Fatalf("rewrite sent %d UpdateItem, want 1", e.count("UpdateItem"))
	}
	if _, ok := e.raw(t, "session#"+id)["sess"].(*types.AttributeValueMemberB); !ok {
		t.Fatal("the Map record was not rewritten as msgpack")
	}
}

// testNoReviveExpired: a session held across its expiry can be neither
// saved nor touched back to life.
func testNoReviveExpired(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	s, err := repo.Put(ctx, id, cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(25 * time.Hour)
	before := e.raw(t, "session#"+id)
	s.Data.Count = 1
	if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrExpired) {
		t.Fatalf("Save of an expired session = %v, want ErrExpired", err)
	}
	if touched, err := repo.Touch(ctx, s); touched || err != nil {
		t.Fatalf("Touch of an expired session = %v, %v; want false, nil", touched, err)
	}
	if diff := cmp.Diff(before, e.raw(t, "session#"+id), cmpAV); diff != "" {
		t.Errorf("the expired record changed (-want +got):\n%s", diff)
	}
}

// testSaveIntoHusk: connect-dynamodb's touch can recreate {id, expires}
// after a logout; a Save of the session read before must not fill it.
func testSaveIntoHusk(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, id)
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.putRaw(t, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
	})
	s.Data.Count = 1
	if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Save into a husk = %v, want ErrNotFound", err)
	}
	if _, ok := e.raw(t, "session#"+id)["sess"]; ok {
		t.Fatal("Save revived the session inside the husk")
	}
}

// testCapacityMapNumbers: item sizes of Map records holding negative and
// fractional numbers, exactly at the 1 KB boundary, cost what DynamoDB
// charges (the number rule is DynamoDB's base-100 form, not the Developer
// Guide's approximation).
func testCapacityMapNumbers(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	for _, size := range []int{1024, 1025} {
		id := newID(t)
		c := cart{Meta: map[string]any{"neg": -1.5, "frac": 0.001, "big": 123456.0, "int": -1700000000.0}}
		item := func() map[string]types.AttributeValue { return storedItem(t, codec.Map[cart]{}, id, e.clock.Now(), &c) }
		c.User = strings.Repeat("x", size-capacity.ItemSize(item()))
		if got := capacity.ItemSize(item()); got != size {
			t.Fatalf("built a %d-byte item, want %d", got, size)
		}
		e.reset()
		if _, err := repo.Put(ctx, id, c); err != nil {
			t.Fatal(err)
		}
		if _, write := e.units(); write != capacity.WriteUnits(size) {
			t.Errorf("%d-byte Map item with numbers: Put consumed %v write units, want %v", size, write, capacity.WriteUnits(size))
		}
	}
}

func testHashIDs(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.HashIDs = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	if e.raw(t, "session#"+id) != nil {
		t.Fatal("the session ID is stored in the clear")
	}
	sum := sha256.Sum256([]byte(id))
	if e.raw(t, "session#"+base64.RawURLEncoding.EncodeToString(sum[:])) == nil {
		t.Fatal("no record under the hashed key")
	}
	s, err := repo.Get(ctx, id)
	if err != nil || s.ID != id || s.Data.User != "ada" {
		t.Fatalf("Get = %+v, %v", s, err)
	}
	s.Data.Count = 1
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

func testStrictFormats(t *testing.T, e *env) {
	ctx := context.Background()
	id := newID(t)
	plain := newRepo[cart](t, e) // writes Map
	if _, err := plain.Put(ctx, id, cart{User: "forged"}); err != nil {
		t.Fatal(err)
	}
	strict := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]{}; o.StrictFormats = true })
	_, err := strict.Get(ctx, id)
	var de *dynamosession.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, codec.ErrUnknownFormat) {
		t.Fatalf("strict Get of a Map record = %v, want a *DecodeError wrapping ErrUnknownFormat", err)
	}
	if _, err := strict.Put(ctx, id, cart{User: "real"}); err != nil {
		t.Fatal(err)
	}
	if s, err := strict.Get(ctx, id); err != nil || s.Data.User != "real" {
		t.Fatalf("strict Get of its own format = %+v, %v", s, err)
	}
}
