package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
attribute, on-demand or provisioned billing. Waits until the table is
ACTIVE. A table that exists with that key is left as it is (TTL is
enabled if it is off); one with another key schema or TTL on another
attribute is refused.

`+pocWarning)
	var (
		tf      tableFlags
		cf      connFlags
		billing = fs.String("billing", "on-demand", "billing mode: on-demand or provisioned")
		rcu     = fs.Int64("read-capacity", 0, "provisioned read capacity units")
		wcu     = fs.Int64("write-capacity", 0, "provisioned write capacity units")
	)
	tf.register(fs)
	cf.register(fs, e)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	spec := tableadmin.Spec{Table: tf.table, KeyAttr: tf.key, ExpiresAttr: tf.expires, ReadCapacity: *rcu, WriteCapacity: *wcu}
	switch strings.ToLower(*billing) {
	case "on-demand", "pay_per_request":
		spec.Billing = types.BillingModePayPerRequest
	case "provisioned":
		spec.Billing = types.BillingModeProvisioned
	default:
		return usagef("-billing %q: want on-demand or provisioned", *billing)
	}
	c, err := cf.connect(ctx, e, false)
	if err != nil {
		return err
	}
	outcome, err := tableadmin.Create(ctx, c, spec)
	if errors.Is(err, tableadmin.ErrInvalidSpec) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	mode := "on-demand"
	if spec.Billing == types.BillingModeProvisioned {
		mode = fmt.Sprintf("provisioned %d RCU, %d WCU", spec.ReadCapacity, spec.WriteCapacity)
	}
	switch outcome {
	case tableadmin.Created:
		fmt.Fprintf(e.stdout, "table %s: created (%s), partition key %q (S), TTL on %q\n", spec.Table, mode, spec.KeyAttr, spec.ExpiresAttr)
		fmt.Fprintln(e.stderr, "note: create-table is for proofs of concept; production tables belong in infrastructure code (see -h)")
	case tableadmin.TTLEnabled:
		fmt.Fprintf(e.stdout, "table %s: already existed with partition key %q; TTL was off and is now enabled on %q\n", spec.Table, spec.KeyAttr, spec.ExpiresAttr)
	default:
		fmt.Fprintf(e.stdout, "table %s: already exists with partition key %q and TTL on %q; nothing changed\n", spec.Table, spec.KeyAttr, spec.ExpiresAttr)
	}
	return nil
}
