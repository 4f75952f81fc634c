package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/reader"
	"github.com/dynamosession/dynamosession/migrate"
)

// client is what the tests need of a backend: the migration's API, item
// writes to seed and to play the application, and table management.
type client interface {
	migrate.API
	dynamotest.TableAPI
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var (
	_ client = (*fake.DB)(nil)
	_ client = (*dynamodb.Client)(nil)
)

// onBackends runs test on the in-memory fake and on DynamoDB Local, each
// with a fresh table.
func onBackends(t *testing.T, test func(t *testing.T, b *backend)) {
	t.Helper()
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		db := fake.New()
		test(t, newBackend(t, "fake", db, db))
	})
	t.Run("dynamodb-local", func(t *testing.T) {
		t.Parallel()
		test(t, newBackend(t, "dynamodb-local", dynamotest.Client(t), nil))
	})
}

// backend is one DynamoDB with a table for a test.
type backend struct {
	name  string
	c     client
	fake  *fake.DB // nil on DynamoDB Local
	table string
}

func newBackend(t *testing.T, name string, c client, db *fake.DB) *backend {
	t.Helper()
	return &backend{name: name, c: c, fake: db, table: dynamotest.CreateTable(t, c, "id", "expires")}
}

// seed stores items as other programs left them: directly in the fake,
// with parallel PutItem calls on DynamoDB Local (which has no faster way
// that the fake shares).
func (b *backend) seed(t *testing.T, items []map[string]types.AttributeValue) {
	t.Helper()
	if b.fake != nil {
		for _, it := range items {
			if err := b.fake.PutRaw(b.table, it); err != nil {
				t.Fatalf("PutRaw: %v", err)
			}
		}
		return
	}
	const writers = 16
	work := make(chan map[string]types.AttributeValue)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				if _, err := b.c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &b.table, Item: it}); err != nil {
					errs <- err
					for range work {
					}
					return
				}
			}
		}()
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("seeding: %v", err)
	}
}

// get reads an item strongly consistently; nil when absent.
func (b *backend) get(t *testing.T, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := b.c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      &b.table,
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem %s: %v", key, err)
	}
	return out.Item
}

// all reads the whole table, strongly consistently, by key.
func (b *backend) all(t *testing.T) map[string]map[string]types.AttributeValue {
	t.Helper()
	items := map[string]map[string]types.AttributeValue{}
	var start map[string]types.AttributeValue
	for {
		out, err := b.c.Scan(context.Background(), &dynamodb.ScanInput{TableName: &b.table, ConsistentRead: aws.Bool(true), ExclusiveStartKey: start})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for _, it := range out.Items {
			items[it["id"].(*types.AttributeValueMemberS).Value] = it
		}
		if out.LastEvaluatedKey == nil {
			return items
		}
		start = out.LastEvaluatedKey
	}
}

// counting wraps a client and counts UpdateItem calls per key: the
// migration's writes. A call that fails may still have been applied (a
// request cancelled in flight reaches DynamoDB all the same), so both
// what was sent and what succeeded are counted.
type counting struct {
	migrate.API
	mu     sync.Mutex
	writes map[string]int // successful UpdateItem calls per key
	sends  map[string]int // UpdateItem calls sent to DynamoDB per key
	before func(key string)
	fail   atomic.Bool // fail the next call without sending it
}

func newCounting(api migrate.API) *counting {
	return &counting{API: api, writes: map[string]int{}, sends: map[string]int{}}
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	key := in.Key["id"].(*types.AttributeValueMemberS).Value
	if c.before != nil {
		c.before(key)
	}
	if c.fail.CompareAndSwap(true, false) {
		return nil, errInjected
	}
	out, err := c.API.UpdateItem(ctx, in, optFns...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sends[key]++
	if err == nil {
		c.writes[key]++
	}
	return out, err
}

// failNext makes the next UpdateItem fail without reaching DynamoDB, as
// fake.FailNext does on the fake.
func (c *counting) failNext() { c.fail.Store(true) }

// total returns the successful writes and the writes sent.
func (c *counting) total() (writes, sends int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.writes {
		writes += w
	}
	for _, s := range c.sends {
		sends += s
	}
	return writes, sends
}

// session is the typed session of the tests: the shape of an
// express-session with a cart, with numbers JSON's float64 would damage.
type session struct {
	Cookie cookie          `json:"cookie"`
	User   string          `json:"user"`
	Visits int             `json:"visits"`
	Big    int64           `json:"big"` // beyond 2^53: exact only if numbers stay text
	Ratio  float64         `json:"ratio"`
	Cart   []line          `json:"cart"`
	Flags  map[string]bool `json:"flags"`
	Note   *string         `json:"note"`
}

type cookie struct {
	OriginalMaxAge int64  `json:"originalMaxAge"`
	Expires        string `json:"expires"`
	HTTPOnly       bool   `json:"httpOnly"`
	Path           string `json:"path"`
}

type line struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

func newSession(i int) session {
	s := session{
		Cookie: cookie{OriginalMaxAge: 86400000, Expires: "2026-11-22T09:00:00.000Z", HTTPOnly: true, Path: "/"},
		User:   "user-" + strconv.Itoa(i),
		Visits: i % 1000,
		Big:    9007199254740993 + int64(i),
		Ratio:  0.1 * float64(i%7),
		Flags:  map[string]bool{"beta": i%2 == 0, "admin": false},
	}
	for j := range i % 4 {
		s.Cart = append(s.Cart, line{SKU: fmt.Sprintf("sku-%d-%d", i, j), Qty: j + 1, Price: 9.99 + float64(j)})
	}
	if i%5 == 0 {
		n := "a note <with> \"quotes\" & ünïcödé"
		s.Note = &n
	}
	return s
}

// nodeJSON is a session as connect-dynamodb writes it, with fields no Go
// type above knows and a number beyond int64.
const nodeJSON = `{"cookie":{"originalMaxAge":86400000,"expires":"2026-11-22T09:00:00.000Z","httpOnly":true,"path":"/"},` +
	`"passport":{"user":"u42"},"big":12345678901234567890,"ratio":0.30000000000000004,"nested":[1,[2,[3,{"deep":true}]]],"empty":{},"nothing":null,"neg":-7}`

// encode stores s in format f as an item with key, expiring at exp.
func encode(t *testing.T, f codec.Format, key string, s session, exp time.Time) map[string]types.AttributeValue {
	t.Helper()
	var (
		av  types.AttributeValue
		err error
	)
	item := map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(exp.Unix(), 10)},
	}
	switch f {
	case codec.FormatJSON:
		av, err = codec.JSON[session]().Encode(key, &s)
		item["type"] = &types.AttributeValueMemberS{Value: "connect-session"}
	case codec.FormatMap:
		av, err = codec.Map[session]().Encode(key, &s)
	case codec.FormatMsgpack:
		av, err = codec.Msgpack[session]().Encode(key, &s)
	default:
		t.Fatalf("no test encoding for %s", f)
	}
	if err != nil {
		t.Fatalf("encoding %s: %v", f, err)
	}
	item["sess"] = av
	return item
}

// canonical decodes a stored data attribute as a generic value and
// writes it as JSON (sorted keys, numbers as their text), so data from any
// format compares with cmp.Diff.
func canonical(t *testing.T, reader *reader.Reader[anyvalue.Value], key string, av types.AttributeValue) string {
	t.Helper()
	var v anyvalue.Value
	if _, err := reader.Decode(key, av, &v); err != nil {
		t.Fatalf("decoding %s: %v", key, err)
	}
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatalf("canonical JSON of %s: %v", key, err)
	}
	return string(b)
}

// diffItems compares two items as DynamoDB JSON text.
func diffItems(t *testing.T, want, got map[string]types.AttributeValue) string {
	t.Helper()
	if want != nil && got != nil && attr.Equal(&types.AttributeValueMemberM{Value: want}, &types.AttributeValueMemberM{Value: got}) {
		return "" // the common case, without formatting both
	}
	w, err1 := ddbjson.MarshalItem(want)
	g, err2 := ddbjson.MarshalItem(got)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("MarshalItem: %v", err)
	}
	return cmp.Diff(string(w), string(g))
}

var errInjected = errors.New("injected fault")

// valueRepo returns a repository of generic values (the command-line
// tool's session type, which holds any shape) in b's table, writing with
// to, for the keys that start with prefix; clock nil is time.Now.
func (b *backend) valueRepo(t *testing.T, prefix string, to codec.Codec[anyvalue.Value], clock func() time.Time) *dynamosession.Repo[anyvalue.Value] {
	t.Helper()
	return newRepo(t, b.c, b.table, func(o *dynamosession.Options[anyvalue.Value]) {
		o.Prefix, o.Codec = prefix, to
		if clock != nil {
			o.Clock = clock
		}
	})
}

// newRepo returns dynamosession.New's repository or ends the test.
func newRepo[T any](t *testing.T, c dynamosession.API, table string, optFns ...func(*dynamosession.Options[T])) *dynamosession.Repo[T] {
	t.Helper()
	r, err := dynamosession.New[T](c, table, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
