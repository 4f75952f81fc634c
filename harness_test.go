// The harness every test of this package shares: the backends (the fake,
// DynamoDB Local, AWS) with env and newRepo, the contract suite's runner
// (TestContract and the list of contract cases, whose bodies live in the
// file of their operation), the call counters, the fake wrappers that
// inject faults or record requests, and checkGolden, which keeps the
// records Node stores read under codec/testdata/golden (through
// internal/golden and its -update flag, shared by every module).

package dynamosession_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/golden"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
	"github.com/google/go-cmp/cmp"
)

// The contract suite: every behaviour of Repo[T] that the docs promise, run
// unchanged against the in-memory fake and against Amazon's DynamoDB Local.
// Where the two disagree, the fake (or the library) is wrong, never the
// assertion. Capacity is measured by wrapping the client (internal/metered,
// the pattern API's doc describes), from the ConsumedCapacity each backend
// reports, so the same numbers are checked on both.

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

// callLog records the requests repositories send, as a metered client
// reports them: one counter for every test of the package.
type callLog struct {
	mu  sync.Mutex
	log []metered.Call
}

func (l *callLog) observe(c metered.Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, c)
}

// count returns how many requests of op were made ("" for all).
func (l *callLog) count(op string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.log {
		if op == "" || c.Op == op {
			n++
		}
	}
	return n
}

// units returns the read and write units the observed requests consumed.
func (l *callLog) units() (read, write float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.log {
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

func (l *callLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = nil
}

// env is one contract case's world: a backend, a table, a clock, and a log
// of the requests the repositories made.
type env struct {
	client backendClient
	table  string
	clock  *testclock.Clock
	callLog
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
		// The throttle the cases are written for; the default, a tenth
		// of the TTL, is TestDefaultTouchFromTTL's.
		o.Touch = ttl.TouchAfter(time.Hour)
	}
	r, err := dynamosession.New[T](metered.New(e.client, e.observe), e.table, append([]func(*dynamosession.Options[T]){base}, optFns...)...)
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
		runCases(t, client, table, cases)
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

// runCases runs each case in parallel on client's table, each with an env
// of its own.
func runCases(t *testing.T, client backendClient, table string, cases []contractCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// Real time as the base keeps every stored expiry in the
			// future for DynamoDB Local's own TTL sweeper; the repo's
			// clock then only moves forward.
			c.run(t, &env{client: client, table: table, clock: testclock.New(time.Now().Truncate(time.Second))})
		})
	}
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
		{"MapEdgeValuesReadBackAndCostAsSized", testMapEdgeValues},
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

// faultNow is the fixed time of the fault tests: expiries computed from it
// have the same number of digits, so item sizes are exact.
var faultNow = time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)

// faultRepo returns a repository on client that reports its requests to
// calls, with the clock at faultNow.
func faultRepo[T any](t testing.TB, client dynamosession.API, calls *callLog, optFns ...func(*dynamosession.Options[T])) *dynamosession.Repo[T] {
	t.Helper()
	base := func(o *dynamosession.Options[T]) {
		o.Clock = func() time.Time { return faultNow }
	}
	r, err := dynamosession.New[T](metered.New(client, calls.observe), "sessions", append([]func(*dynamosession.Options[T]){base}, optFns...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// versioned turns on Options.Versioned.
func versioned[T any](o *dynamosession.Options[T]) { o.Versioned = true }

// faultStored returns the item under key in the fake's "sessions" table, nil if
// there is none.
func faultStored(db *fake.DB, key string) map[string]types.AttributeValue {
	item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}})
	return item
}

// totalCalls is every request the fake received, whoever sent it.
func totalCalls(db *fake.DB) int {
	n := 0
	for _, k := range db.Stats().Calls {
		n += k
	}
	return n
}

// hookDB is the fake with hooks around each request: before runs as the
// request reaches it, before the fake sees the request, so a test can
// inject a fault into exactly the request it means (Update's write, not its
// read) and know when a call is in flight without guessing; after runs
// once the fake has answered, so a test can act between a read and the
// write that follows it. Either may be nil.
type hookDB struct {
	*fake.DB
	before, after func(op string)
}

func (h *hookDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	h.run(h.before, "GetItem")
	defer h.run(h.after, "GetItem")
	return h.DB.GetItem(ctx, in, optFns...)
}

func (h *hookDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	h.run(h.before, "PutItem")
	defer h.run(h.after, "PutItem")
	return h.DB.PutItem(ctx, in, optFns...)
}

func (h *hookDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	h.run(h.before, "UpdateItem")
	defer h.run(h.after, "UpdateItem")
	return h.DB.UpdateItem(ctx, in, optFns...)
}

func (h *hookDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	h.run(h.before, "DeleteItem")
	defer h.run(h.after, "DeleteItem")
	return h.DB.DeleteItem(ctx, in, optFns...)
}

func (h *hookDB) run(hook func(string), op string) {
	if hook != nil {
		hook(op)
	}
}

// onFirst returns a hook that runs inject once, on the first request of
// kind op.
func onFirst(op string, inject func()) func(string) {
	var once sync.Once
	return func(got string) {
		if got == op {
			once.Do(inject)
		}
	}
}

// put drops the session Repo.Put returns, for tables of operations that
// return only an error.
func put[T any](_ *dynamosession.Session[T], err error) error { return err }

// onBackends runs each case on the fake and on DynamoDB Local, each case
// with its own clock, in one table per backend (as TestContract does).
func onBackends(t *testing.T, cases map[string]func(t *testing.T, e *env)) {
	list := make([]contractCase, 0, len(cases))
	for name, c := range cases {
		list = append(list, contractCase{name, c})
	}
	run := func(t *testing.T, client backendClient) {
		runCases(t, client, dynamotest.CreateTable(t, client, "id", "expires"), list)
	}
	t.Run("fake", func(t *testing.T) { run(t, fake.New()) })
	t.Run("dynamodb-local", func(t *testing.T) { run(t, dynamotest.Client(t)) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func putRawItem(t *testing.T, db *fake.DB, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item}); err != nil {
		t.Fatal(err)
	}
}

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

var timeEqualOpt = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

// checkGolden compares item with codec/testdata/golden/name.json and meta
// with name.meta.json beside it (both rewritten with -update).
// verify.js feeds each such record to the real Node store meta names and
// checks it reads meta's "want".
func checkGolden(t *testing.T, name string, item map[string]types.AttributeValue, meta map[string]any) {
	t.Helper()
	got, err := ddbjson.MarshalItem(item)
	if err != nil {
		t.Fatal(err)
	}
	metaText, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("codec", "testdata", "golden", name)
	golden.Check(t, path+".json", got)
	golden.Check(t, path+".meta.json", append(metaText, '\n'))
}

// cost is the capacity a run of requests consumed, as the backend
// reported it: read and write units of the table, write units of the
// owner index, and the requests by operation.
type cost struct {
	TableRead, TableWrite, Index float64
	Ops                          map[string]int
}

func (c cost) String() string {
	return fmt.Sprintf("table %.1f RU %.1f WU, index %.1f WU, requests %v", c.TableRead, c.TableWrite, c.Index, c.Ops)
}

// spent returns what the requests observed since the last reset cost.
func (e *env) spent() cost {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := cost{Ops: map[string]int{}}
	for _, call := range e.log {
		c.Ops[call.Op]++
		cc := call.Consumed
		if cc == nil {
			continue
		}
		table := aws.ToFloat64(cc.CapacityUnits)
		for _, ix := range cc.GlobalSecondaryIndexes {
			table -= aws.ToFloat64(ix.CapacityUnits)
			if call.Op == "Query" {
				c.TableRead += aws.ToFloat64(ix.CapacityUnits) // an index read
			} else {
				c.Index += aws.ToFloat64(ix.CapacityUnits)
			}
		}
		switch call.Op {
		case "GetItem", "BatchGetItem", "Query":
			c.TableRead += table
		default:
			c.TableWrite += table
		}
	}
	return c
}

// measure resets the log, runs f and returns what it cost.
func (e *env) measure(t *testing.T, f func() error) cost {
	t.Helper()
	e.reset()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	return e.spent()
}

// recordDB is the fake recording the write requests it receives.
type recordDB struct {
	*fake.DB
	mu      sync.Mutex
	puts    []*dynamodb.PutItemInput
	updates []*dynamodb.UpdateItemInput
}

func (r *recordDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	r.mu.Lock()
	r.puts = append(r.puts, in)
	r.mu.Unlock()
	return r.DB.PutItem(ctx, in, optFns...)
}

func (r *recordDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	r.mu.Lock()
	r.updates = append(r.updates, in)
	r.mu.Unlock()
	return r.DB.UpdateItem(ctx, in, optFns...)
}

// lastUpdate returns the attribute names the last UpdateItem named, and
// its update expression.
func (r *recordDB) lastUpdate(t *testing.T) (names []string, update string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) == 0 {
		t.Fatal("no UpdateItem sent")
	}
	in := r.updates[len(r.updates)-1]
	for _, n := range in.ExpressionAttributeNames {
		names = append(names, n)
	}
	return names, *in.UpdateExpression
}
