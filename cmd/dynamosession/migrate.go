package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/migrate"
)

// formats are the formats the command line reads and writes, by name.
// Sealed (encrypted) sessions need keys, which this tool does not take:
// migrate them with package migrate and a codec.Sealed reader.
var formats = map[string]func() codec.Codec[migrate.Value]{
	"map":     func() codec.Codec[migrate.Value] { return codec.Map[migrate.Value]() },
	"json":    func() codec.Codec[migrate.Value] { return codec.JSON[migrate.Value]() },
	"msgpack": func() codec.Codec[migrate.Value] { return codec.Msgpack[migrate.Value]() },
	"compressed": func() codec.Codec[migrate.Value] {
		return codec.Compressed[migrate.Value](codec.Msgpack[migrate.Value]())
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
func readers() []codec.Codec[migrate.Value] {
	return []codec.Codec[migrate.Value]{formats["compressed"]()}
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
	// Flags are checked here, by name, before the library's Validate
	// (which speaks of Config fields) sees them.
	switch {
	case *workers < 0 || *workers > 1000:
		return usagef("-workers %d: want 1 to 1000 (or 0: as many as the checkpoint has, else 4)", *workers)
	case *wcu < 0:
		return usagef("-wcu %g: a rate cannot be negative (0: unlimited)", *wcu)
	case *rcu < 0:
		return usagef("-rcu %g: a rate cannot be negative (0: unlimited)", *rcu)
	case *maxFail < 0:
		return usagef("-max-failures %d: cannot be negative", *maxFail)
	case tf.key == rf.data || tf.key == tf.expires || rf.data == tf.expires:
		return usagef("-key %q, -data %q and -expires %q must be three different attributes", tf.key, rf.data, tf.expires)
	}
	cfg := migrate.Config[migrate.Value]{
		Table: tf.table, KeyAttr: tf.key, ExpiresAttr: tf.expires, Prefix: rf.prefix, DataAttr: rf.data,
		To: newTo(), Readers: readers(),
		Workers: *workers, PageSize: int32(*pageSize),
		WriteUnitsPerSecond: *wcu, ReadUnitsPerSecond: *rcu,
		Checkpoint: *checkpoint, DryRun: *dryRun, MaxFailures: *maxFail,
		Clock: e.now,
	}
	if *from == "" {
		// Every format this tool reads: sealed records, which it cannot,
		// are skipped rather than reported as failures.
		for name := range formats {
			if f := codec.Format(name); f != cfg.To.Format() {
				cfg.From = append(cfg.From, f)
			}
		}
		slices.Sort(cfg.From)
	} else {
		for _, name := range strings.Split(*from, ",") {
			name = strings.TrimSpace(name)
			if _, ok := formats[name]; !ok {
				return usagef("-from %q: want one or more of %s", name, formatNames())
			}
			cfg.From = append(cfg.From, codec.Format(name))
		}
	}
	if *pageSize < 0 || *pageSize > 1<<30 {
		return usagef("-page-size %d is out of range", *pageSize)
	}
	if err := cfg.Validate(); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), dynamosession.ErrInvalidOptions.Error()+": ")}
	}

	c, err := cf.connect(ctx, e, true)
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
	fmt.Fprintf(e.stdout, "migrating table %s, keys %q: %s → %s, %s, writes %s", cfg.Table, cfg.Prefix+"*", strings.Join(names, ","), *to, workersNote, rate)
	switch {
	case *dryRun:
		fmt.Fprint(e.stdout, ", dry run: nothing is written\n")
	case *checkpoint == "":
		fmt.Fprint(e.stdout, ", no checkpoint (not resumable)\n")
	default:
		fmt.Fprintf(e.stdout, ", checkpoint %s\n", *checkpoint)
	}

	bar := newProgressBar(e)
	cfg.Progress = bar.update
	rep, err := migrate.Run(ctx, c, cfg)
	bar.done()
	// A run that failed before it completed a page (a table that is not
	// there or has another key, a checkpoint of another migration) has
	// no counts to show and no progress to resume.
	progressed := bar.pages > 0 || rep.Resumed
	if err != nil && !progressed {
		explainEarlyFailure(e, "migrate", err, cfg, *checkpoint)
		return errReported
	}
	if rep.Resumed && rep.Complete && bar.pages == 0 {
		fmt.Fprintf(e.stdout, "checkpoint %s says this migration is complete; delete it to run again\n", *checkpoint)
	}
	if werr := rep.WriteText(e.stdout, *showKeys); werr != nil {
		return werr
	}
	if cf.fake && slices.ContainsFunc(rep.Failures, func(f migrate.Failure) bool { return f.Key == cfg.Prefix+demoCorruptID }) {
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
	case rep.Scanned > 0 && rep.Skipped == rep.Scanned:
		explainNoMatch(e, "migrate", "migrated", rep, cfg, names)
		return errReported
	case rep.Failed > 0 || rep.Conflicts > 0:
		if rep.Conflicts > 0 && *checkpoint != "" && !*dryRun {
			fmt.Fprintf(e.stderr, "%s changed during the run: delete %s and run again to migrate any left in the old format\n", plural(int(rep.Conflicts), "record"), *checkpoint)
		}
		return errReported
	}
	return nil
}

// explainEarlyFailure says why a scan of command (migrate, schemas)
// stopped before its first page, in terms of the flags to change.
func explainEarlyFailure(e *env, command string, err error, cfg migrate.Config[migrate.Value], checkpoint string) {
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "migrate: "), dynamosession.ErrInvalidOptions.Error()+": ")
	switch {
	case errors.Is(err, migrate.ErrCheckpointMismatch):
		fmt.Fprintf(e.stderr, "dynamosession %s: %s\nGive this migration its own -checkpoint file, or run the other one's command line to resume it; delete %s only to start that one over.\n", command, msg, checkpoint)
	case errors.Is(err, dynamosession.ErrInvalidOptions):
		fmt.Fprintf(e.stderr, "dynamosession %s: %s (-key)\nPass the table's partition key with -key; check-table shows the table's key.\n", command, msg)
	default:
		if hint := tableHint(err, cfg.Table); hint != "" {
			msg += "\n" + hint
		}
		fmt.Fprintf(e.stderr, "dynamosession %s: %s\nNo scan page was completed, so nothing was counted or saved: running the command again starts from the beginning.\n", command, msg)
	}
}

// explainNoMatch says why a complete scan of command matched no record:
// it scanned (and billed) the whole table and every item was skipped, so
// nothing was done (the past participle of what command does).
func explainNoMatch(e *env, command, done string, rep *migrate.Report, cfg migrate.Config[migrate.Value], from []string) {
	fmt.Fprintf(e.stderr, "dynamosession %s: no record matched: all %s scanned were skipped, so nothing was %s.\n", command, plural(int(rep.Scanned), "item"), done)
	if n := rep.SkippedPrefix; n > 0 {
		fmt.Fprintf(e.stderr, "  %s with -prefix %q. connect-dynamodb's keys start with \"sess:\", this library's and @pwrdrvr/dynamodb-session-store's with \"session#\"; -prefix \"\" takes every key.\n",
			agree(n, "key does not start", "keys do not start"), cfg.Prefix)
	}
	if n := rep.SkippedNoData; n > 0 {
		fmt.Fprintf(e.stderr, "  %s no -data attribute %q: inspect a session (dynamosession inspect) to see its attributes.\n", agree(n, "item has", "items have"), cfg.DataAttr)
	}
	if n := rep.SkippedFormat; n > 0 {
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

// progressBar draws the progress of a scan on stderr: in place on a
// terminal, ten times a second at most; otherwise a line every ten
// seconds, for logs.
type progressBar struct {
	e      *env
	render func(p migrate.Progress, width int) string
	mu     sync.Mutex
	pages  int // pages completed by this run
	last   time.Time
	every  time.Duration
	drawn  bool
}

func newProgressBar(e *env) *progressBar {
	b := &progressBar{e: e, render: renderProgress, every: 10 * time.Second}
	if e.tty {
		b.every = 100 * time.Millisecond
	}
	b.last = time.Now()
	return b
}

func (b *progressBar) update(p migrate.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pages++
	if b.e.afterPage != nil {
		b.e.afterPage(p)
	}
	now := time.Now()
	if now.Sub(b.last) < b.every {
		return
	}
	b.last = now
	line := b.render(p, 30)
	if b.e.tty {
		fmt.Fprintf(b.e.stderr, "\r%s\x1b[K", line)
		b.drawn = true
	} else {
		fmt.Fprintf(b.e.stderr, "progress: %s\n", line)
	}
}

func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.e.stderr, "\r\x1b[K")
	}
}

// renderProgress draws p as a bar of width characters and figures:
//
//	[##########----------]  50%  5000/10000 items  1234/s  ETA 4s  migrated 3100  failed 2
//
// Without a total (an empty table's estimate, or one passed already) there
// is no bar, percentage or ETA.
func renderProgress(p migrate.Progress, width int) string {
	line := renderScan(p, width)
	line += fmt.Sprintf("  migrated %d", p.Migrated)
	if p.Failed > 0 {
		line += fmt.Sprintf("  failed %d", p.Failed)
	}
	return line
}

// renderScan draws how far a scan has come, as renderProgress does, without
// what a migration did.
func renderScan(p migrate.Progress, width int) string {
	var b strings.Builder
	if p.Total > 0 && p.Scanned <= p.Total {
		filled := int(float64(width) * float64(p.Scanned) / float64(p.Total))
		fmt.Fprintf(&b, "[%s%s] %3d%%  %d/%s", strings.Repeat("#", filled), strings.Repeat("-", width-filled),
			p.Scanned*100/p.Total, p.Scanned, plural(int(p.Total), "item"))
	} else {
		b.WriteString(plural(int(p.Scanned), "item"))
	}
	fmt.Fprintf(&b, "  %.0f/s", p.Rate)
	if p.ETA > 0 {
		fmt.Fprintf(&b, "  ETA %s", p.ETA.Round(time.Second))
	}
	return b.String()
}
