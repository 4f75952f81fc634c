package tableadmin_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/golden"
)

type client interface {
	tableadmin.CreateAPI
	dynamotest.TableAPI
}

// onBackends runs test on the fake and on DynamoDB Local.
func onBackends(t *testing.T, test func(t *testing.T, c client)) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		test(t, fake.New())
	})
	t.Run("dynamodb-local", func(t *testing.T) {
		t.Parallel()
		test(t, dynamotest.Client(t))
	})
}

// tableName returns a fresh table name, and deletes the table after the
// test if it was created.
func tableName(t *testing.T, c client) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "tableadmin-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		_, err := c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name})
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			t.Errorf("deleting %s: %v", name, err)
		}
	})
	return name
}

// rawTable creates a table as someone else might have.
func rawTable(t *testing.T, c client, name string, keys []types.KeySchemaElement, defs []types.AttributeDefinition) {
	t.Helper()
	_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: &name, KeySchema: keys, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hashKey(name string, typ types.ScalarAttributeType) ([]types.KeySchemaElement, []types.AttributeDefinition) {
	return []types.KeySchemaElement{{AttributeName: aws.String(name), KeyType: types.KeyTypeHash}},
		[]types.AttributeDefinition{{AttributeName: aws.String(name), AttributeType: typ}}
}

func enableTTL(t *testing.T, c client, table, attr string) {
	t.Helper()
	_, err := c.UpdateTimeToLive(t.Context(), &dynamodb.UpdateTimeToLiveInput{
		TableName:               &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: &attr, Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
}

type tableState struct {
	Key, KeyType string
	Billing      types.BillingMode
	RCU, WCU     int64
	TTL          types.TimeToLiveStatus
	TTLAttr      string
	Status       types.TableStatus
	// Indexes describes each global secondary index: "name: attr TYPE
	// HASH, PROJECTION", and ", R/W" capacity on a provisioned table.
	Indexes []string
}

func describe(t *testing.T, c client, table string) tableState {
	t.Helper()
	d, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := c.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	s := tableState{
		Key:     aws.ToString(d.Table.KeySchema[0].AttributeName),
		KeyType: string(d.Table.AttributeDefinitions[0].AttributeType),
		Billing: types.BillingModeProvisioned, // DynamoDB omits the summary for tables created provisioned
		TTL:     ttl.TimeToLiveDescription.TimeToLiveStatus,
		TTLAttr: aws.ToString(ttl.TimeToLiveDescription.AttributeName),
		Status:  d.Table.TableStatus,
	}
	if bs := d.Table.BillingModeSummary; bs != nil {
		s.Billing = bs.BillingMode
	}
	if s.Billing == types.BillingModeProvisioned {
		s.RCU, s.WCU = aws.ToInt64(d.Table.ProvisionedThroughput.ReadCapacityUnits), aws.ToInt64(d.Table.ProvisionedThroughput.WriteCapacityUnits)
	}
	defs := map[string]types.ScalarAttributeType{}
	for _, a := range d.Table.AttributeDefinitions {
		defs[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	for _, ix := range d.Table.GlobalSecondaryIndexes {
		desc := aws.ToString(ix.IndexName) + ":"
		for _, k := range ix.KeySchema {
			desc += fmt.Sprintf(" %s %s %s", aws.ToString(k.AttributeName), defs[aws.ToString(k.AttributeName)], k.KeyType)
		}
		desc += ", " + string(ix.Projection.ProjectionType)
		if pt := ix.ProvisionedThroughput; pt != nil && s.Billing == types.BillingModeProvisioned {
			desc += fmt.Sprintf(", %d/%d", aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits))
		}
		s.Indexes = append(s.Indexes, desc)
	}
	return s
}

// indexedTable creates a table keyed by a string "id", with one global
// secondary index on the attributes keys names (an attribute of type N if
// its name ends in "#N"), projected as proj.
func indexedTable(t *testing.T, c client, name, index string, proj types.Projection, keys ...string) {
	t.Helper()
	defs := []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}}
	var schema []types.KeySchemaElement
	for i, k := range keys {
		typ := types.ScalarAttributeTypeS
		if n, ok := strings.CutSuffix(k, "#N"); ok {
			k, typ = n, types.ScalarAttributeTypeN
		}
		kt := types.KeyTypeHash
		if i > 0 {
			kt = types.KeyTypeRange
		}
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(k), AttributeType: typ})
		schema = append(schema, types.KeySchemaElement{AttributeName: aws.String(k), KeyType: kt})
	}
	_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            &name,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: defs,
		BillingMode:          types.BillingModePayPerRequest,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(index), KeySchema: schema, Projection: &proj,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	keysOnly = types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
	projAll  = types.Projection{ProjectionType: types.ProjectionTypeAll}
)

func TestCreate(t *testing.T) {
	onBackends(t, func(t *testing.T, c client) {
		t.Run("on-demand, then again", func(t *testing.T) {
			name := tableName(t, c)
			got, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name})
			if err != nil || got != tableadmin.Created {
				t.Fatalf("Create = %v, %v; want Created", got, err)
			}
			want := tableState{Key: "id", KeyType: "S", Billing: types.BillingModePayPerRequest, TTL: types.TimeToLiveStatusEnabled, TTLAttr: "expires", Status: types.TableStatusActive}
			if diff := cmp.Diff(want, describe(t, c, name)); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
			got, err = tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name})
			if err != nil || got != tableadmin.Unchanged {
				t.Fatalf("second Create = %v, %v; want Unchanged", got, err)
			}
		})
		t.Run("provisioned, own attributes", func(t *testing.T) {
			name := tableName(t, c)
			spec := tableadmin.Spec{Table: name, KeyAttr: "sid", ExpiresAttr: "ttl", Billing: types.BillingModeProvisioned, ReadCapacity: 5, WriteCapacity: 3}
			if got, err := tableadmin.Create(t.Context(), c, spec); err != nil || got != tableadmin.Created {
				t.Fatalf("Create = %v, %v; want Created", got, err)
			}
			want := tableState{Key: "sid", KeyType: "S", Billing: types.BillingModeProvisioned, RCU: 5, WCU: 3, TTL: types.TimeToLiveStatusEnabled, TTLAttr: "ttl", Status: types.TableStatusActive}
			if diff := cmp.Diff(want, describe(t, c, name)); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
		t.Run("existing without TTL: TTL enabled", func(t *testing.T) {
			name := tableName(t, c)
			keys, defs := hashKey("id", types.ScalarAttributeTypeS)
			rawTable(t, c, name, keys, defs)
			if got, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); err != nil || got != tableadmin.TTLEnabled {
				t.Fatalf("Create = %v, %v; want TTLEnabled", got, err)
			}
			if s := describe(t, c, name); s.TTL != types.TimeToLiveStatusEnabled || s.TTLAttr != "expires" {
				t.Errorf("TTL %s on %q", s.TTL, s.TTLAttr)
			}
		})
		t.Run("owner index, on-demand", func(t *testing.T) {
			name := tableName(t, c)
			spec := tableadmin.Spec{Table: name, OwnerIndex: "owner-index"}
			if got, err := tableadmin.Create(t.Context(), c, spec); err != nil || got != tableadmin.Created {
				t.Fatalf("Create = %v, %v; want Created", got, err)
			}
			want := tableState{Key: "id", KeyType: "S", Billing: types.BillingModePayPerRequest, TTL: types.TimeToLiveStatusEnabled, TTLAttr: "expires", Status: types.TableStatusActive,
				Indexes: []string{"owner-index: owner S HASH, KEYS_ONLY"}}
			if diff := cmp.Diff(want, describe(t, c, name)); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
			if got, err := tableadmin.Create(t.Context(), c, spec); err != nil || got != tableadmin.Unchanged {
				t.Fatalf("second Create = %v, %v; want Unchanged", got, err)
			}
		})
		t.Run("owner index, provisioned", func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				rcu, wcu int64
				want     string
			}{
				{"default capacity: 1 read, the table's writes", 0, 0, "user: uid S HASH, KEYS_ONLY, 1/3"},
				{"own capacity", 4, 6, "user: uid S HASH, KEYS_ONLY, 4/6"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					name := tableName(t, c)
					spec := tableadmin.Spec{Table: name, Billing: types.BillingModeProvisioned, ReadCapacity: 5, WriteCapacity: 3,
						OwnerIndex: "user", OwnerAttr: "uid", IndexReadCapacity: tc.rcu, IndexWriteCapacity: tc.wcu}
					if got, err := tableadmin.Create(t.Context(), c, spec); err != nil || got != tableadmin.Created {
						t.Fatalf("Create = %v, %v; want Created", got, err)
					}
					if diff := cmp.Diff([]string{tc.want}, describe(t, c, name).Indexes); diff != "" {
						t.Errorf("indexes (-want +got):\n%s", diff)
					}
				})
			}
		})
		t.Run("existing without owner index: TTL enabled, index reported missing", func(t *testing.T) {
			name := tableName(t, c)
			keys, defs := hashKey("id", types.ScalarAttributeTypeS)
			rawTable(t, c, name, keys, defs)
			got, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name, OwnerIndex: "owner-index"})
			if !errors.Is(err, tableadmin.ErrNoOwnerIndex) || got != tableadmin.TTLEnabled {
				t.Fatalf("Create = %v, %v; want TTLEnabled, ErrNoOwnerIndex", got, err)
			}
			if s := describe(t, c, name); s.TTL != types.TimeToLiveStatusEnabled || s.Indexes != nil {
				t.Errorf("TTL %s, indexes %v; want TTL enabled and no index added", s.TTL, s.Indexes)
			}
			got, err = tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name, OwnerIndex: "owner-index"})
			if !errors.Is(err, tableadmin.ErrNoOwnerIndex) || got != tableadmin.Unchanged {
				t.Fatalf("second Create = %v, %v; want Unchanged, ErrNoOwnerIndex", got, err)
			}
		})
		for _, r := range []struct {
			name string
			keys []string
		}{
			{"owner index on another attribute", []string{"user"}},
			{"owner index of type N", []string{"owner#N"}},
			{"owner index with a sort key", []string{"owner", "at#N"}},
		} {
			t.Run("refuses "+r.name, func(t *testing.T) {
				name := tableName(t, c)
				indexedTable(t, c, name, "owner-index", keysOnly, r.keys...)
				before := describe(t, c, name)
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name, OwnerIndex: "owner-index"}); !errors.Is(err, tableadmin.ErrOwnerIndex) {
					t.Fatalf("err = %v, want ErrOwnerIndex", err)
				}
				if diff := cmp.Diff(before, describe(t, c, name)); diff != "" {
					t.Errorf("refused table changed (-before +after):\n%s", diff)
				}
			})
		}
		refusals := []struct {
			name    string
			key     string
			typ     types.ScalarAttributeType
			sortKey bool
			ttlOn   string
			want    error
		}{
			{"number key", "id", types.ScalarAttributeTypeN, false, "", tableadmin.ErrKeySchema},
			{"other key name", "pk", types.ScalarAttributeTypeS, false, "", tableadmin.ErrKeySchema},
			{"sort key", "id", types.ScalarAttributeTypeS, true, "", tableadmin.ErrKeySchema},
			{"TTL on another attribute", "id", types.ScalarAttributeTypeS, false, "deleteAt", tableadmin.ErrTTLConflict},
		}
		for _, r := range refusals {
			t.Run("refuses "+r.name, func(t *testing.T) {
				name := tableName(t, c)
				keys, defs := hashKey(r.key, r.typ)
				if r.sortKey {
					keys = append(keys, types.KeySchemaElement{AttributeName: aws.String("at"), KeyType: types.KeyTypeRange})
					defs = append(defs, types.AttributeDefinition{AttributeName: aws.String("at"), AttributeType: types.ScalarAttributeTypeN})
				}
				rawTable(t, c, name, keys, defs)
				if r.ttlOn != "" {
					enableTTL(t, c, name, r.ttlOn)
				}
				before := describe(t, c, name)
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); !errors.Is(err, r.want) {
					t.Fatalf("err = %v, want %v", err, r.want)
				}
				if diff := cmp.Diff(before, describe(t, c, name)); diff != "" {
					t.Errorf("refused table changed (-before +after):\n%s", diff)
				}
			})
		}
	})
}

// pauseAfterCreate is a client whose CreateTable, once it has created the
// table, waits until resume is closed: the window in which another caller
// finds the table without TTL.
type pauseAfterCreate struct {
	client
	created chan struct{} // closed when CreateTable has succeeded
	resume  chan struct{}
}

func (p *pauseAfterCreate) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	out, err := p.client.CreateTable(ctx, in, optFns...)
	if err == nil {
		close(p.created)
		<-p.resume
	}
	return out, err
}

// TestCreateRace pauses one Create right after its CreateTable while a
// second Create runs to completion (finding the table without TTL, it
// enables TTL); the first then resumes. Both must succeed, each saying
// truthfully what it did; unless the second put TTL on another attribute,
// which the first must report as a conflict.
func TestCreateRace(t *testing.T) {
	cases := []struct {
		name       string
		secondTTL  string // the second caller's Spec.ExpiresAttr
		wantFirst  tableadmin.Outcome
		wantErr    error
		wantTTLOn  string
		wantSecond tableadmin.Outcome
	}{
		{"same spec", "expires", tableadmin.Created, nil, "expires", tableadmin.TTLEnabled},
		{"TTL on another attribute", "deleteAt", 0, tableadmin.ErrTTLConflict, "deleteAt", tableadmin.TTLEnabled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			onBackends(t, func(t *testing.T, c client) {
				name := tableName(t, c)
				p := &pauseAfterCreate{client: c, created: make(chan struct{}), resume: make(chan struct{})}
				type result struct {
					outcome tableadmin.Outcome
					err     error
				}
				first := make(chan result, 1)
				go func() {
					o, err := tableadmin.Create(t.Context(), p, tableadmin.Spec{Table: name})
					first <- result{o, err}
				}()
				select {
				case <-p.created:
				case r := <-first:
					t.Fatalf("first Create returned before creating the table: %v, %v", r.outcome, r.err)
				}
				second, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name, ExpiresAttr: tc.secondTTL})
				close(p.resume)
				if err != nil || second != tc.wantSecond {
					t.Errorf("second Create = %v, %v; want %v", second, err, tc.wantSecond)
				}
				if r := <-first; !errors.Is(r.err, tc.wantErr) || (tc.wantErr == nil) != (r.err == nil) || r.outcome != tc.wantFirst {
					t.Errorf("first Create = %v, %v; want %v, %v", r.outcome, r.err, tc.wantFirst, tc.wantErr)
				}
				if s := describe(t, c, name); s.TTL != types.TimeToLiveStatusEnabled || s.TTLAttr != tc.wantTTLOn {
					t.Errorf("TTL %s on %q, want ENABLED on %q", s.TTL, s.TTLAttr, tc.wantTTLOn)
				}
			})
		})
	}
}

// TestCreateConcurrently runs 8 Creates of one table at once, as 8
// instances of a service starting together would: every one succeeds, and
// exactly one reports that it created the table.
func TestCreateConcurrently(t *testing.T) {
	const callers = 8
	onBackends(t, func(t *testing.T, c client) {
		name := tableName(t, c)
		outcomes := make([]tableadmin.Outcome, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[i], errs[i] = tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name})
			}()
		}
		wg.Wait()
		count := map[tableadmin.Outcome]int{}
		for i, err := range errs {
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			count[outcomes[i]]++
		}
		// More than one caller may enable TTL: DynamoDB Local lets
		// concurrent UpdateTimeToLive calls all succeed.
		if count[tableadmin.Created] != 1 || count[tableadmin.Created]+count[tableadmin.TTLEnabled]+count[tableadmin.Unchanged] != callers {
			t.Errorf("outcomes %v; want exactly one created, the others unchanged or TTL enabled", outcomes)
		}
		if s := describe(t, c, name); s.TTL != types.TimeToLiveStatusEnabled || s.TTLAttr != "expires" {
			t.Errorf("TTL %s on %q, want ENABLED on expires", s.TTL, s.TTLAttr)
		}
	})
}

func TestInvalidSpec(t *testing.T) {
	prices := tableadmin.Prices{OnDemandReadPerMillion: 1, OnDemandWritePerMillion: 1, ProvisionedRCUHour: 1, ProvisionedWCUHour: 1}
	cases := map[string]tableadmin.Spec{
		"no table":                      {},
		"short name":                    {Table: "ab"},
		"bad character":                 {Table: "sessions!"},
		"same attributes":               {Table: "sessions", KeyAttr: "x", ExpiresAttr: "x"},
		"provisioned without capacity":  {Table: "sessions", Billing: types.BillingModeProvisioned},
		"on-demand with capacity":       {Table: "sessions", ReadCapacity: 5},
		"unknown billing":               {Table: "sessions", Billing: "FREE"},
		"load without prices":           {Table: "sessions", Load: tableadmin.Load{ReadsPerSecond: 1}},
		"negative load":                 {Table: "sessions", Load: tableadmin.Load{ReadsPerSecond: -1, Prices: prices}},
		"peak factor below one":         {Table: "sessions", Load: tableadmin.Load{ReadsPerSecond: 1, PeakFactor: 0.5, Prices: prices}},
		"bad index name":                {Table: "sessions", OwnerIndex: "ix"},
		"owner attribute is the key":    {Table: "sessions", OwnerIndex: "owner-index", OwnerAttr: "id"},
		"owner attribute is the expiry": {Table: "sessions", OwnerIndex: "owner-index", OwnerAttr: "expires"},
		"on-demand with index capacity": {Table: "sessions", OwnerIndex: "owner-index", IndexWriteCapacity: 5},
		"provisioned, negative index capacity": {Table: "sessions", OwnerIndex: "owner-index", Billing: types.BillingModeProvisioned,
			ReadCapacity: 1, WriteCapacity: 1, IndexReadCapacity: -1},
	}
	db := fake.New()
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := tableadmin.Create(t.Context(), db, spec); !errors.Is(err, tableadmin.ErrInvalidSpec) {
				t.Errorf("Create: err = %v, want ErrInvalidSpec", err)
			}
			if _, err := tableadmin.Check(t.Context(), db, spec); !errors.Is(err, tableadmin.ErrInvalidSpec) {
				t.Errorf("Check: err = %v, want ErrInvalidSpec", err)
			}
		})
	}
	if st := db.Stats(); len(st.Calls) != 0 {
		t.Errorf("invalid specs sent requests: %v", st.Calls)
	}
}

// usEast1 are the prices of costmodel.DefaultPrices, repeated here so the
// expected numbers below can be checked by hand.
var usEast1 = tableadmin.Prices{OnDemandReadPerMillion: 0.125, OnDemandWritePerMillion: 0.625, ProvisionedRCUHour: 0.00013, ProvisionedWCUHour: 0.00065}

type finding struct {
	Check    string
	Severity tableadmin.Severity
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, c client, name string) // creates the table
		spec  tableadmin.Spec
		want  []finding
		ok    bool
	}{
		{
			name: "created by Create",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); err != nil {
					t.Fatal(err)
				}
			},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "TTL disabled, number key",
			setup: func(t *testing.T, c client, name string) {
				keys, defs := hashKey("id", types.ScalarAttributeTypeN)
				rawTable(t, c, name, keys, defs)
			},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.Problem}, {"ttl", tableadmin.Problem}, {"billing", tableadmin.OK}},
		},
		{
			name: "TTL on another attribute",
			setup: func(t *testing.T, c client, name string) {
				keys, defs := hashKey("id", types.ScalarAttributeTypeS)
				rawTable(t, c, name, keys, defs)
				enableTTL(t, c, name, "ttl")
			},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.Problem}, {"billing", tableadmin.OK}},
		},
		{
			name: "steady heavy load on on-demand: provisioned is cheaper",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{Load: tableadmin.Load{ReadsPerSecond: 1500, WritesPerSecond: 150, PeakFactor: 1.5, ItemBytes: 2048, Prices: usEast1}},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"billing", tableadmin.Warning}},
			ok:   true,
		},
		{
			name: "under-provisioned for the peak",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name, Billing: types.BillingModeProvisioned, ReadCapacity: 10, WriteCapacity: 10}); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{Load: tableadmin.Load{ReadsPerSecond: 100, WritesPerSecond: 20, Prices: usEast1}},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"billing", tableadmin.Problem}},
		},
		{
			name: "owner index as Create makes it",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name, OwnerIndex: "owner-index"}); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index", RequireOwnerIndex: true},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.OK}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "no owner index: a note",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index"},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.Note}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "no owner index, required: a problem",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index", RequireOwnerIndex: true},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.Problem}, {"billing", tableadmin.OK}},
		},
		{
			name: "owner index projecting ALL",
			setup: func(t *testing.T, c client, name string) {
				indexedTable(t, c, name, "owner-index", projAll, "owner")
				enableTTL(t, c, name, "expires")
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index"},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.Warning}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "owner index projecting the expiry",
			setup: func(t *testing.T, c client, name string) {
				indexedTable(t, c, name, "owner-index", types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"expires"}}, "owner")
				enableTTL(t, c, name, "expires")
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index"},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.Warning}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "owner index of type N with a sort key",
			setup: func(t *testing.T, c client, name string) {
				indexedTable(t, c, name, "owner-index", keysOnly, "owner#N", "at#N")
				enableTTL(t, c, name, "expires")
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index"},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.Problem}, {"owners", tableadmin.Problem}, {"billing", tableadmin.OK}},
		},
		{
			name: "owner index on another attribute, not checked: any index is a cost",
			setup: func(t *testing.T, c client, name string) {
				indexedTable(t, c, name, "by-user", keysOnly, "user")
				enableTTL(t, c, name, "expires")
			},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"indexes", tableadmin.Warning}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "another index besides the owner index",
			setup: func(t *testing.T, c client, name string) {
				indexedTable(t, c, name, "by-user", keysOnly, "user")
				enableTTL(t, c, name, "expires")
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index"},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.Note}, {"indexes", tableadmin.Warning}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "provisioned owner index with fewer write units than the table",
			setup: func(t *testing.T, c client, name string) {
				spec := tableadmin.Spec{Table: name, Billing: types.BillingModeProvisioned, ReadCapacity: 5, WriteCapacity: 5, OwnerIndex: "owner-index", IndexWriteCapacity: 2}
				if _, err := tableadmin.Create(t.Context(), c, spec); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{OwnerIndex: "owner-index"},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"owners", tableadmin.OK}, {"owners", tableadmin.Warning}, {"billing", tableadmin.OK}},
			ok:   true,
		},
		{
			name: "light load on on-demand",
			setup: func(t *testing.T, c client, name string) {
				if _, err := tableadmin.Create(t.Context(), c, tableadmin.Spec{Table: name}); err != nil {
					t.Fatal(err)
				}
			},
			spec: tableadmin.Spec{Load: tableadmin.Load{ReadsPerSecond: 2, WritesPerSecond: 0.5, Prices: usEast1}},
			want: []finding{{"status", tableadmin.OK}, {"key", tableadmin.OK}, {"ttl", tableadmin.OK}, {"billing", tableadmin.OK}},
			ok:   true,
		},
	}
	onBackends(t, func(t *testing.T, c client) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				name := tableName(t, c)
				tc.setup(t, c, name)
				spec := tc.spec
				spec.Table = name
				r, err := tableadmin.Check(t.Context(), c, spec)
				if err != nil {
					t.Fatal(err)
				}
				var got []finding
				for _, f := range r.Findings {
					got = append(got, finding{f.Check, f.Severity})
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					var b strings.Builder
					_ = r.WriteText(&b)
					t.Errorf("findings (-want +got):\n%s\n%s", diff, b.String())
				}
				if r.OK() != tc.ok {
					t.Errorf("OK() = %v, want %v", r.OK(), tc.ok)
				}
			})
		}
	})
}

func TestCheckMissingTable(t *testing.T) {
	_, err := tableadmin.Check(t.Context(), fake.New(), tableadmin.Spec{Table: "nowhere"})
	var nf *types.ResourceNotFoundException
	if !errors.Is(err, tableadmin.ErrTableNotFound) || !errors.As(err, &nf) {
		t.Errorf("err = %v, want ErrTableNotFound wrapping ResourceNotFoundException", err)
	}
}

// TestCheckOnlyReads checks Check sends nothing but its two describe
// calls: it is meant for least-privilege roles on production tables.
func TestCheckOnlyReads(t *testing.T) {
	db := fake.New()
	if _, err := tableadmin.Create(t.Context(), db, tableadmin.Spec{Table: "sessions"}); err != nil {
		t.Fatal(err)
	}
	db.ResetStats()
	if _, err := tableadmin.Check(t.Context(), db, tableadmin.Spec{Table: "sessions"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"DescribeTable": 1, "DescribeTimeToLive": 1}, db.Stats().Calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestAdvice checks the billing arithmetic on numbers worked by hand.
func TestAdvice(t *testing.T) {
	db := fake.New()
	if _, err := tableadmin.Create(t.Context(), db, tableadmin.Spec{Table: "sessions"}); err != nil {
		t.Fatal(err)
	}
	r, err := tableadmin.Check(t.Context(), db, tableadmin.Spec{Table: "sessions", Load: tableadmin.Load{
		ReadsPerSecond: 1000, WritesPerSecond: 100, PeakFactor: 2, ItemBytes: 2048, Prices: usEast1,
	}})
	if err != nil {
		t.Fatal(err)
	}
	// A 2 KB item: 0.5 RCU per eventually consistent read, 2 WCU per write.
	// On-demand: 2,628,000 s × (1000 × 0.5 × $0.125 + 100 × 2 × $0.625) / 1e6
	//   = 2,628,000 × 187.5 / 1e6 = $492.75.
	// Peak: 1000 RCU and 400 WCU; at 70%: 1429 RCU and 572 WCU.
	// Provisioned: 730 × (1429 × $0.00013 + 572 × $0.00065) = 730 × 0.55757 = $407.0261.
	want := &tableadmin.Advice{
		ItemBytes: 2048, ReadUnits: 0.5, WriteUnits: 2,
		PeakReadUnits: 1000, PeakWriteUnits: 400, ReadCapacity: 1429, WriteCapacity: 572,
		OnDemandMonthly: 492.75, ProvisionedMonthly: 407.0261,
		Recommended: types.BillingModeProvisioned,
	}
	approx := cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })
	if diff := cmp.Diff(want, r.Advice, approx); diff != "" {
		t.Errorf("advice (-want +got):\n%s", diff)
	}
}

// TestReportText checks the text rendering against a golden file
// (go test -update rewrites it).
func TestReportText(t *testing.T) {
	db := fake.New()
	keys, defs := hashKey("id", types.ScalarAttributeTypeS)
	if _, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: aws.String("sessions"), KeySchema: keys, AttributeDefinitions: defs, BillingMode: types.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	r, err := tableadmin.Check(t.Context(), db, tableadmin.Spec{Table: "sessions", Load: tableadmin.Load{ReadsPerSecond: 1000, WritesPerSecond: 100, ItemBytes: 2048, Prices: usEast1}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/check.golden", []byte(b.String()))
}

// statusDB reports a table status of its choosing over the fake's table.
type statusDB struct {
	*fake.DB
	status types.TableStatus
}

func (s statusDB) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, o ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	out, err := s.DB.DescribeTable(ctx, in, o...)
	if err == nil {
		out.Table.TableStatus = s.status
	}
	return out, err
}

// TestCheckStatus: a table that cannot serve sessions is a problem, not a
// warning; one being updated serves requests.
func TestCheckStatus(t *testing.T) {
	db := fake.New()
	if _, err := tableadmin.Create(t.Context(), db, tableadmin.Spec{Table: "sessions"}); err != nil {
		t.Fatal(err)
	}
	for status, want := range map[types.TableStatus]tableadmin.Severity{
		types.TableStatusActive:                            tableadmin.OK,
		types.TableStatusUpdating:                          tableadmin.OK,
		types.TableStatusCreating:                          tableadmin.Warning,
		types.TableStatusInaccessibleEncryptionCredentials: tableadmin.Problem,
		types.TableStatusArchived:                          tableadmin.Problem,
	} {
		r, err := tableadmin.Check(t.Context(), statusDB{db, status}, tableadmin.Spec{Table: "sessions"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Findings {
			if f.Check == "status" && f.Severity != want {
				t.Errorf("%s: severity %v, want %v", status, f.Severity, want)
			}
		}
	}
}
