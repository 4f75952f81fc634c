// Package migrate rewrites the session records of a DynamoDB table from one
// stored format to another (connect-dynamodb's JSON strings to MessagePack,
// say), in place and online, while the application keeps reading and
// writing sessions.
//
// A repository already migrates lazily, as sessions are written; this
// package is for moving a whole table now. It is the only code in this
// module that scans a table: a Scan reads every item and costs read
// capacity for all of them, so the library itself never does, and this
// package does it once, in parallel segments, at a rate the operator sets.
//
// The guarantees:
//
//   - Nothing the application writes is lost. Each record is rewritten
//     with an UpdateItem conditioned on its data attribute still being
//     exactly what was scanned, so a session saved, touched into a new
//     format or deleted in between is never overwritten or resurrected.
//     When the condition fails the migration looks at the record as it is
//     now (the failed request returns it, at no extra cost) and tries
//     again, a few times.
//   - Records are converted losslessly or not at all: a record that cannot
//     be decoded, or whose data the target format cannot hold exactly, is
//     reported by key and left untouched; before writing, the new value is
//     decoded again and compared with the old one. With [Value] as T the
//     conversion keeps whatever shape the data has (see [Value]); with an
//     application's own type, fields the type lacks would be dropped, so
//     use that only for records the application itself wrote.
//   - Only the data attribute changes, plus the attributes codecs write
//     beside it (connect-dynamodb's `type: connect-session` goes when
//     leaving JSON, and comes when entering it). The expiry stays as it
//     was. Expired records are counted and left for DynamoDB's TTL.
//   - Each record is written at most once. A record already in the target
//     format costs no write, so a run can be repeated or resumed at will.
//   - Progress is checkpointed after every page. A crash or Ctrl-C loses at
//     most one page per worker, which the resumed run scans again; the
//     records it had rewritten are then already in the target format.
//
// Writes are paced by the write capacity DynamoDB reports consuming
// (Config.WriteUnitsPerSecond), and scans by the read capacity
// (Config.ReadUnitsPerSecond), so a migration can share a provisioned
// table with its application.
//
// The IAM permissions a migration needs are dynamodb:DescribeTable,
// dynamodb:Scan and dynamodb:UpdateItem on the table.
package migrate

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/reader"
	"github.com/dynamosession/dynamosession/internal/tablekey"
	"github.com/dynamosession/dynamosession/internal/upgrade"
)

// API is the part of the DynamoDB client a migration calls.
// *dynamodb.Client implements it, and so does *fake.DB.
type API interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Config describes a migration. Zero fields mean their documented
// defaults; Table and To are required.
type Config[T any] struct {
	// Table is the table to migrate.
	Table string

	// KeyAttr is the partition key attribute. Default "id".
	KeyAttr string

	// Prefix restricts the migration to keys that start with it. Default
	// "": every key. (Unlike dynamosession.Options, whose default is
	// "session#": pass the prefix the repository uses to leave any other
	// items of a shared table alone.)
	Prefix string

	// DataAttr is the attribute holding the session. Default "sess".
	DataAttr string

	// ExpiresAttr is the expiry attribute. Default "expires".
	ExpiresAttr string

	// From lists the formats to rewrite. Default: every format but To's.
	// Records in another format are skipped.
	From []codec.Format

	// To is the codec records are rewritten with. Required.
	To codec.Codec[T]

	// Schema, SchemaAttr and Upgrades are the repository's options of the
	// same names (see dynamosession.Options). With Schema set, records
	// stored under an older schema version are read through their upgrade
	// and rewritten in To's format under version Schema, even when already
	// in To's format; a record of an older version with no upgrade fails,
	// and one of a newer version is skipped. With Schema 0 (the default)
	// schema versions play no part: records of every version are converted
	// to To's format (with [Value] as T, whatever their shape) and keep
	// their schema attribute. Either way Report.Schemas counts the versions
	// found. Defaults: 0, "schema", none.
	Schema     int
	SchemaAttr string
	Upgrades   []dynamosession.Upgrade[T]

	// Readers are codecs for reading formats that need configuration (an
	// encrypting codec with its keys). Map, JSON and MessagePack are always
	// readable.
	Readers []codec.Codec[T]

	// Workers is the number of segments scanned in parallel (the Scan's
	// TotalSegments). Default 4. A checkpoint fixes it: resuming needs the
	// same number, and 0 takes the checkpoint's.
	Workers int

	// PageSize is the most items a Scan page returns (its Limit). Default
	// 0: DynamoDB's own limit of 1 MB per page. A checkpoint is written
	// after each page, so this is also the most work a crash can cost per
	// worker.
	PageSize int32

	// WriteUnitsPerSecond paces the writes to consume at most this many
	// write capacity units per second on average, across all workers.
	// Default 0: unlimited.
	WriteUnitsPerSecond float64

	// ReadUnitsPerSecond paces the scans likewise. Default 0: unlimited.
	ReadUnitsPerSecond float64

	// Checkpoint is a file that records progress after every page, and
	// from which a later run with the same Config resumes. Default "": the
	// migration is not resumable. A dry run neither reads nor writes it.
	Checkpoint string

	// DryRun scans and converts every record but writes nothing: the
	// report says what a real run would do and estimates its write units.
	DryRun bool

	// MaxFailures bounds how many failed records the report lists (all
	// are counted). Default 100.
	MaxFailures int

	// Progress, if set, is called after every completed page, one call at
	// a time. It must be quick: workers wait for it.
	Progress func(Progress)

	// Clock returns the current time, which decides what has expired.
	// Default time.Now.
	Clock func() time.Time

	pacing pacing // tests replace the wall clock that paces requests
}

// maxConflictAttempts bounds how often one record is tried again after
// the application changed it in between.
const maxConflictAttempts = 3

func (c *Config[T]) withDefaults() {
	if c.KeyAttr == "" {
		c.KeyAttr = "id"
	}
	if c.DataAttr == "" {
		c.DataAttr = "sess"
	}
	if c.ExpiresAttr == "" {
		c.ExpiresAttr = "expires"
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 100
	}
	if c.SchemaAttr == "" {
		c.SchemaAttr = "schema"
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
}

const defaultWorkers = 4

// Validate reports whether c describes a migration, as [Run] checks it
// before anything else: an error wrapping [dynamosession.ErrInvalidOptions] if not.
func (c Config[T]) Validate() error {
	c.withDefaults()
	return c.validate()
}

func (c *Config[T]) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", dynamosession.ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Table == "":
		return bad("no table")
	case c.To == nil:
		return bad("no target codec")
	case c.Workers < 0 || c.Workers > 1000:
		return bad("%d workers: want 1 to 1000", c.Workers)
	case c.PageSize < 0:
		return bad("page size %d is negative", c.PageSize)
	case c.WriteUnitsPerSecond < 0 || c.ReadUnitsPerSecond < 0:
		return bad("negative rate")
	case c.KeyAttr == c.DataAttr || c.KeyAttr == c.ExpiresAttr || c.DataAttr == c.ExpiresAttr:
		return bad("key, data and expiry attributes must differ")
	}
	for _, f := range c.From {
		if f == c.To.Format() && c.Schema <= 1 {
			return bad("cannot migrate from %s to itself", f)
		}
	}
	switch {
	case c.Schema < 0:
		return bad("schema version %d is negative", c.Schema)
	case c.Schema == 0 && len(c.Upgrades) > 0:
		return bad("Upgrades without Schema: set the version they upgrade to")
	}
	for _, u := range c.Upgrades {
		f := upgrade.Of(u)
		switch {
		case f == nil:
			return bad("an Upgrade not made by dynamosession.UpgradeFrom")
		case f.From < 1 || f.From > c.Schema:
			return bad("upgrade from schema version %d: versions run from 1 to Schema (%d)", f.From, c.Schema)
		}
	}
	return nil
}

// Run migrates the table as cfg says and reports what it did. It returns
// an error, with the report so far, when it cannot go on: the context
// ended (Ctrl-C), a Scan or a write failed for a reason other than the
// record itself (throttling beyond the SDK's retries, a network failure),
// or the checkpoint cannot be read or written. Progress up to the last
// completed page is then in the checkpoint, and running again with the
// same cfg resumes there.
//
// Records that cannot be migrated are not errors of the run: they are
// counted and listed in the report.
func Run[T any](ctx context.Context, client API, cfg Config[T]) (*Report, error) {
	cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return &Report{DryRun: cfg.DryRun}, err
	}
	m := newMigrator(client, cfg)

	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &cfg.Table})
	if err != nil {
		return &Report{DryRun: cfg.DryRun}, fmt.Errorf("migrate: describing table %s: %w", cfg.Table, err)
	}
	if d.Table != nil {
		if msg := tablekey.Problem(d.Table, cfg.KeyAttr); msg != "" {
			// Every item would be skipped, the whole table scanned and
			// billed for nothing.
			return &Report{DryRun: cfg.DryRun}, fmt.Errorf("%w: table %s: %s", dynamosession.ErrInvalidOptions, cfg.Table, msg)
		}
		m.total = aws.ToInt64(d.Table.ItemCount)
		if m.total > 0 {
			m.avgItemBytes = aws.ToInt64(d.Table.TableSizeBytes) / m.total
		}
	}
	if err := m.loadState(); err != nil {
		return &Report{DryRun: cfg.DryRun}, err
	}

	if !m.state.complete() {
		runCtx, cancel := context.WithCancelCause(ctx)
		var wg sync.WaitGroup
		for seg := range m.state.Segments {
			if m.state.Segments[seg].Done {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := m.scanSegment(runCtx, seg); err != nil {
					cancel(err) // the first error wins; the others see it
				}
			}()
		}
		wg.Wait()
		if !m.state.complete() {
			err = context.Cause(runCtx) // the first worker's error, or the caller's cancellation
		}
		cancel(nil)
	}

	r := m.state.Report
	r.Failures = slices.Clone(r.Failures)
	slices.SortFunc(r.Failures, func(a, b Failure) int { return strings.Compare(a.Key, b.Key) })
	r.DryRun, r.Resumed, r.Complete = cfg.DryRun, m.resumed, m.state.complete()
	r.Elapsed = cfg.Clock().Sub(m.started)
	return &r, err
}

// migrator is one run of a migration.
type migrator[T any] struct {
	cfg    Config[T]
	client API
	reader *reader.Reader[T]
	target codec.Format
	from   map[codec.Format]bool // nil: every format but target
	ups    map[int]*upgrade.Func[T]
	extras map[string]types.AttributeValue
	writes *pacer
	reads  *pacer

	total        int64 // estimated items, from DescribeTable
	avgItemBytes int64
	resumed      bool
	started      time.Time

	mu          sync.Mutex // guards what follows, and the checkpoint file
	state       checkpoint
	scannedHere int64 // items scanned by this run, for the rate
}

func newMigrator[T any](client API, cfg Config[T]) *migrator[T] {
	m := &migrator[T]{
		cfg:     cfg,
		client:  client,
		reader:  reader.New(append([]codec.Codec[T]{cfg.To}, cfg.Readers...)...),
		target:  cfg.To.Format(),
		writes:  newPacer(cfg.WriteUnitsPerSecond, cfg.pacing),
		reads:   newPacer(cfg.ReadUnitsPerSecond, cfg.pacing),
		started: cfg.Clock(),
	}
	if len(cfg.From) > 0 {
		m.from = make(map[codec.Format]bool, len(cfg.From))
		for _, f := range cfg.From {
			m.from[f] = true
		}
	}
	m.extras = extraAttributes(cfg.To)
	m.ups = make(map[int]*upgrade.Func[T], len(cfg.Upgrades))
	for _, u := range cfg.Upgrades {
		f := upgrade.Of(u)
		m.ups[f.From] = f
	}
	return m
}

func extraAttributes(c any) map[string]types.AttributeValue {
	if ea, ok := c.(interface {
		ExtraAttributes() map[string]types.AttributeValue
	}); ok { // codec.JSON: connect-dynamodb's `type`
		return ea.ExtraAttributes()
	}
	return nil
}

func (m *migrator[T]) job() job {
	from := slices.Sorted(maps.Keys(m.from))
	if from == nil {
		from = []codec.Format{}
	}
	return job{
		Table: m.cfg.Table, KeyAttr: m.cfg.KeyAttr, Prefix: m.cfg.Prefix,
		DataAttr: m.cfg.DataAttr, ExpiresAttr: m.cfg.ExpiresAttr,
		From: from, To: m.target, Schema: m.cfg.Schema,
	}
}

// loadState resumes from the checkpoint file, if there is one, or starts
// afresh.
func (m *migrator[T]) loadState() error {
	want := m.job()
	if m.cfg.Checkpoint != "" && !m.cfg.DryRun {
		c, err := loadCheckpoint(m.cfg.Checkpoint)
		if err != nil {
			return err
		}
		if c != nil {
			switch d := c.Job.diff(want); {
			case len(d) > 0:
				return fmt.Errorf("%w: %s was written by a migration with %s", ErrCheckpointMismatch, m.cfg.Checkpoint, strings.Join(d, ", "))
			case m.cfg.Workers != 0 && m.cfg.Workers != len(c.Segments):
				return fmt.Errorf("%w: %s has %d segments; resume with %d workers (or 0)", ErrCheckpointMismatch, m.cfg.Checkpoint, len(c.Segments), len(c.Segments))
			}
			m.state, m.resumed = *c, true
			return nil
		}
	}
	n := m.cfg.Workers
	if n == 0 {
		n = defaultWorkers
	}
	m.state = checkpoint{Version: checkpointVersion, Job: want, Segments: make([]segmentState, n)}
	return nil
}

// scanSegment migrates one scan segment from where it stopped to its end.
func (m *migrator[T]) scanSegment(ctx context.Context, seg int) error {
	m.mu.Lock()
	start, err := m.state.Segments[seg].startKey()
	total := int32(len(m.state.Segments))
	m.mu.Unlock()
	if err != nil {
		return err
	}
	est := 128.0 // the most a 1 MB page costs read eventually consistent
	if m.cfg.PageSize > 0 && m.avgItemBytes > 0 {
		est = min(est, 0.5*math.Ceil(float64(m.cfg.PageSize)*float64(m.avgItemBytes)/4096))
	}
	for {
		if err := m.reads.take(ctx, est); err != nil {
			return err
		}
		in := &dynamodb.ScanInput{
			TableName:              &m.cfg.Table,
			Segment:                aws.Int32(int32(seg)),
			TotalSegments:          aws.Int32(total),
			ExclusiveStartKey:      start,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		}
		if m.cfg.PageSize > 0 {
			in.Limit = aws.Int32(m.cfg.PageSize)
		}
		out, err := m.client.Scan(ctx, in)
		if err != nil {
			return fmt.Errorf("migrate: scan segment %d of %d: %w", seg, total, err)
		}
		page := pageTally{scanned: int64(len(out.Items)), readUnits: units(out.ConsumedCapacity)}
		m.reads.adjust(page.readUnits - est)
		est = page.readUnits
		for _, item := range out.Items {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := m.process(ctx, item)
			if err != nil {
				return err
			}
			page.record(r)
		}
		if err := m.commit(seg, out.LastEvaluatedKey, &page); err != nil {
			return err
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

// commit adds a completed page to the report and the checkpoint.
func (m *migrator[T]) commit(seg int, lastKey map[string]types.AttributeValue, page *pageTally) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.state.Segments[seg].advance(lastKey); err != nil {
		return err
	}
	r := &m.state.Report
	r.add(page)
	for _, f := range page.failures {
		if len(r.Failures) < m.cfg.MaxFailures {
			r.Failures = append(r.Failures, f)
		}
	}
	m.scannedHere += page.scanned
	if m.cfg.Checkpoint != "" && !m.cfg.DryRun {
		if err := m.state.save(m.cfg.Checkpoint); err != nil {
			return err
		}
	}
	if m.cfg.Progress != nil {
		m.cfg.Progress(m.progress())
	}
	return nil
}

func (m *migrator[T]) progress() Progress {
	r := m.state.Report
	p := Progress{
		Scanned: r.Scanned, Migrated: r.Migrated, Failed: r.Failed,
		Total: m.total, WriteUnits: r.WriteUnits,
		Elapsed: m.cfg.Clock().Sub(m.started),
	}
	if p.Elapsed > 0 {
		p.Rate = float64(m.scannedHere) / p.Elapsed.Seconds()
	}
	if p.Rate > 0 && p.Total > p.Scanned {
		p.ETA = time.Duration(float64(p.Total-p.Scanned) / p.Rate * float64(time.Second))
	}
	return p
}

// pageTally counts one page's outcomes until the page is committed.
type pageTally struct {
	scanned    int64
	counts     [numOutcomes]int64
	schemas    map[int]int64
	failures   []Failure
	readUnits  float64
	writeUnits float64
}

func (p *pageTally) record(r result) {
	p.counts[r.outcome]++
	p.writeUnits += r.writeUnits
	if r.schema > 0 {
		if p.schemas == nil {
			p.schemas = map[int]int64{}
		}
		p.schemas[r.schema]++
	}
	if r.outcome == outFailed {
		p.failures = append(p.failures, Failure{Key: r.key, Format: r.format, Reason: r.reason})
	}
}

// units returns the capacity units a response reports, 0 if none.
func units(cc *types.ConsumedCapacity) float64 {
	if cc == nil {
		return 0
	}
	return aws.ToFloat64(cc.CapacityUnits)
}

// itemWriteUnits is what DynamoDB charges for rewriting old as new.
func itemWriteUnits(old, new map[string]types.AttributeValue) float64 {
	return capacity.WriteUnits(max(capacity.ItemSize(old), capacity.ItemSize(new)))
}
