package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/tablekey"
	"github.com/dynamosession/dynamosession/migrate"
)

// schemaAttr is the attribute a repository keeps a record's schema
// version in.
const schemaAttr = "schema"

func runSchemas(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "schemas", "[flags]", `
Count a table's live sessions by the schema version their data is stored
under (Options.Schema, kept in the attribute "`+schemaAttr+`"; a record
without it is version 1), so a team knows when the last record of an old
version is gone and its upgrade (Options.Upgrades) can be deleted.
Expired records are not counted: DynamoDB's TTL deletes them.

This scans the whole table, and DynamoDB bills a Scan for every item it
reads, live or not: 0.5 read unit per 4 KB, eventually consistent (a
1 GB table costs about 131,000 read units, $0.02 on-demand at us-east-1
prices). The estimate is printed before, the read units consumed after.
Pace it with -rcu on a provisioned table. It is migrate's scan run dry
(migrate -dry-run): it writes nothing.

Needs dynamodb:DescribeTable and dynamodb:Scan.
`)
	var (
		tf      tableFlags
		rf      recordFlags
		cf      connFlags
		workers = fs.Int("workers", 4, "parallel scan segments")
		rcu     = fs.Float64("rcu", 0, "target read capacity units per second for the scan (default: unlimited)")
	)
	tf.register(fs)
	rf.register(fs)
	cf.register(fs, e)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	switch {
	case *workers < 1 || *workers > 1000:
		return usagef("-workers %d: want 1 to 1000", *workers)
	case *rcu < 0:
		return usagef("-rcu %g: a rate cannot be negative (0: unlimited)", *rcu)
	case tf.key == rf.data || tf.key == tf.expires || rf.data == tf.expires:
		return usagef("-key %q, -data %q and -expires %q must be three different attributes", tf.key, rf.data, tf.expires)
	case schemaAttr == tf.key || schemaAttr == rf.data || schemaAttr == tf.expires:
		return usagef("-key %q, -data %q and -expires %q must differ from the schema attribute %q", tf.key, rf.data, tf.expires, schemaAttr)
	}
	// A dry run to MessagePack reads every record and writes nothing; the
	// target format does not matter, only the scan and the counts.
	cfg := migrate.Config{Workers: *workers, ReadUnitsPerSecond: *rcu, DryRun: true}
	c, err := cf.connect(ctx, e, true)
	if err != nil {
		return err
	}
	repo, err := valueRepo(c, tf, rf, formats["msgpack"](), e.now)
	if err != nil {
		return err
	}
	// Describe first, to refuse a table the scan would be billed for in
	// vain, and to say what the scan will cost.
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &tf.table})
	if hint := tableHint(err, tf.table); hint != "" {
		return fmt.Errorf("%w\n%s", err, hint)
	}
	if err != nil {
		return err
	}
	if msg := tablekey.Problem(out.Table, tf.key); msg != "" {
		return fmt.Errorf("table %s: %s: pass the table's partition key with -key (check-table shows it)", tf.table, msg)
	}
	size := aws.ToInt64(out.Table.TableSizeBytes)
	fmt.Fprintf(e.stdout, "counting schema versions in table %s, keys %q: a Scan of every item (DynamoDB's estimate, refreshed about every 6 hours: %s, %s; about %g read units)\n",
		tf.table, rf.prefix+"*", plural(int(aws.ToInt64(out.Table.ItemCount)), "item"), tableadmin.ByteSize(size), scanUnits(size))

	bar := newProgressBar(e, aws.ToInt64(out.Table.ItemCount))
	bar.render = renderScan
	cfg.Progress = bar.update
	rep, err := migrate.Run(ctx, c, repo, cfg)
	bar.done()
	if err != nil && bar.pages == 0 {
		explainEarlyFailure(e, "schemas", err, tf.table, "")
		return errReported
	}
	if err != nil {
		fmt.Fprintln(e.stdout, "INCOMPLETE: the scan stopped part way; these counts cover only what it read")
	}
	writeSchemas(e, rep, err == nil)
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "dynamosession schemas: %v\n", err)
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(e.stderr, "interrupted")
		}
		return errReported
	case rep.Scanned > 0 && skippedUncounted(rep) == rep.Scanned:
		// Records of a newer schema version than migrate's are skipped
		// by the conversion but counted here: they matched.
		explainNoMatch(e, "schemas", "counted", rep, rf, nil)
		return errReported
	}
	return nil
}

// writeSchemas prints the counts of a schemas scan, complete or not.
func writeSchemas(e *env, rep *migrate.Report, complete bool) {
	var live int64
	for _, n := range rep.Schemas {
		live += n
	}
	fmt.Fprintf(e.stdout, "live records by schema version (attribute %q; without it: version 1):\n", schemaAttr)
	if len(rep.Schemas) == 0 {
		fmt.Fprintln(e.stdout, "  none")
	}
	for _, v := range slices.Sorted(maps.Keys(rep.Schemas)) {
		fmt.Fprintf(e.stdout, "  version %-4d %9s\n", v, group(rep.Schemas[v]))
	}
	fmt.Fprintf(e.stdout, "scanned %s: %s counted, %s expired (not counted)", plural(int(rep.Scanned), "item"), group(live), group(rep.Expired))
	other := skippedUncounted(rep)
	if other > 0 {
		fmt.Fprintf(e.stdout, ", %s skipped (%s)", group(other), skipReasons(rep, skipSchema))
	}
	fmt.Fprintln(e.stdout)
	// A live record whose expiry or schema attribute is not a number is
	// reported by the scan before its version is read.
	if n := rep.Scanned - rep.Expired - other - live; n > 0 {
		fmt.Fprintf(e.stdout, "  %s an expiry or schema attribute that cannot be read, so no version (migrate -dry-run lists them)\n", agree(n, "record has", "records have"))
	}
	fmt.Fprintf(e.stdout, "read units %.1f (the scan's, as DynamoDB reported them)\n", rep.ReadUnits)
	if complete && len(rep.Schemas) > 0 {
		fmt.Fprintln(e.stdout, "an upgrade from a version not listed has no live record left to read: it can be deleted once no running deploy writes that version")
	}
}

// skippedUncounted is how many items a schemas scan skipped as not
// sessions of the table's layout: another prefix, no data attribute, a
// format this tool does not read.
func skippedUncounted(rep *migrate.Report) int64 {
	return skipped(rep) - rep.Skipped[skipSchema]
}

// scanUnits estimates what an eventually consistent Scan of size bytes
// costs: 0.5 read unit per 4 KB.
func scanUnits(size int64) float64 {
	return capacity.ReadUnits(int(max(size, 1)), false)
}
