package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/tablekey"
	"github.com/dynamosession/dynamosession/migrate"
)

// formats are the formats the command line reads and writes, by name.
// Sealed (encrypted) sessions need keys, which this tool does not take:
// migrate them with package migrate and a codec.Sealed reader.
var formats = map[string]func() codec.Codec[anyvalue.Value]{
	"map":     func() codec.Codec[anyvalue.Value] { return codec.Map[anyvalue.Value]() },
	"json":    func() codec.Codec[anyvalue.Value] { return codec.JSON[anyvalue.Value]() },
	"msgpack": func() codec.Codec[anyvalue.Value] { return codec.Msgpack[anyvalue.Value]() },
	"compressed": func() codec.Codec[anyvalue.Value] {
		return codec.Compressed[anyvalue.Value](codec.Msgpack[anyvalue.Value]())
	},
}

func formatNames() string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// readers are codecs for every format the command line reads that the
// codec package does not read by default.
func readers() []codec.Codec[anyvalue.Value] {
	return []codec.Codec[anyvalue.Value]{formats["compressed"]()}
}

func runMigrate(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "migrate", "-to FORMAT [-from FORMAT,...] [flags]", `
Rewrite every session of a table in another format, while the application
keeps running: a parallel segmented Scan, and for each record an
UpdateItem conditioned on the data being what was scanned, so a session
the application writes meanwhile is never overwritten or resurrected. The
expiry is kept; connect-dynamodb's "type" attribute goes when leaving
JSON. Expired, corrupt and other-format records are counted and left
untouched. Conversion is lossless or refused: numbers keep every digit.

This is the only part of dynamosession that scans a table. A scan reads
(and bills) every item: pace it with -rcu and -wcu on a provisioned
table. With -checkpoint, progress is saved after every page; after a crash
or Ctrl-C, the same command resumes where it stopped.

Formats: `+formatNames()+`. Needs dynamodb:DescribeTable, dynamodb:Scan and
dynamodb:UpdateItem. Exits 1 if any record could not be migrated, or
changed during the run (run again to migrate those).
`)
	var (
		tf         tableFlags
		rf         recordFlags
		cf         connFlags
		from       = fs.String("from", "", "formats to rewrite, comma-separated (default: every format but -to)")
		to         = fs.String("to", "", "format to write (required)")
		workers    = fs.Int("workers", 4, "parallel scan segments; a checkpoint fixes the number")
		pageSize   = fs.Int("page-size", 0, "items per scan page, the most a crash can cost per worker (default: DynamoDB's 1 MB pages)")
		wcu        = fs.Float64("wcu", 0, "target write capacity units per second, across workers (default: unlimited)")
		rcu        = fs.Float64("rcu", 0, "target read capacity units per second for the scan (default: unlimited)")
		checkpoint = fs.String("checkpoint", "", "file to save progress to and resume from (default: not resumable)")
		dryRun     = fs.Bool("dry-run", false, "convert every record but write nothing; report what would happen")
		showKeys   = fs.Bool("show-keys", false, "print failed records' keys in full (they are session IDs: bearer credentials)")
		maxFail    = fs.Int("max-failures", 100, "failed records to list (all are counted)")
	)
	tf.register(fs)
	rf.register(fs)
	cf.register(fs, e)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	newTo, ok := formats[*to]
	if !ok {
		return usagef("-to %q: want one of %s", *to, formatNames())
	}
	// Flags are checked here, by name, before migrate.Run (whose errors
	// speak of Config fields) sees them.
	switch {
	case *workers < 0 || *workers > 1000:
		return usagef("-workers %d: want 1 to 1000 (or 0: as many as the checkpoint has, else 4)", *workers)
	case *wcu < 0:
		return usagef("-wcu %g: a rate cannot be negative (0: unlimited)", *wcu)
	case *rcu < 0:
		return usagef("-rcu %g: a rate cannot be negative (0: unlimited)", *rcu)
	case *maxFail < 0:
		return usagef("-max-failures %d: cannot be negative", *maxFail)
	case *pageSize < 0 || *pageSize > 1<<30:
		return usagef("-page-size %d is out of range", *pageSize)
	case tf.key == rf.data || tf.key == tf.expires || rf.data == tf.expires:
		return usagef("-key %q, -data %q and -expires %q must be three different attributes", tf.key, rf.data, tf.expires)
	}
	cfg := migrate.Config{
		Workers: *workers, PageSize: int32(*pageSize),
		WriteUnitsPerSecond: *wcu, ReadUnitsPerSecond: *rcu,
		Checkpoint: *checkpoint, DryRun: *dryRun, MaxFailures: *maxFail,
	}
	if *from == "" {
		// Every format this tool reads: sealed records, which it cannot,
		// are skipped rather than reported as failures.
		for name := range formats {
			if name != *to {
				cfg.From = append(cfg.From, codec.Format(name))
			}
		}
		slices.Sort(cfg.From)
	} else {
		for _, name := range strings.Split(*from, ",") {
			name = strings.TrimSpace(name)
			if _, ok := formats[name]; !ok {
				return usagef("-from %q: want one or more of %s", name, formatNames())
			}
			if name == *to {
				return usagef("cannot migrate from %s to itself", name)
			}
			cfg.From = append(cfg.From, codec.Format(name))
		}
	}

	c, err := cf.connect(ctx, e, true)
	if err != nil {
		return err
	}
	repo, err := valueRepo(c, tf, rf, newTo(), e.now)
	if err != nil {
		return err
	}
	rate := "unlimited"
	if *wcu > 0 {
		rate = fmt.Sprintf("%g WCU/s", *wcu)
	}
	names := make([]string, len(cfg.From))
	for i, f := range cfg.From {
		names[i] = string(f)
	}
	workersNote := plural(cfg.Workers, "worker")
	if cfg.Workers == 0 {
		// migrate.Run takes the checkpoint's number, or its default.
		workersNote = "4 workers"
		if _, err := os.Stat(*checkpoint); *checkpoint != "" && !*dryRun && err == nil {
			workersNote = "as many workers as the checkpoint has"
		}
	}
	fmt.Fprintf(e.stdout, "migrating table %s, keys %q: %s → %s, %s, writes %s", tf.table, rf.prefix+"*", strings.Join(names, ","), *to, workersNote, rate)
	switch {
	case *dryRun:
		fmt.Fprint(e.stdout, ", dry run: nothing is written\n")
	case *checkpoint == "":
		fmt.Fprint(e.stdout, ", no checkpoint (not resumable)\n")
	default:
		fmt.Fprintf(e.stdout, ", checkpoint %s\n", *checkpoint)
	}

	total, err := describeForScan(ctx, e, "migrate", c, tf)
	if err != nil {
		return err
	}
	bar := newProgressBar(e, total)
	cfg.Progress = bar.update
	start := e.now()
	rep, err := migrate.Run(ctx, c, repo, cfg)
	bar.done()
	// A run that failed before it completed a page (a table that is not
	// there, a checkpoint of another migration) has no counts to show and
	// no progress to resume.
	progressed := bar.pages > 0 || rep.Resumed
	if err != nil && !progressed {
		explainEarlyFailure(e, "migrate", err, tf.table, *checkpoint)
		return errReported
	}
	if rep.Resumed && err == nil && bar.pages == 0 {
		fmt.Fprintf(e.stdout, "checkpoint %s says this migration is complete; delete it to run again\n", *checkpoint)
	}
	run := reportRun{dryRun: *dryRun, complete: err == nil, elapsed: e.now().Sub(start), fullKeys: *showKeys}
	if werr := writeReport(e.stdout, rep, run); werr != nil {
		return werr
	}
	if _, ok := rep.Failures[rf.prefix+demoCorruptID]; cf.fake && ok {
		fmt.Fprintf(e.stdout, "note: %s; it is why this demo run exits 1\n", demoCorruptNote)
	}
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "interrupted")
		resumeHint(e, *checkpoint, *dryRun)
		return errReported
	case err != nil:
		fmt.Fprintf(e.stderr, "dynamosession migrate: %v\n", err)
		resumeHint(e, *checkpoint, *dryRun)
		return errReported
	case rep.Scanned > 0 && skipped(rep) == rep.Scanned:
		explainNoMatch(e, "migrate", "migrated", rep, rf, names)
		return errReported
	case rep.Failed > 0 || rep.Conflicts > 0:
		if rep.Conflicts > 0 && *checkpoint != "" && !*dryRun {
			fmt.Fprintf(e.stderr, "%s changed during the run: delete %s and run again to migrate any left in the old format\n", plural(int(rep.Conflicts), "record"), *checkpoint)
		}
		return errReported
	}
	return nil
}

// valueRepo returns the repository of generic values that migrate and
// schemas run migrate.Run on: the table and record layout the flags
// give, writing with to and reading every format this tool knows.
func valueRepo(c client, tf tableFlags, rf recordFlags, to codec.Codec[anyvalue.Value], now func() time.Time) (*dynamosession.Repo[anyvalue.Value], error) {
	repo, err := dynamosession.New[anyvalue.Value](c, tf.table, func(o *dynamosession.Options[anyvalue.Value]) {
		o.KeyAttr, o.ExpiresAttr, o.Prefix, o.DataAttr = tf.key, tf.expires, rf.prefix, rf.data
		o.Codec, o.Clock = to, now // every format the CLI names is read by default
	})
	if err != nil {
		return nil, usageError{strings.TrimPrefix(err.Error(), dynamosession.ErrInvalidOptions.Error()+": ")}
	}
	return repo, nil
}

// describeForScan describes the table a scan of command is about to read,
// returning DynamoDB's estimate of its items (for the progress bar), and
// refuses, with advice, a table that is missing or keyed otherwise than
// -key: every item would be skipped and the whole table billed for
// nothing. It reports its failure itself.
func describeForScan(ctx context.Context, e *env, command string, c client, tf tableFlags) (int64, error) {
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &tf.table})
	if err != nil {
		explainEarlyFailure(e, command, fmt.Errorf("describing table %s: %w", tf.table, err), tf.table, "")
		return 0, errReported
	}
	if msg := tablekey.Problem(out.Table, tf.key); msg != "" {
		fmt.Fprintf(e.stderr, "dynamosession %s: table %s: %s (-key)\nPass the table's partition key with -key; check-table shows the table's key.\n", command, tf.table, msg)
		return 0, errReported
	}
	return aws.ToInt64(out.Table.ItemCount), nil
}

// skipped is how many items a scan skipped, for every reason.
func skipped(rep *migrate.Report) int64 {
	var n int64
	for _, k := range rep.Skipped {
		n += k
	}
	return n
}

// explainEarlyFailure says why a scan of command (migrate, schemas)
// stopped before its first page, in terms of the flags to change.
func explainEarlyFailure(e *env, command string, err error, table, checkpoint string) {
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), dynamosession.ErrInvalidOptions.Error()+": "), "migrate: ")
	switch {
	case errors.Is(err, dynamosession.ErrInvalidOptions) && checkpoint != "":
		// The flags were checked before the run: what is left is the
		// checkpoint of another migration.
		fmt.Fprintf(e.stderr, "dynamosession %s: %s\nGive this migration its own -checkpoint file, or run the other one's command line to resume it; delete %s only to start that one over.\n", command, msg, checkpoint)
	default:
		if hint := tableHint(err, table); hint != "" {
			msg += "\n" + hint
		}
		fmt.Fprintf(e.stderr, "dynamosession %s: %s\nNo scan page was completed, so nothing was counted or saved: running the command again starts from the beginning.\n", command, msg)
	}
}

// explainNoMatch says why a complete scan of command matched no record:
// it scanned (and billed) the whole table and every item was skipped, so
// nothing was done (the past participle of what command does).
func explainNoMatch(e *env, command, done string, rep *migrate.Report, rf recordFlags, from []string) {
	fmt.Fprintf(e.stderr, "dynamosession %s: no record matched: all %s scanned were skipped, so nothing was %s.\n", command, plural(int(rep.Scanned), "item"), done)
	if n := rep.Skipped[skipPrefix]; n > 0 {
		fmt.Fprintf(e.stderr, "  %s with -prefix %q. connect-dynamodb's keys start with \"sess:\", this library's and @pwrdrvr/dynamodb-session-store's with \"session#\"; -prefix \"\" takes every key.\n",
			agree(n, "key does not start", "keys do not start"), rf.prefix)
	}
	if n := rep.Skipped[skipNoData]; n > 0 {
		fmt.Fprintf(e.stderr, "  %s no -data attribute %q: inspect a session (dynamosession inspect) to see its attributes.\n", agree(n, "item has", "items have"), rf.data)
	}
	if n := rep.Skipped[skipFormat]; n > 0 {
		fmt.Fprintf(e.stderr, "  %s in a format that -from %s leaves out.\n", agree(n, "record is", "records are"), strings.Join(from, ","))
	}
}

func resumeHint(e *env, checkpoint string, dryRun bool) {
	switch {
	case dryRun:
	case checkpoint == "":
		fmt.Fprintln(e.stderr, "progress was not saved (no -checkpoint); running again rescans the table, skipping what is migrated")
	default:
		fmt.Fprintf(e.stderr, "progress is saved in %s: run the same command again to resume\n", checkpoint)
	}
}

// plural writes "1 item", "2 items".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// agree writes n and the phrase that agrees with it: "1 item has",
// "1,200 items have".
func agree(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return group(n) + " " + many
}

// group writes n with thousands separators, as the report does: 12,345.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
