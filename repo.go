// Package dynamosession stores strongly typed web sessions in Amazon
// DynamoDB, at the lowest capacity cost DynamoDB allows.
//
// A [Repo] is a typed repository of sessions: Repo[Cart] reads and writes
// Cart values, not map[string]any. It is built around what DynamoDB bills:
//
//   - Reads are eventually consistent by default (half the price), with a
//     per-request override for the read that must see its own write
//     (package consistency).
//   - Extending a sliding expiry is a write of the whole item, so [Repo.Touch]
//     writes only when the touch policy says the stored expiry is stale
//     (package ttl), and then updates the expiry alone, conditionally, so it
//     never recreates a session deleted in between.
//   - [Repo.Save] sends nothing at all when the data did not change.
//   - DynamoDB deletes expired items lazily, hours or days late; [Repo.Get]
//     treats a stored record whose expiry has passed as not found.
//   - Below that floor, an opt-in read cache serves repeated reads of a
//     session within a staleness bound you set without any request
//     ([CacheOptions]).
//
// Records are compatible with the Node.js stores connect-dynamodb (JSON
// string sessions) and @pwrdrvr/dynamodb-session-store (native map
// sessions). A repository writes one format and reads every format (package
// codec), so a table migrates lazily as sessions are written.
//
// Tests use package fake, an in-memory DynamoDB that implements [API].
package dynamosession

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/reader"
	"github.com/dynamosession/dynamosession/internal/ttlcheck"
	"github.com/dynamosession/dynamosession/internal/upgrade"
	"github.com/dynamosession/dynamosession/ttl"
)

// API is the part of the DynamoDB client a [Repo] calls. *dynamodb.Client
// implements it, and so does *fake.DB.
//
// Metrics come from wrapping the client: a type with these four methods
// that passes each call on sees every request a repository makes (give it
// Query and BatchGetItem too, see [OwnerAPI], to see what ListOwner and
// RevokeOwner send). To measure capacity, the wrapper sets the input's
// ReturnConsumedCapacity (TOTAL, or INDEXES for the owner index's share)
// and reads ConsumedCapacity from the output, as ExampleAPI_capacity
// does. A repository never sets ReturnConsumedCapacity itself, so the
// wrapper may set it on the input in place, and what it asks for is what
// DynamoDB reports. Latency and errors are the
// wrapper's to time and see the same way. A Get served from the read
// cache sends no request, so the wrapper sees none.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Options configures a [Repo]. [New] sets every field to its documented
// default first and then runs the option functions on it, so
// New(client, table) alone gives a working repository, and an option
// function may set a field to its zero value on purpose (Prefix "" stores
// bare IDs). Fields left at their zero value, and the touch interval
// whose default follows the TTL, are filled in after the option functions.
//
// Besides KeyAttr, DataAttr, ExpiresAttr and OwnerAttr, which are named
// here because other programs (the Node.js stores, your index design)
// fix them, a repository keeps its bookkeeping in attributes of fixed
// names, written only with the feature that needs them:
//
//	version      N     the optimistic-locking version, with Versioned
//	wtok         B     the tokens of the last writes, with Versioned
//	schema       N     the data's schema version, once Schema is above 1
//	owned_at     N     when the session got its owner (Unix ms), with Owner
//	owner_check  BOOL  an open revocation check window, with RevocationCheck
//	superseded   N     a tombstone Supersede left
//	revoked_before, revoked_keep  a revocation marker's, with RevocationCheck
//
// These names are reserved, and so is "type" (connect-dynamodb's marker,
// which the JSON codec writes and a save in another format removes, with
// any codec): KeyAttr, DataAttr, ExpiresAttr, and OwnerAttr when Owner or
// RevocationCheck is set, must be none of them, distinct, and names
// DynamoDB takes (valid UTF-8, at most 65,535 bytes, KeyAttr at most
// 255), or New returns an error wrapping ErrInvalidOptions.
type Options[T any] struct {
	// KeyAttr is the table's partition key attribute, of type S.
	// Default "id".
	KeyAttr string

	// Prefix is prepended to every session ID to form the key. Default
	// "session#" (what @pwrdrvr/dynamodb-session-store writes); use "sess:"
	// for tables connect-dynamodb writes; "" to store bare IDs.
	Prefix string

	// DataAttr is the attribute that holds the encoded session. Default "sess".
	DataAttr string

	// ExpiresAttr is the expiry attribute, Unix epoch seconds, the one to
	// enable DynamoDB TTL on. Default "expires".
	ExpiresAttr string

	// Codec encodes session data for writing. Default codec.Map[T]().
	// Reading detects the stored format and decodes any of them.
	Codec codec.Codec[T]

	// Readers are extra codecs for reading formats Codec does not write and
	// that need configuration (an encrypting codec with its keys, on a
	// table leaving encryption). Map, JSON, Msgpack and compressed msgpack
	// are always readable. One codec reads each format, so New refuses a
	// Reader of a format Codec or an earlier Reader reads (error wrapping
	// ErrInvalidOptions): a sealing Codec reads old keys from its keyring,
	// not from a second sealed Reader.
	Readers []codec.Codec[T]

	// StrictFormats makes the repository read only the formats of Codec
	// and Readers: a record in any other format is a *DecodeError instead
	// of being read. Set it on a table that must hold only sealed
	// sessions, so that a plain record written by someone with write
	// access to the table is refused. Default false: every format is read,
	// which is how a table migrates lazily. (Readers alone cannot say
	// this: they add to the formats read, as key rotation needs.)
	StrictFormats bool

	// HashIDs stores SHA-256(session ID) in the key instead of the ID
	// itself (Prefix + 43 characters of base64url), so that read access to
	// the table, a backup or an export does not hand out live session IDs.
	// Node.js stores cannot read such a table, and it cannot be switched on
	// for existing sessions (they would all be not found): choose it for
	// a new table. Default false.
	HashIDs bool

	// RewriteOnRead makes Get rewrite a record stored in another format
	// than Codec's, so a table migrates as sessions are read rather than
	// only as they change. Each rewrite is one write of the item (1 write
	// unit per started KB); it is conditional, so it never overwrites a
	// newer write. Default false.
	RewriteOnRead bool

	// TTL decides the expiry written with each write or touch.
	// Default ttl.Sliding(24 * time.Hour).
	TTL ttl.Policy

	// Touch decides whether Touch writes. Default
	// ttl.DefaultThrottle(TTL): a touch after a tenth of the TTL's
	// lifetime. An interval set here must be shorter than the lifetime.
	Touch ttl.Throttle

	// Consistency decides whether reads are strongly consistent. Default
	// consistency.Eventual; a context from consistency.WithStrongRead
	// overrides it for one call.
	Consistency consistency.Policy

	// Versioned stores a version number with each session (attribute
	// "version") and makes Save, DeleteIfUnchanged and Update conditional
	// on it (optimistic locking), and Put refuse to replace an existing
	// live session. With it every write also stores 8 random bytes that
	// change with each write (attribute "wtok", the last four writes'), so
	// that a write whose response was lost and that the SDK retried can
	// recognise itself in the stored item instead of reporting a conflict
	// with its own first attempt (which would make Update apply its
	// function twice). It costs nothing extra: a conditional write is
	// billed like any other. Default false.
	Versioned bool

	// Schema is the schema version of T that this code writes: raise it
	// when a deploy changes T in a way old records cannot be decoded into
	// (a field changing type), and register in Upgrades how to read each
	// older version. Records written before versions were declared are
	// version 1. The version is stored in the attribute "schema" with
	// every write once it is above 1, so a table of a type that never
	// changed carries no extra attribute. Default 1.
	Schema int

	// Upgrades convert data stored under older schema versions (and, for
	// an upgrade from the current version, data that does not decode as
	// T) to T; see [UpgradeFrom]. Reading through an upgrade costs no
	// extra request. The upgraded data is written by the next Save that
	// changes the session, or by the next due Touch (which writes anyway),
	// or on read with RewriteOnRead; each such write is conditional on
	// the stored data being exactly what was read. A Save of an upgraded
	// session whose data the handler did not change sends nothing, like
	// any unchanged Save. Package migrate upgrades a whole table.
	Upgrades []Upgrade[T]

	// Cache configures an opt-in, per-process read cache with a
	// staleness bound; see [CacheOptions]. Default: off.
	Cache CacheOptions

	// Clock returns the current time. Default: the client's own Now
	// method when it has one (fake.DB does, so a repository on the fake
	// follows the clock that db.Advance moves, with no option to set),
	// time.Now otherwise. Tests may inject another. The read cache
	// measures staleness with it too.
	Clock func() time.Time

	// Owner, if set, returns the ID of the user a session belongs to, or
	// "" for an anonymous session (see owner.go for why the owner follows
	// the data). Put, Create, Save and Update store it in OwnerAttr, and
	// when the session got it in "owned_at" (Unix milliseconds, so that
	// RevokeOwner ends only sessions owned at or before it began and a
	// user who logs in again during a revocation keeps the new session).
	// A sparse global secondary index on OwnerAttr (OwnerIndex) makes
	// the owner queryable for
	// [Repo.ListOwner] and [Repo.RevokeOwner]; anonymous sessions have no
	// such attribute, so they are not in the index and cost it nothing. A
	// write that leaves the owner as stored does not touch the owner
	// attributes, so with a keys-only index it costs the index nothing; a
	// login (an owned Create, or a Save that sets the owner) and a logout
	// (Delete, or a Save that clears it) cost 1 index write unit each, a
	// change of owner 2. An owned item grows by about 21 bytes plus the
	// owner's length (OwnerAttr and "owned_at" with their values). It
	// must be fast and deterministic and return at most 1024 bytes of
	// UTF-8; a bad owner fails the write with ErrInvalidOwner before
	// anything is sent. Node.js stores do not know
	// the attribute: a record connect-dynamodb rewrites loses it and leaves
	// the index until the next Save through a repository. Default nil: no
	// owners are written.
	Owner func(*T) string

	// OwnerAttr holds a session's owner, of type S: the partition key of
	// OwnerIndex. Default "owner".
	OwnerAttr string

	// OwnerIndex names the table's global secondary index on OwnerAttr
	// (partition key OwnerAttr of type S, no sort key, projection
	// KEYS_ONLY: the cheapest to maintain, measured in the README).
	// Default "owner-index".
	OwnerIndex string

	// RevocationCheck, if positive, closes the window the owner index's
	// eventual consistency leaves: a session that got its owner just
	// before a RevokeOwner may be missing from the index's answer. With
	// it, RevokeOwner first writes a per-owner revocation marker ("owned
	// at or before T, except the kept session"), and a session younger
	// than RevocationCheck (by "owned_at", while it carries the attribute
	// "owner_check") is checked against its owner's marker on every
	// Get. The first Get after the window clears the session's check
	// attribute; from then on RevokeOwner's Query is relied on to find
	// it, which holds as long as the index lags less than RevocationCheck.
	// Costs: on every Get of an owned session in its first RevocationCheck
	// one strongly consistent read of the marker (1 read unit and a round
	// trip); once per owned session, one write (1 unit per started KB) to
	// close its window; per revocation, one marker write (1 unit); 12
	// bytes per session while its window is open. Anonymous sessions and
	// sessions past their window cost nothing: a page view stays at 0.5
	// read unit. A minute is a sound value. Servers' clocks must agree
	// (to well under RevocationCheck): markers compare instants written by
	// different machines. Default 0: off.
	RevocationCheck time.Duration
}

// The bookkeeping attributes' fixed names (see [Options]).
const (
	versionAttr    = "version"
	tokenAttr      = "wtok"
	schemaAttr     = "schema"
	ownedAtAttr    = "owned_at"
	ownerCheckAttr = "owner_check"
)

// Repo is a typed repository of sessions in one DynamoDB table. Create it
// with [New]. A Repo is safe for concurrent use.
type Repo[T any] struct {
	client API
	table  string
	opts   Options[T]
	reader *reader.Reader[T]
	// upgrades by the schema version they read
	upgrades map[int]*upgrade.Func[T]
	extras   map[string]types.AttributeValue // written beside the data by the codec
	// extraSets are extras as a Save writes them, extrasSize their size
	// in an item (writes.go).
	extraSets  []extraSet
	extrasSize int
	now        func() time.Time
	cache      *itemCache // nil when Options.Cache is off
}

// clientClock returns the client's Now method, if it has one: an
// in-memory DynamoDB such as fake.DB keeps a clock of its own, and a
// repository that followed another would disagree with it about which
// sessions expired. Nil otherwise.
func clientClock(client API) func() time.Time {
	if c, ok := client.(interface{ Now() time.Time }); ok {
		return c.Now
	}
	return nil
}

// New returns a repository of sessions of type T in table, configured by
// optFns applied in order to the default [Options]. It returns an error
// wrapping [ErrInvalidOptions] for a bad configuration.
func New[T any](client API, table string, optFns ...func(*Options[T])) (*Repo[T], error) {
	o := withDefaults(Options[T]{Prefix: "session#", Clock: clientClock(client)})
	o.Touch = nil // derived from the TTL the option functions choose, below
	for _, fn := range optFns {
		fn(&o)
	}
	o = withDefaults(o)
	if err := validate(client, table, o); err != nil {
		return nil, err
	}
	r := &Repo[T]{
		client: client,
		table:  table,
		opts:   o,
		reader: reader.New(append([]codec.Codec[T]{o.Codec}, o.Readers...)...),
		now:    o.Clock,
		cache:  newItemCache(o.Cache, o.ExpiresAttr, o.Clock),
	}
	if len(o.Upgrades) > 0 {
		r.upgrades = make(map[int]*upgrade.Func[T], len(o.Upgrades))
		for _, u := range o.Upgrades {
			f := upgrade.Of(u)
			r.upgrades[f.From] = f
		}
	}
	if o.StrictFormats {
		r.reader = reader.NewStrict(append([]codec.Codec[T]{o.Codec}, o.Readers...)...)
	}
	if ea, ok := o.Codec.(interface {
		ExtraAttributes() map[string]types.AttributeValue
	}); ok { // codec.JSON: connect-dynamodb's `type`
		r.extras = ea.ExtraAttributes()
		r.extraSets, r.extrasSize = newExtraSets(r.extras)
	}
	return r, nil
}

func withDefaults[T any](o Options[T]) Options[T] {
	if o.KeyAttr == "" {
		o.KeyAttr = "id"
	}
	if o.DataAttr == "" {
		o.DataAttr = "sess"
	}
	if o.ExpiresAttr == "" {
		o.ExpiresAttr = "expires"
	}
	if o.Codec == nil {
		o.Codec = codec.Map[T]()
	}
	if o.TTL == nil {
		o.TTL = ttl.Sliding(24 * time.Hour)
	}
	if o.Touch == nil {
		o.Touch = ttl.DefaultThrottle(o.TTL) // after o.TTL's default
	}
	if o.Consistency == nil {
		o.Consistency = consistency.Eventual
	}
	if o.Schema == 0 {
		o.Schema = 1
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	o.Cache = o.Cache.withDefaults()
	return withOwnerDefaults(o)
}

// validateAttrs checks that the attributes Options names are distinct,
// none of the reserved names, and names DynamoDB takes.
func validateAttrs[T any](o Options[T]) error {
	// connect-dynamodb's "type" is reserved whatever the codec: every
	// repository reads its records, and removes "type" when it saves one
	// in another format (so an owner stored there would leave the index,
	// and an expiry there would make the save's update invalid).
	reserved := []string{versionAttr, tokenAttr, schemaAttr, ownedAtAttr, ownerCheckAttr, supersededAttr, markerAtAttr, markerKeepAttr, "type"}
	named := []struct{ field, name string }{{"KeyAttr", o.KeyAttr}, {"DataAttr", o.DataAttr}, {"ExpiresAttr", o.ExpiresAttr}}
	if ownersOn(o) {
		named = append(named, struct{ field, name string }{"OwnerAttr", o.OwnerAttr})
	}
	for i, a := range named {
		// DynamoDB's limits on attribute names ("Service, account, and
		// table quotas in Amazon DynamoDB"): 1 to 64 KB, a partition key's
		// 1 to 255 bytes; the SDK sends UTF-8.
		limit := 65535
		if a.field == "KeyAttr" {
			limit = 255
		}
		switch {
		case len(a.name) > limit:
			return fmt.Errorf("%s is %d bytes, DynamoDB allows %d", a.field, len(a.name), limit)
		case !utf8.ValidString(a.name):
			return fmt.Errorf("%s is not valid UTF-8", a.field)
		}
		if slices.Contains(reserved, a.name) {
			return fmt.Errorf("%s %q is a name the repository reserves (see Options)", a.field, a.name)
		}
		for _, b := range named[:i] {
			if a.name == b.name {
				return fmt.Errorf("%s and %s are both %q", b.field, a.field, a.name)
			}
		}
	}
	return nil
}

// validateReaders refuses a Reader that would never be used: a stored
// value's format (its attribute type and envelope, which say nothing of a
// sealed value's keys or inner codec) picks one codec, the Codec first,
// then the Readers in order, so a second codec for one format is dead. A
// sealed Reader beside a sealing Codec is the likely mistake: old keys
// belong in the Codec's keyring (codec.NewKeyring(current, previous...)).
func validateReaders[T any](o Options[T]) error {
	seen := map[codec.Format]string{o.Codec.Format(): "Codec"}
	for i, c := range o.Readers {
		if c == nil {
			return fmt.Errorf("nil codec in Readers[%d]", i)
		}
		f, name := c.Format(), fmt.Sprintf("Readers[%d]", i)
		if prev, ok := seen[f]; ok {
			return fmt.Errorf("codec %s reads format %q, which %s reads: one codec reads each format, so it would never be used (old keys of a sealed table go in the Codec's keyring: codec.NewKeyring(current, previous...))", name, f, prev)
		}
		seen[f] = name
	}
	return nil
}

func validate[T any](client API, table string, o Options[T]) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	if client == nil {
		return bad("nil client")
	}
	if len(table) < 3 || len(table) > 255 {
		return bad("table name %q must be 3 to 255 characters", table)
	}
	if err := validateAttrs(o); err != nil {
		return bad("%v", err)
	}
	if err := ttlcheck.Check(o.TTL, o.Touch); err != nil {
		return bad("%v", err)
	}
	if o.Schema < 1 {
		return bad("Schema %d is not a positive version", o.Schema)
	}
	seenUp := map[int]bool{}
	for _, u := range o.Upgrades {
		f := upgrade.Of(u)
		switch {
		case f == nil:
			return bad("an Upgrade not made by UpgradeFrom")
		case f.From < 1 || f.From > o.Schema:
			return bad("upgrade from schema version %d: versions run from 1 to Schema (%d)", f.From, o.Schema)
		case seenUp[f.From]:
			return bad("two upgrades from schema version %d", f.From)
		}
		seenUp[f.From] = true
	}
	if err := validateReaders(o); err != nil {
		return bad("%v", err)
	}
	if err := o.Cache.validate(); err != nil {
		return bad("%v", err)
	}
	if err := validateOwners(o); err != nil {
		return err
	}
	// A codec whose output does not detect as its own format would write
	// records that read back through the wrong codec.
	var zero T
	av, err := o.Codec.Encode("", &zero)
	if err != nil {
		return bad("codec %s cannot encode a zero %T: %v", o.Codec.Format(), zero, err)
	}
	if got := codecs.Detect(av); got != o.Codec.Format() {
		return bad("codec %s writes a value detected as %q", o.Codec.Format(), got)
	}
	return nil
}

// Table returns the name of the repository's table, as given to [New]
// (package migrate reads it to scan the same table).
func (r *Repo[T]) Table() string { return r.table }

// Options returns the repository's effective options, defaults filled in.
func (r *Repo[T]) Options() Options[T] { return r.opts }

// wrap adds the operation and a redacted session ID to an SDK error, keeping
// it reachable with errors.As, and maps DynamoDB's item-size validation
// error to ErrItemTooLarge.
func wrap(op, id string, err error) error {
	if err == nil {
		return nil
	}
	if isItemTooLarge(err) {
		return fmt.Errorf("dynamosession: %s session %s: %w: %w", op, redact(id), ErrItemTooLarge, err)
	}
	return fmt.Errorf("dynamosession: %s session %s: %w", op, redact(id), err)
}

func isConditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	if err == nil {
		return nil, false // spares the allocation of ccf, which errors.As makes escape
	}
	var ccf *types.ConditionalCheckFailedException
	return ccf, errors.As(err, &ccf)
}
