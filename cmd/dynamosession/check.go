package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/costmodel"
	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
)

func runCheckTable(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "check-table", "[flags]", `
Describe a table and report what is wrong with it for a session store: the
partition key's name and type, TTL disabled or on another attribute, the
table's status and class, the owner index, other secondary indexes, and,
given the expected request rates, whether on-demand or provisioned
billing is cheaper and whether provisioned capacity covers the peak (at
today's us-east-1 list prices).

The owner index (-owner-index, queried to list and revoke a user's
sessions) must be ACTIVE, with partition key -owner-attr of type S and no
sort key; KEYS_ONLY is its right projection (INCLUDE or ALL make saves and
touches write it too). A table without it is fine for sessions without
owners: its absence is a note, and with -require-owner-index a problem. Read-only: it needs dynamodb:DescribeTable and
dynamodb:DescribeTimeToLive and nothing else. Exits 1 if it finds a
problem.
`)
	var (
		tf      tableFlags
		of      ownerFlags
		cf      connFlags
		load    tableadmin.Load
		require = fs.Bool("require-owner-index", false, "report a missing owner index as a problem (exit 1): for applications that set Options.Owner")
	)
	tf.register(fs)
	of.register(fs, `; "" checks none`)
	cf.register(fs, e)
	fs.Float64Var(&load.ReadsPerSecond, "reads", 0, "expected session reads per second, on average (for billing advice)")
	fs.Float64Var(&load.WritesPerSecond, "writes", 0, "expected session writes (logins, saves, touches, logouts) per second, on average")
	fs.Float64Var(&load.PeakFactor, "peak", 2, "busiest second's rate over the average")
	fs.IntVar(&load.ItemBytes, "item-bytes", 0, "session item size in bytes (default: the table's average, or 1024)")
	fs.BoolVar(&load.StrongReads, "strong", false, "reads are strongly consistent")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	p := costmodel.DefaultPrices()
	load.Prices = tableadmin.Prices{
		OnDemandReadPerMillion:  p.OnDemandReadPerMillion,
		OnDemandWritePerMillion: p.OnDemandWritePerMillion,
		ProvisionedRCUHour:      p.ProvisionedRCUHour,
		ProvisionedWCUHour:      p.ProvisionedWCUHour,
	}
	c, err := cf.connect(ctx, e, true)
	if err != nil {
		return err
	}
	r, err := tableadmin.Check(ctx, c, tableadmin.Spec{Table: tf.table, KeyAttr: tf.key, ExpiresAttr: tf.expires,
		OwnerIndex: of.index, OwnerAttr: of.attr, RequireOwnerIndex: *require, Load: load})
	if errors.Is(err, tableadmin.ErrInvalidSpec) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	if err := r.WriteText(e.stdout); err != nil {
		return err
	}
	if r.OwnerIndexMissing {
		var wcu int64
		if r.Billing == types.BillingModeProvisioned {
			wcu = max(1, r.WriteCapacity)
		}
		fmt.Fprintln(e.stdout, addIndexCommand(r.Table, of.index, of.attr, endpoint(cf), wcu))
	}
	if !r.OK() {
		return errReported
	}
	return nil
}
