package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
)

const pocWarning = `create-table is for proofs of concept, tests and DynamoDB Local. Production
tables belong in the infrastructure code that owns the account
(CloudFormation, Terraform, the CDK), where they are reviewed, tagged,
backed up and protected from deletion; check them with check-table.
`

func runCreateTable(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "create-table", "[flags]", `
Create a session table: a string partition key, TTL enabled on the expiry
attribute, on-demand or provisioned billing, and the owner index that
listing and revoking a user's sessions query (the sessions and revoke
commands, Repo.ListOwner and Repo.RevokeOwner): a global secondary index
on the owner attribute (S), keys only. Waits until the table is ACTIVE. A
table that exists with that key is left as it is (TTL is enabled if it is
off); one with another key schema, TTL on another attribute or an index
of that name with another key is refused.

The owner index is created unless -owner-index "" says not to. It is
sparse: only sessions with an owner (Options.Owner) are in it, so while
the application sets no owner it stores and writes nothing, and on an
on-demand table it costs nothing. Adding it later is an UpdateTable that
backfills it from every item, minutes to hours on a large table, which
create-table does not do. On a provisioned table the index has capacity
of its own, billed by the hour even while the index is empty (1 read and
1 write unit: $0.57 a month at us-east-1 list prices):
-index-read-capacity (default 1) and -index-write-capacity (default
-write-capacity: an index that runs out of write units throttles the
table's writes too, and AWS advises giving it at least the table's).

`+pocWarning)
	var (
		tf      tableFlags
		of      ownerFlags
		cf      connFlags
		billing = fs.String("billing", "on-demand", "billing mode: on-demand or provisioned")
		rcu     = fs.Int64("read-capacity", 0, "provisioned read capacity units")
		wcu     = fs.Int64("write-capacity", 0, "provisioned write capacity units")
		ircu    = fs.Int64("index-read-capacity", 0, "provisioned read capacity units of the owner index (default 1)")
		iwcu    = fs.Int64("index-write-capacity", 0, "provisioned write capacity units of the owner index (default -write-capacity)")
	)
	tf.register(fs)
	of.register(fs, `; "" creates none`)
	cf.register(fs, e)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	spec := tableadmin.Spec{Table: tf.table, KeyAttr: tf.key, ExpiresAttr: tf.expires, ReadCapacity: *rcu, WriteCapacity: *wcu,
		OwnerIndex: of.index, OwnerAttr: of.attr, IndexReadCapacity: *ircu, IndexWriteCapacity: *iwcu}
	switch strings.ToLower(*billing) {
	case "on-demand", "pay_per_request":
		spec.Billing = types.BillingModePayPerRequest
	case "provisioned":
		spec.Billing = types.BillingModeProvisioned
	default:
		return usagef("-billing %q: want on-demand or provisioned", *billing)
	}
	switch {
	case spec.OwnerIndex == "" && (*ircu != 0 || *iwcu != 0):
		return usagef(`-index-read-capacity and -index-write-capacity are for the owner index, and -owner-index "" creates none`)
	case spec.Billing == types.BillingModePayPerRequest && (*ircu != 0 || *iwcu != 0):
		return usagef("-index-read-capacity and -index-write-capacity are for provisioned tables (-billing provisioned): an on-demand table's index is billed per request")
	}
	if spec.Billing == types.BillingModeProvisioned && spec.OwnerIndex != "" {
		// The defaults tableadmin applies, spelled out for the output.
		spec.IndexReadCapacity = max(spec.IndexReadCapacity, 1)
		if spec.IndexWriteCapacity == 0 {
			spec.IndexWriteCapacity = spec.WriteCapacity
		}
	}
	c, err := cf.connect(ctx, e, false)
	if err != nil {
		return err
	}
	outcome, err := tableadmin.Create(ctx, c, spec)
	noIndex := errors.Is(err, tableadmin.ErrNoOwnerIndex)
	switch {
	case errors.Is(err, tableadmin.ErrInvalidSpec):
		return usageError{err.Error()}
	case errors.Is(err, tableadmin.ErrOwnerIndex):
		return fmt.Errorf("%w\nName another index with -owner-index (check-table shows the table's indexes), or pass -owner-index \"\" to leave the table without one", err)
	case err != nil && !noIndex:
		return err
	}
	mode := "on-demand"
	if spec.Billing == types.BillingModeProvisioned {
		mode = fmt.Sprintf("provisioned %d RCU, %d WCU", spec.ReadCapacity, spec.WriteCapacity)
	}
	index := ""
	if spec.OwnerIndex != "" && !noIndex {
		index = fmt.Sprintf(" and owner index %q", spec.OwnerIndex)
	}
	switch outcome {
	case tableadmin.Created:
		fmt.Fprintf(e.stdout, "table %s: created (%s), partition key %q (S), TTL on %q\n", spec.Table, mode, spec.KeyAttr, spec.ExpiresAttr)
		if spec.OwnerIndex != "" {
			capacity := ""
			if spec.Billing == types.BillingModeProvisioned {
				capacity = fmt.Sprintf(", provisioned %d RCU, %d WCU", spec.IndexReadCapacity, spec.IndexWriteCapacity)
			}
			fmt.Fprintf(e.stdout, "  owner index %q: partition key %q (S), keys only%s\n", spec.OwnerIndex, spec.OwnerAttr, capacity)
		}
		fmt.Fprintln(e.stderr, "note: create-table is for proofs of concept; production tables belong in infrastructure code (see -h)")
	case tableadmin.TTLEnabled:
		fmt.Fprintf(e.stdout, "table %s: already existed with partition key %q%s; TTL was off and is now enabled on %q\n", spec.Table, spec.KeyAttr, index, spec.ExpiresAttr)
	default:
		fmt.Fprintf(e.stdout, "table %s: already exists with partition key %q, TTL on %q%s; nothing changed\n", spec.Table, spec.KeyAttr, spec.ExpiresAttr, index)
	}
	if !noIndex {
		return nil
	}
	// The table serves sessions; it lacks what only owners need. That
	// fails the command only if the index was asked for by name.
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "owner-index" })
	label := "note"
	if explicit {
		label = "dynamosession create-table"
	}
	var tableWCU int64 // the table's write units if it is provisioned
	if out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &spec.Table}); err == nil && out.Table != nil {
		// DynamoDB omits the billing summary of a table created provisioned.
		if bs := out.Table.BillingModeSummary; (bs == nil || bs.BillingMode == types.BillingModeProvisioned) && out.Table.ProvisionedThroughput != nil {
			tableWCU = aws.ToInt64(out.Table.ProvisionedThroughput.WriteCapacityUnits)
		}
	}
	fmt.Fprintf(e.stderr, "%s: table %s has no owner index %q, and create-table does not add indexes to an existing table.\n%s\nTables that hold no owned sessions need no index: pass -owner-index \"\" to create none.\n",
		label, spec.Table, spec.OwnerIndex, addIndexCommand(spec.Table, spec.OwnerIndex, spec.OwnerAttr, endpoint(cf), tableWCU))
	if explicit {
		return errReported
	}
	return nil
}

// endpoint returns the endpoint an AWS CLI command must name to reach the
// DynamoDB that c talks to: "" for AWS, or for -fake.
func endpoint(c connFlags) string {
	if c.fake {
		return ""
	}
	return strings.TrimSpace(c.endpoint)
}

// addIndexCommand says how to add an owner index to an existing table:
// the AWS CLI command, with the index's capacity if the table is
// provisioned with wcu write units (0: on-demand). The index's write
// units follow AWS's advice to give an index at least the table's.
func addIndexCommand(table, index, attr, endpoint string, wcu int64) string {
	throughput := ""
	if wcu > 0 {
		throughput = fmt.Sprintf(`,"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":%d}`, wcu)
	}
	url := ""
	if endpoint != "" {
		url = " --endpoint-url " + endpoint
	}
	return fmt.Sprintf(`Add it with the AWS CLI (DynamoDB backfills it from the table's items, minutes to hours on a large table; queries of it fail until it is ACTIVE):
  aws dynamodb update-table%s --table-name %s \
    --attribute-definitions AttributeName=%s,AttributeType=S \
    --global-secondary-index-updates '[{"Create":{"IndexName":"%s","KeySchema":[{"AttributeName":"%s","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}%s}}]'`,
		url, table, attr, index, attr, throughput)
}
