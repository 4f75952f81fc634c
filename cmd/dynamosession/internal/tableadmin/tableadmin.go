// Package tableadmin creates a DynamoDB table for sessions and checks that
// an existing one is set up right for them.
//
// [Create] is for tests, examples and proofs of concept. Production tables
// belong in the infrastructure code that owns the account (CloudFormation,
// Terraform, the CDK), where they are reviewed, tagged, backed up and
// protected from deletion; nothing in this module ever creates a table
// unless its caller calls Create.
//
// [Check] is read-only and needs only dynamodb:DescribeTable and
// dynamodb:DescribeTimeToLive, so it can run against production with a
// least-privilege role: it reports what is wrong for a session store (the
// key, TTL, the owner index, the billing mode for the expected traffic)
// and changes nothing.
//
// The owner index is the sparse global secondary index that
// dynamosession.Repo.ListOwner and RevokeOwner query (see
// dynamosession.Options.OwnerIndex): partition key the owner attribute,
// of type S, no sort key, projection KEYS_ONLY. Only sessions that carry
// an owner are in it, so an index that no session uses stores and writes
// nothing.
package tableadmin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/tablekey"
)

// Spec is what a session table should be.
type Spec struct {
	// Table is the table's name. Required.
	Table string

	// KeyAttr is the partition key attribute, of type S. Default "id",
	// the repository's default.
	KeyAttr string

	// ExpiresAttr is the attribute DynamoDB's TTL deletes expired
	// sessions on. Default "expires", the repository's default.
	ExpiresAttr string

	// Billing is the billing mode [Create] gives a new table. Default
	// types.BillingModePayPerRequest (on-demand), which needs no capacity
	// planning: right for a proof of concept.
	Billing types.BillingMode

	// ReadCapacity and WriteCapacity are a provisioned table's capacity
	// units. Required (at least 1) when Billing is
	// types.BillingModeProvisioned; must be zero otherwise.
	ReadCapacity, WriteCapacity int64

	// OwnerIndex names the owner index (dynamosession.Options.OwnerIndex,
	// whose default is "owner-index"). [Create] gives a new table this
	// index and [Check] checks it. Default "": no owner index; Create
	// makes none, and Check reports every secondary index as one the
	// repository never queries.
	OwnerIndex string

	// OwnerAttr is the owner index's partition key, of type S
	// (dynamosession.Options.OwnerAttr). Default "owner".
	OwnerAttr string

	// RequireOwnerIndex makes [Check] report a missing OwnerIndex as a
	// Problem. Default false: a Note, since a table whose sessions have
	// no owner (dynamosession.Options.Owner unset) needs no index.
	RequireOwnerIndex bool

	// IndexReadCapacity and IndexWriteCapacity are the owner index's
	// capacity units on a provisioned table; they must be zero on an
	// on-demand one. Defaults on a provisioned table: 1 read unit (the
	// index is read only to list and revoke a user's sessions, and a
	// throttled index read does not throttle the table), and the table's
	// WriteCapacity, as AWS advises: when an index runs out of write
	// capacity, the writes to the table that would write the index are
	// throttled too (AWS Knowledge Center, "Why is my DynamoDB global
	// secondary index throttled?").
	IndexReadCapacity, IndexWriteCapacity int64

	// Load is the traffic the table is expected to carry, for [Check]'s
	// billing advice. Zero: no advice.
	Load Load
}

// Errors, checked with errors.Is.
var (
	// ErrInvalidSpec reports a Spec that describes no valid table.
	ErrInvalidSpec = errors.New("tableadmin: invalid table spec")

	// ErrKeySchema reports an existing table whose key is not a single
	// string partition key named Spec.KeyAttr. Create leaves it alone.
	ErrKeySchema = errors.New("tableadmin: table exists with another key schema")

	// ErrTTLConflict reports an existing table whose TTL is on another
	// attribute than Spec.ExpiresAttr, or being disabled. A table has one
	// TTL attribute, and changing it is not Create's business.
	ErrTTLConflict = errors.New("tableadmin: table's TTL is on another attribute")

	// ErrTableNotFound reports that the table to check does not exist.
	// The SDK's *types.ResourceNotFoundException is wrapped too.
	ErrTableNotFound = errors.New("tableadmin: table not found")

	// ErrOwnerIndex reports an existing table whose index named
	// Spec.OwnerIndex cannot serve as the owner index (another key, a
	// sort key, being deleted; for [CheckOwnerIndex], also still being
	// built). Create leaves it alone.
	ErrOwnerIndex = errors.New("tableadmin: owner index unusable")

	// ErrNoOwnerIndex reports an existing table without the index named
	// Spec.OwnerIndex. [Create] does not add indexes to an existing table
	// (an UpdateTable that backfills the index from every item, for
	// minutes to hours): it returns this error with its outcome, which is
	// otherwise valid.
	ErrNoOwnerIndex = errors.New("tableadmin: table has no owner index")
)

// DescribeAPI is what [Check] calls: read-only operations.
// *dynamodb.Client implements it, and so does *fake.DB.
type DescribeAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
}

// CreateAPI is what [Create] calls. *dynamodb.Client implements it, and so
// does *fake.DB.
type CreateAPI interface {
	DescribeAPI
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

var _ CreateAPI = (*dynamodb.Client)(nil)

func (s *Spec) withDefaults() {
	if s.KeyAttr == "" {
		s.KeyAttr = "id"
	}
	if s.ExpiresAttr == "" {
		s.ExpiresAttr = "expires"
	}
	if s.Billing == "" {
		s.Billing = types.BillingModePayPerRequest
	}
	if s.OwnerAttr == "" {
		s.OwnerAttr = "owner"
	}
	if s.Billing == types.BillingModeProvisioned && s.OwnerIndex != "" {
		if s.IndexReadCapacity == 0 {
			s.IndexReadCapacity = 1
		}
		if s.IndexWriteCapacity == 0 {
			s.IndexWriteCapacity = s.WriteCapacity
		}
	}
}

// tableName is DynamoDB's rule for table and index names.
var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

func (s *Spec) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...))
	}
	switch {
	case !tableName.MatchString(s.Table):
		return bad("table name %q: want 3 to 255 letters, digits, '_', '-' or '.'", s.Table)
	case s.KeyAttr == s.ExpiresAttr:
		return bad("key and expiry attribute are both %q", s.KeyAttr)
	case s.OwnerIndex != "" && !tableName.MatchString(s.OwnerIndex):
		return bad("owner index name %q: want 3 to 255 letters, digits, '_', '-' or '.'", s.OwnerIndex)
	case s.OwnerIndex != "" && (s.OwnerAttr == s.KeyAttr || s.OwnerAttr == s.ExpiresAttr):
		return bad("owner attribute %q is also the key or expiry attribute", s.OwnerAttr)
	}
	switch s.Billing {
	case types.BillingModePayPerRequest:
		if s.ReadCapacity != 0 || s.WriteCapacity != 0 || s.IndexReadCapacity != 0 || s.IndexWriteCapacity != 0 {
			return bad("read and write capacity are for provisioned tables, not on-demand ones")
		}
	case types.BillingModeProvisioned:
		if s.ReadCapacity < 1 || s.WriteCapacity < 1 {
			return bad("a provisioned table needs at least 1 read and 1 write capacity unit, got %d and %d", s.ReadCapacity, s.WriteCapacity)
		}
		if s.OwnerIndex != "" && (s.IndexReadCapacity < 1 || s.IndexWriteCapacity < 1) {
			return bad("the owner index of a provisioned table needs at least 1 read and 1 write capacity unit, got %d and %d", s.IndexReadCapacity, s.IndexWriteCapacity)
		}
	default:
		return bad("billing mode %q: want %s or %s", s.Billing, types.BillingModePayPerRequest, types.BillingModeProvisioned)
	}
	return s.Load.validate()
}

// Outcome is what [Create] did.
type Outcome int

// The outcomes of Create.
const (
	// Created: the table did not exist; it was created, and TTL enabled.
	Created Outcome = iota + 1
	// TTLEnabled: the table existed with the right key, but without TTL
	// (a Create interrupted earlier, say); TTL was enabled.
	TTLEnabled
	// Unchanged: the table existed with the right key and TTL; nothing
	// was changed (not even a different billing mode).
	Unchanged
)

func (o Outcome) String() string {
	switch o {
	case Created:
		return "created"
	case TTLEnabled:
		return "existed; TTL enabled"
	case Unchanged:
		return "existed; unchanged"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// maxWait bounds how long Create waits for a new table to become ACTIVE;
// DynamoDB usually takes seconds. The context can end it sooner.
const maxWait = 5 * time.Minute

// Create creates the table spec describes, or finds it already there. It
// is meant for tests, examples and proofs of concept: see the package
// documentation.
//
// A new table gets a string partition key Spec.KeyAttr and the billing
// mode of Spec; Create waits until it is ACTIVE, then enables TTL on
// Spec.ExpiresAttr. A table that exists with that key is left as it is,
// except that TTL is enabled if it is disabled (finishing a Create that
// was interrupted); one with another key schema is an error wrapping
// [ErrKeySchema], one with TTL on another attribute an error wrapping
// [ErrTTLConflict]. Calling Create again is therefore safe, and so is
// calling it from several processes at once: each succeeds, exactly one
// reports [Created], and one that finds TTL enabled by another meanwhile
// reports [Unchanged].
//
// With Spec.OwnerIndex, a new table gets the owner index too (see the
// package documentation). An existing table is not given one: if it has
// an index of that name that cannot serve (see [Check]), Create returns an
// error wrapping [ErrOwnerIndex] and changes nothing; if it has none,
// Create does the rest as above and returns the outcome with an error
// wrapping [ErrNoOwnerIndex].
func Create(ctx context.Context, client CreateAPI, spec Spec) (Outcome, error) {
	spec.withDefaults()
	if err := spec.validate(); err != nil {
		return 0, err
	}
	outcome := Created
	_, err := client.CreateTable(ctx, createInput(spec))
	var inUse *types.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		outcome = Unchanged
	case err != nil:
		return 0, fmt.Errorf("tableadmin: creating table %s: %w", spec.Table, err)
	}
	d, err := waitActive(ctx, client, spec.Table)
	if err != nil {
		return 0, err
	}
	if msg := tablekey.Problem(d, spec.KeyAttr); msg != "" {
		return 0, fmt.Errorf("%w: table %s: %s", ErrKeySchema, spec.Table, msg)
	}
	// An existing table without the owner index is still made ready for
	// sessions (TTL); the missing index is reported with the outcome.
	var noIndex error
	if spec.OwnerIndex != "" {
		ix := findIndex(d, spec.OwnerIndex)
		if ix == nil {
			noIndex = fmt.Errorf("%w: table %s has no index %q; Create does not add indexes to an existing table", ErrNoOwnerIndex, spec.Table, spec.OwnerIndex)
		} else if problems := indexShape(d, ix, spec.OwnerAttr); len(problems) > 0 {
			return 0, fmt.Errorf("%w: table %s, index %s: %s", ErrOwnerIndex, spec.Table, spec.OwnerIndex, strings.Join(problems, "; "))
		}
	}
	if outcome == Unchanged {
		ttl, err := describeTTL(ctx, client, spec.Table)
		if err != nil {
			return 0, err
		}
		switch status, attr := ttl.TimeToLiveStatus, aws.ToString(ttl.AttributeName); {
		case status == types.TimeToLiveStatusDisabled:
			outcome = TTLEnabled
		case attr != spec.ExpiresAttr || status == types.TimeToLiveStatusDisabling:
			return 0, fmt.Errorf("%w: table %s has TTL %s on %q, want it on %q", ErrTTLConflict, spec.Table, status, attr, spec.ExpiresAttr)
		default:
			return Unchanged, noIndex
		}
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: &spec.Table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: &spec.ExpiresAttr,
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		outcome, err = enabledMeanwhile(ctx, client, spec, outcome, err)
		if err != nil {
			return 0, err
		}
	}
	return outcome, noIndex
}

// enabledMeanwhile decides a failed UpdateTimeToLive. A concurrent Create
// (another instance of the same service starting) may have enabled TTL
// between this one's look and its UpdateTimeToLive, which DynamoDB then
// rejects ("TimeToLive is already enabled"). If TTL is now on
// spec.ExpiresAttr, the table is as Create promises: the creator still
// reports Created, and a caller that only found the table reports
// Unchanged, since it changed nothing. Otherwise the error stands.
func enabledMeanwhile(ctx context.Context, client DescribeAPI, spec Spec, outcome Outcome, updateErr error) (Outcome, error) {
	failed := fmt.Errorf("tableadmin: enabling TTL on %s.%s: %w", spec.Table, spec.ExpiresAttr, updateErr)
	ttl, err := describeTTL(ctx, client, spec.Table)
	if err != nil {
		return 0, errors.Join(failed, err)
	}
	switch status, attr := ttl.TimeToLiveStatus, aws.ToString(ttl.AttributeName); {
	case attr == spec.ExpiresAttr && (status == types.TimeToLiveStatusEnabled || status == types.TimeToLiveStatusEnabling):
		if outcome == TTLEnabled {
			outcome = Unchanged
		}
		return outcome, nil
	case status == types.TimeToLiveStatusEnabled || status == types.TimeToLiveStatusEnabling:
		return 0, fmt.Errorf("%w: table %s has TTL %s on %q, want it on %q (set meanwhile by another caller)", ErrTTLConflict, spec.Table, status, attr, spec.ExpiresAttr)
	}
	return 0, failed
}

func createInput(spec Spec) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:            &spec.Table,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: &spec.KeyAttr, AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: &spec.KeyAttr, KeyType: types.KeyTypeHash}},
		BillingMode:          spec.Billing,
	}
	if spec.Billing == types.BillingModeProvisioned {
		in.ProvisionedThroughput = &types.ProvisionedThroughput{
			ReadCapacityUnits:  aws.Int64(spec.ReadCapacity),
			WriteCapacityUnits: aws.Int64(spec.WriteCapacity),
		}
	}
	if spec.OwnerIndex != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: &spec.OwnerAttr, AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{ownerIndex(spec)}
	}
	return in
}

// ownerIndex is the owner index spec describes: sparse (only items with
// the owner attribute are in it), keys only, since the repository reads
// nothing else from it; projecting the expiry or the data would make
// every save and touch write the index too.
func ownerIndex(spec Spec) types.GlobalSecondaryIndex {
	ix := types.GlobalSecondaryIndex{
		IndexName:  &spec.OwnerIndex,
		KeySchema:  []types.KeySchemaElement{{AttributeName: &spec.OwnerAttr, KeyType: types.KeyTypeHash}},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
	}
	if spec.Billing == types.BillingModeProvisioned {
		ix.ProvisionedThroughput = &types.ProvisionedThroughput{
			ReadCapacityUnits:  aws.Int64(spec.IndexReadCapacity),
			WriteCapacityUnits: aws.Int64(spec.IndexWriteCapacity),
		}
	}
	return ix
}

// findIndex returns the global secondary index of d named name, or nil.
func findIndex(d *types.TableDescription, name string) *types.GlobalSecondaryIndexDescription {
	for i := range d.GlobalSecondaryIndexes {
		if aws.ToString(d.GlobalSecondaryIndexes[i].IndexName) == name {
			return &d.GlobalSecondaryIndexes[i]
		}
	}
	return nil
}

// indexShape says what keeps ix, an index of the table d, from serving as
// the owner index on ownerAttr: nothing when its partition key is ownerAttr
// of type S, it has no sort key and it is not being deleted.
func indexShape(d *types.TableDescription, ix *types.GlobalSecondaryIndexDescription, ownerAttr string) []string {
	var problems []string
	hash, sort := tablekey.Names(ix.KeySchema)
	var hashType types.ScalarAttributeType
	for _, a := range d.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == hash {
			hashType = a.AttributeType
		}
	}
	switch {
	case hash != ownerAttr:
		problems = append(problems, fmt.Sprintf("partition key is %q, want the owner attribute %q: the repository's Query names %q", hash, ownerAttr, ownerAttr))
	case hashType != types.ScalarAttributeTypeS:
		problems = append(problems, fmt.Sprintf("partition key %q has type %s, want S: DynamoDB refuses every write of an owned session, whose owner is a string", hash, hashType))
	}
	if sort != "" {
		problems = append(problems, fmt.Sprintf("sort key %q: an item without it is left out of the index, and sessions have no such attribute", sort))
	}
	if ix.IndexStatus == types.IndexStatusDeleting {
		problems = append(problems, "being deleted")
	}
	return problems
}

// waitActive waits until the table is ACTIVE, with the SDK's own waiter:
// it asks at once (the fake and DynamoDB Local answer ACTIVE straight
// away), then backs off from 1 to 10 seconds.
func waitActive(ctx context.Context, client DescribeAPI, table string) (*types.TableDescription, error) {
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 10*time.Second
	})
	out, err := w.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: &table}, maxWait)
	if err != nil {
		return nil, fmt.Errorf("tableadmin: waiting for table %s to become ACTIVE: %w", table, err)
	}
	return out.Table, nil
}

func describeTTL(ctx context.Context, client DescribeAPI, table string) (*types.TimeToLiveDescription, error) {
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		return nil, fmt.Errorf("tableadmin: describing TTL of %s: %w", table, err)
	}
	if out.TimeToLiveDescription == nil {
		return &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusDisabled}, nil
	}
	return out.TimeToLiveDescription, nil
}
