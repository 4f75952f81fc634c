// Package fake is an in-memory DynamoDB for unit tests, in the spirit of
// net/http/httptest: a working implementation with inspection hooks, not a
// mock that scripts expected calls.
//
// A [*DB] has the same method signatures as *dynamodb.Client for the
// operations it implements, so code that depends on a small interface of
// those methods accepts either. [NewSessions] makes one holding a table
// ready for a dynamosession repository, and one [Clock] for the fake and
// the code under test to share; a handler test needs two lines of setup:
//
//	db := fake.NewSessions()
//	repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) { o.Clock = db.Clock().Now })
//
// Then db.Clock().Advance(25 * time.Hour) expires sessions for the
// repository, its middleware and the fake's [DB.SweepExpired] alike, and
// a failed assertion can print what the code under test asked of DynamoDB:
//
//	for _, c := range db.Calls() {
//		t.Log(c) // #2 GetItem sessions id=session#…: ok
//	}
//
// [New] makes an empty DB, for tables of other shapes (CreateTable).
//
// # Scope
//
// The fake implements what dynamosession (the repository, httpsession,
// scsstore, migrate and the dynamosession command) sends, and what a test
// of code built on them plausibly sends besides, faithfully; it refuses
// everything else by name, with an error wrapping [ErrNotImplemented],
// never by ignoring a parameter or misreading an expression. That error
// says the test needs a real DynamoDB, not that the request is invalid.
//
// Implemented: GetItem, PutItem, UpdateItem, DeleteItem, BatchGetItem,
// Scan (with Limit, ExclusiveStartKey, Segment and TotalSegments,
// ConsistentRead), Query of a table or of a global secondary index by its
// partition key (with Limit, ExclusiveStartKey, Select), CreateTable (with
// global secondary indexes of any projection), DeleteTable, DescribeTable,
// UpdateTimeToLive and DescribeTimeToLive; in expressions, #name
// placeholders for top-level attributes, :value placeholders, the
// comparisons = <> < <= > >=, AND, OR, NOT, parentheses, attribute_exists
// and attribute_not_exists in conditions, SET (of a value or another
// attribute) and REMOVE in updates, lists of attributes in
// ProjectionExpression, and "#key = :value" in KeyConditionExpression, as
// the SDK's feature/dynamodb/expression package writes them; ReturnValues
// NONE and ALL_OLD (and ALL_NEW on UpdateItem);
// ReturnValuesOnConditionCheckFailure; ReturnConsumedCapacity TOTAL and
// INDEXES, with each index's share.
//
// Not implemented, refused by name: attribute names written bare in an
// expression (use a #name placeholder, which DynamoDB accepts for every
// name, reserved or not); nested document paths (a.b, a[0]); BETWEEN, IN,
// begins_with, contains, size and attribute_type; ADD, DELETE, arithmetic,
// if_not_exists and list_append in updates; sort key conditions and
// ScanIndexForward false in a Query; FilterExpression; Select on a Scan;
// ReturnValues UPDATED_OLD and UPDATED_NEW; a Scan of an index; local
// secondary indexes, streams, encryption settings, tags, table classes;
// the legacy parameters (Expected, AttributeUpdates, KeyConditions,
// QueryFilter, ScanFilter, AttributesToGet, ConditionalOperator).
// BatchWriteItem, transactions, PartiQL and the other operations are not
// methods of a [DB] at all, so code that needs them does not compile
// against it.
//
// Tables are ACTIVE as soon as they are created and gone as soon as they
// are deleted; TTL is ENABLED at once and the fake does not enforce the
// one-hour wait between TTL changes. Provisioned throughput is recorded but
// not enforced: use [DB.ThrottleNext] to test throttling. The SDK's retryer
// is not involved, so an injected throttle reaches the caller on the first
// attempt.
//
// # What is faithful
//
// Where the two disagree, the fake is wrong, not DynamoDB: the fidelity
// tests (fidelity_test.go) run every edge case of what the fake implements
// on the fake and on DynamoDB Local, and assert the same outcome on both.
// In particular the fake:
//
//   - rejects the expressions DynamoDB rejects: syntax errors naming the
//     token, redundant parentheses, undefined or unused placeholders, an
//     attribute updated twice, operands of the wrong type;
//   - enforces the key schema, the 2048-byte partition key and 1024-byte
//     sort key limits, the 400 KB item limit, non-empty key strings and
//     binaries, non-empty sets without duplicates, attribute names and map
//     keys of 1 to 65,535 bytes, 32 levels of nesting, and 38-digit
//     numbers, which it stores in canonical form (leading and trailing
//     zeros trimmed, as AWS documents);
//   - stores strings as DynamoDB receives them from the SDK, whose JSON
//     encoder replaces each byte of invalid UTF-8 with U+FFFD: "caf\xe9" is
//     stored, compared and billed as "caf\uFFFD";
//   - returns the SDK's own error types (*types.ConditionalCheckFailedException,
//     *types.ResourceNotFoundException, …, and *smithy.GenericAPIError with
//     code ValidationException), wrapped in *smithy.OperationError as the
//     SDK wraps them, so errors.As works the same against both;
//   - reports ConsumedCapacity by DynamoDB's rules (item sizes as the
//     Developer Guide's "DynamoDB item sizes and formats" gives them,
//     numbers as DynamoDB Local charges them: the rules the repository
//     itself predicts costs with), including the write a failed condition
//     still costs, and keeps running totals in [DB.Stats];
//   - treats TTL as DynamoDB does: lazily. Expired items stay readable until
//     [DB.SweepExpired] deletes them, as the real background sweeper
//     eventually would;
//   - keeps global secondary indexes as DynamoDB does: sparse (an item
//     without the index key is not in the index), projected, eventually
//     consistent (with [DB.SetStaleReads] on, a Query of an index sees
//     what a stale table read sees), and charged per index by the
//     published rules: nothing for a write that leaves an item's entry as
//     it was, one write to add, change in place or remove an entry, two
//     when the index key changes;
//   - costs what a request reads: a Scan or Query page starts at its
//     ExclusiveStartKey without walking the table, so a full scan takes
//     time in proportion to the table.
//
// # Known differences of DynamoDB Local
//
// Where DynamoDB Local departs from AWS's documentation, the fake follows
// the documentation and the fidelity case is skipped on Local:
//
//   - Numbers inside a map, list or set come back from Local spelled as
//     they were sent ("007", "1.50", "2.5e3"). AWS documents that leading
//     and trailing zeros are trimmed; the fake returns every number in
//     canonical form ("7", "1.5", "2500"), so code must not depend on the
//     spelling of a number it wrote.
//   - Local charges nothing for a Query or Scan page that reads nothing.
//     The Query API reference says "Queries that do not return results
//     consume the minimum read capacity units according to the type of
//     read"; the fake charges that minimum (0.5, or 1 strongly
//     consistent), for a Scan page alike.
//   - BatchGetItem: Local charges nothing for a key that matches no item.
//     AWS documents that BatchGetItem reads each item as a GetItem, and a
//     GetItem of a missing item costs the minimum (0.5, or 1 strongly
//     consistent); the fake charges that.
//   - Local accepts ProvisionedThroughput for an index of a
//     PAY_PER_REQUEST table; the fake refuses it, as the API reference
//     (GlobalSecondaryIndex) and AWS do.
//   - Local stores an index key of the wrong type from UpdateItem, though
//     it refuses the same value from PutItem; the fake refuses it from
//     both, as AWS does.
//
// # Test hooks
//
//   - Time: [DB.Clock] returns the [Clock] the DB follows; Advance and Set
//     move it, and every wait in the fake (latency, replica lag, TTL) is
//     measured on it, so no test needs to sleep.
//   - Data: [DB.Item] and [DB.PutRaw] read and seed items directly,
//     bypassing validation and capacity; [DB.SweepExpired] runs the TTL
//     sweeper.
//   - Consistency: [DB.SetReplicaLag] makes eventually consistent reads
//     (and Queries of indexes) trail each write by a span of the clock, as
//     DynamoDB's replicas do; [DB.SetStaleReads] keeps them stale until
//     turned off.
//   - Faults, shaped like the SDK's own errors: [DB.FailNext] with
//     [Throttling], [ServerError], [NetworkError] or any error;
//     [DB.ThrottleNext]; [DB.LoseResponseNext], a write that landed but
//     whose response was lost, so the SDK sent it again; [DB.SetLatency],
//     on the clock, with a context's deadline reported as the SDK reports
//     it.
//   - Inspection: [DB.Calls] records each call (operation, table, key,
//     expressions, outcome) for an assertion to print; [DB.Stats] and
//     [DB.ResetStats] keep capacity totals and call counts.
//
// A DB is safe for concurrent use. Items are deep-copied on the way in and
// out, so a caller that changes a map after a call cannot change what the
// fake stores.
package fake

import (
	"maps"
	"sync"
	"time"
)

// Options configures a [DB]. The zero value of every field selects its
// default.
type Options struct {
	// Clock returns the current time: the DB's [Clock] follows it, shifted
	// by however far a test moves that Clock. It decides which items
	// [DB.SweepExpired] deletes, stamps table creation times, and times
	// latency and replica lag. Default: time.Now. [NewSessions] uses a
	// Clock that stands still instead.
	Clock func() time.Time

	// Region appears in table ARNs. Default: "us-east-1".
	Region string

	// AccountID appears in table ARNs. Default: "000000000000".
	AccountID string
}

// Stats are running totals since the DB was created or last reset. They are
// kept whether or not requests ask for ReturnConsumedCapacity.
type Stats struct {
	// ReadUnits is the read capacity consumed by GetItem, BatchGetItem,
	// Scan and Query.
	ReadUnits float64
	// WriteUnits is the write capacity consumed by PutItem, UpdateItem and
	// DeleteItem, including writes whose condition failed and the writes
	// to global secondary indexes they caused.
	WriteUnits float64
	// Calls counts calls per operation name ("GetItem", "UpdateItem", …):
	// every call that got past its context check, including calls that then
	// failed, injected failures included.
	Calls map[string]int
}

// DB is an in-memory DynamoDB. Create one with [New] or [NewSessions]; the
// zero value is not usable. A DB is safe for concurrent use.
type DB struct {
	clock     *Clock
	region    string
	accountID string

	mu           sync.Mutex
	tables       map[string]*table
	stats        Stats
	faults       []*fault
	latency      time.Duration
	staleForever bool          // SetStaleReads(true)
	replicaLag   time.Duration // SetReplicaLag
	calls        callLog
}

// New returns an empty DB with no tables, whose clock follows
// Options.Clock (time.Now by default).
func New(optFns ...func(*Options)) *DB {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return newDB(followClock(o.Clock), o)
}

func newDB(clock *Clock, o Options) *DB {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	return &DB{
		clock:     clock,
		region:    o.Region,
		accountID: o.AccountID,
		tables:    map[string]*table{},
		stats:     Stats{Calls: map[string]int{}},
	}
}

// Clock returns the clock the DB follows. Give its Now method to the code
// under test (a repository's or middleware's Clock option) so that both
// see the same time, and move it with Advance instead of sleeping.
func (db *DB) Clock() *Clock { return db.clock }

// Stats returns a copy of the running totals.
func (db *DB) Stats() Stats {
	db.mu.Lock()
	defer db.mu.Unlock()
	s := db.stats
	s.Calls = maps.Clone(db.stats.Calls)
	return s
}

// ResetStats sets every total to zero and forgets the recorded calls.
func (db *DB) ResetStats() {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.stats = Stats{Calls: map[string]int{}}
	db.calls = callLog{}
}

// SetStaleReads turns stale eventually consistent reads on or off. While
// on, an eventually consistent GetItem, BatchGetItem, Scan or Query (and
// every Query of an index) sees each item as it was before its most recent
// write: the previous version, or nothing when the most recent write
// created it, or the deleted item when it was a delete. Strongly
// consistent reads always see the latest version. Turning stale reads off
// lets every replica catch up. Stale reads stay until turned off, whatever
// the clock says; [DB.SetReplicaLag] makes them catch up as the clock
// moves, as DynamoDB's replicas do.
func (db *DB) SetStaleReads(on bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.staleForever = on
	if !on {
		db.settle()
	}
}

// SetReplicaLag makes eventually consistent reads (and every Query of an
// index) trail each write by d of the DB's clock: until the clock has
// moved d past a write, they see the item as it was before it. DynamoDB
// documents no bound, only that "if you repeat your read request after a
// short time, the response should eventually return the more recent item"
// (Developer Guide, "DynamoDB read consistency"); a second is a realistic
// lag to test with. Zero (the default) makes every replica current at
// once.
func (db *DB) SetReplicaLag(d time.Duration) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.replicaLag = max(d, 0)
	if d <= 0 {
		db.settle()
	}
}

// settle makes every replica current. The caller holds db.mu.
func (db *DB) settle() {
	for _, t := range db.tables {
		t.settle()
	}
}

// lag returns how far eventually consistent reads trail now. The caller
// holds db.mu.
func (db *DB) lag() lag {
	return lag{forever: db.staleForever, d: db.replicaLag, now: db.clock.Now()}
}
