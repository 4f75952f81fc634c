// Package fake is an in-memory DynamoDB for unit tests, in the spirit of
// net/http/httptest: a working implementation with inspection hooks, not a
// mock that scripts expected calls.
//
// A [*DB] has the same method signatures as *dynamodb.Client for the
// operations it implements, so code that depends on a small interface of
// those methods accepts either. [New] makes one holding a session table
// ready for a dynamosession repository with default attribute names, on
// a clock that the fake and the code under test share; a handler test
// needs two lines of setup:
//
//	db := fake.New("sessions")
//	repo, err := dynamosession.New[Cart](db, "sessions") // follows db's clock
//
// Then db.Advance(25 * time.Hour) expires sessions for the repository and
// its middleware alike, and a failed assertion can print what the code
// under test asked of DynamoDB, one line per call:
//
//	t.Errorf("…; calls:\n%s", strings.Join(db.Calls(), "\n")) // #2 GetItem sessions id=session#…: ok
//
// fake.New() with no table names makes an empty DB, for tables of other
// shapes ([DB.CreateTable]).
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
// not enforced: use [DB.FailNext] with a
// *types.ProvisionedThroughputExceededException to test throttling. Table
// ARNs name region us-east-1 and account 000000000000. The SDK's retryer is
// not involved: an injected fault reaches the caller at once, shaped as the
// SDK reports it after its last attempt.
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
//   - treats TTL as DynamoDB does: lazily. DynamoDB deletes expired items
//     "within a few days" (Developer Guide, "Time to Live"), with no
//     promise code could rely on; the fake never deletes them, so expired
//     items stay readable and code must treat them as gone itself;
//   - keeps global secondary indexes as DynamoDB does: sparse (an item
//     without the index key is not in the index), projected, eventually
//     consistent (with [DB.SetReplicaLag], a Query of an index sees what a
//     lagging table read sees), and charged per index by the
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
//   - Time: [DB.Now] is the DB's clock, standing still until [DB.Advance]
//     moves it; every wait in the fake (latency, replica lag) is measured
//     on it, so no test needs to sleep.
//   - Data: [DB.Item] and [DB.PutRaw] read and seed items directly,
//     bypassing validation, capacity, faults and the call record.
//   - Consistency: [DB.SetReplicaLag] makes eventually consistent reads
//     (and Queries of indexes) trail each write by a span of the clock, as
//     DynamoDB's replicas do.
//   - Faults, shaped as the SDK reports them: [DB.FailNext] with the
//     SDK's exception types (throttling, server errors), a network error
//     or a context's error, each after the retries the call's retryer
//     would make; [DB.LoseResponseNext], a write that landed but whose
//     response was lost, sent again when the call's retryer retries a
//     broken connection;
//     [DB.SetLatency], on the clock, with a context's deadline reported as
//     the SDK reports it.
//   - Inspection: [DB.Calls] renders each call (operation, table, key,
//     expressions, outcome) on a line for an assertion to print;
//     [DB.Stats] keeps capacity totals and call counts; [DB.ResetStats]
//     starts both afresh.
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

// Stats are running totals since the DB was made or last reset. They are
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
	// failed, injected failures included. [DB.Calls] says which they were.
	Calls map[string]int
}

// DB is an in-memory DynamoDB. Create one with [New]; the zero value is
// not usable. A DB is safe for concurrent use.
type DB struct {
	clock *clock

	mu         sync.Mutex
	tables     map[string]*table
	stats      Stats
	faults     []*fault
	latency    time.Duration
	replicaLag time.Duration // SetReplicaLag
	calls      callLog
}

// region and accountID appear in table and index ARNs.
const (
	region    = "us-east-1"
	accountID = "000000000000"
)

// New returns a DB holding an empty session table for each name in
// tables, ready for a dynamosession repository with default attribute
// names, in the spirit of httptest.NewRecorder: one line of setup. Each
// table is PAY_PER_REQUEST, keyed by the string attribute "id"
// (Options.KeyAttr), with TTL enabled on "expires" (Options.ExpiresAttr)
// and the sparse global secondary index "owner-index" on the string
// attribute "owner" (Options.OwnerIndex and Options.OwnerAttr) projecting
// KEYS_ONLY, which costs nothing until a repository with an Owner
// function writes owners. With no names, the DB is empty: create tables
// of other shapes, or session tables with other attribute names, with
// [DB.CreateTable] and [DB.UpdateTimeToLive].
//
// The DB's clock stands still at 2025-01-01 00:00:00 UTC until the test
// moves it with [DB.Advance]. A repository made on the DB follows [DB.Now]
// by default (the middleware and the stores follow the repository's
// clock), so all of them see one time; a client wrapped around the DB
// hides Now, and then Options.Clock = db.Now says it (items a test seeds
// itself take their expiries from db.Now() too, not time.Now(): an hour
// ago by the wall clock is still in the future of a DB standing at 2025):
//
//	db := fake.New("sessions")
//	repo, err := dynamosession.New[Cart](db, "sessions") // follows db's clock
//
// Creating the tables counts in neither [DB.Stats] nor [DB.Calls]. New
// panics if a name is one DynamoDB refuses (3 to 255 of a-z, A-Z, 0-9,
// '_', '-' and '.') or comes twice, as a test could not go on.
func New(tables ...string) *DB {
	db := &DB{clock: newClock(), tables: map[string]*table{}, stats: Stats{Calls: map[string]int{}}}
	for _, name := range tables {
		if err := db.createSessionTable(name); err != nil {
			panic("fake.New: " + err.Error())
		}
	}
	db.ResetStats()
	return db
}

// Stats returns a copy of the running totals.
func (db *DB) Stats() Stats {
	db.mu.Lock()
	defer db.mu.Unlock()
	s := db.stats
	s.Calls = maps.Clone(db.stats.Calls)
	return s
}

// ResetStats sets every total to zero and forgets the recorded calls, so
// that a test can measure one step (what a page view costs after a login,
// say).
func (db *DB) ResetStats() {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.stats = Stats{Calls: map[string]int{}}
	db.calls = callLog{}
}

// SetReplicaLag makes eventually consistent reads (GetItem, BatchGetItem,
// Scan and Query without ConsistentRead, and every Query of an index)
// trail each later write by d of the DB's clock: until [DB.Advance] has
// moved the clock d past a write, they see the item as it was before it
// (the previous version, nothing when the write created it, the deleted
// item when it was a delete). Strongly consistent reads always see the
// latest version. DynamoDB documents no bound, only that "if you repeat
// your read request after a short time, the response should eventually
// return the more recent item" (Developer Guide, "DynamoDB read
// consistency"); a second is a realistic lag to test with, and a lag the
// test never advances past keeps reads stale for as long as it needs.
// Zero (the default), or any d <= 0, makes every replica current at once.
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
	return lag{d: db.replicaLag, now: db.clock.now()}
}
