// Package migrate rewrites the session records of a repository's table in
// the repository's current format and schema version (connect-dynamodb's
// JSON strings to MessagePack, say, or data stored under an older schema
// version through the repository's upgrades), in place and online, while
// the application keeps reading and writing sessions.
//
// A repository already migrates lazily, as sessions are written; this
// package is for moving a whole table now:
//
//	rep, err := migrate.Run(ctx, client, repo, migrate.Config{
//		WriteUnitsPerSecond: 100, Checkpoint: "migrate.checkpoint",
//	})
//
// It is the only code in this module that scans a table: a Scan reads
// every item and costs read capacity for all of them, so the library
// itself never does, and this package does it once, in parallel segments,
// at a rate the operator sets. The `dynamosession migrate` command runs it
// on tables whose Go type it cannot know.
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
//     decoded again and compared with the old one. Fields the session type
//     does not declare (a Node.js app's) are kept where the target format
//     can hold them (Map and JSON: codecs.KeepUnknown), and refuse the
//     record where it cannot (codecs.Lossy); an upgrade decides the new
//     shape itself.
//   - Only the data attribute changes, plus the schema version after an
//     upgrade and the attributes codecs write beside the data
//     (connect-dynamodb's `type: connect-session` goes when leaving JSON,
//     and comes when entering it). The expiry stays as it was. Expired
//     records are counted and left for DynamoDB's TTL.
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
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/reader"
	"github.com/dynamosession/dynamosession/internal/tablekey"
	"github.com/dynamosession/dynamosession/internal/upgrade"
)

// API is the part of the DynamoDB client a migration calls: a
// repository's client does not scan, so [Run] takes one that does.
// *dynamodb.Client implements it, and so does *fake.DB.
type API interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Config says how to run a migration; what to migrate comes from the
// repository given to [Run]. The zero Config migrates every record not in
// the repository's format with 4 workers, unpaced, not resumable.
type Config struct {
	// From lists the formats to rewrite. Default: every format but the
	// repository's codec's. Records in another format are skipped, unless
	// stored under an older schema version than the repository's, which
	// are upgraded whatever their format.
	From []codec.Format

	// Workers is the number of segments scanned in parallel (the Scan's
	// TotalSegments), 1 to 1000. Default 4. A checkpoint fixes it:
	// resuming needs the same number, and 0 takes the checkpoint's.
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

	// Checkpoint is a file, created with mode 0600 (it holds session
	// keys), that records progress after every page, and from which a
	// later run of the same migration resumes. Default "": the migration
	// is not resumable. A dry run neither reads nor writes it.
	Checkpoint string

	// DryRun scans and converts every record but writes nothing: the
	// report says what a real run would do and estimates its write units.
	DryRun bool

	// MaxFailures bounds how many failed records Report.Failures lists
	// (all are counted). Default 100.
	MaxFailures int

	// Progress, if set, is called after every completed page, one call at
	// a time, with the report so far. It must be quick: workers wait for
	// it.
	Progress func(Report)

	pacing pacing // tests replace the wall clock that paces requests
}

// maxConflictAttempts bounds how often one record is tried again after
// the application changed it in between.
const maxConflictAttempts = 3

const (
	defaultWorkers     = 4
	defaultMaxFailures = 100
)

// schemaAttr is the attribute the repository keeps a record's schema
// version in.
const schemaAttr = "schema"

// plan is a migration with everything decided: the caller's Config and
// the repository's table layout, codecs and schema.
type plan[T any] struct {
	Config
	Table, KeyAttr, Prefix, DataAttr, ExpiresAttr string
	To                                            codec.Codec[T]
	// Schema is the version records are rewritten under: the
	// repository's, or 0 for a session type that holds any shape, whose
	// records of every version are converted as they are and keep their
	// schema attribute.
	Schema int
	Clock  func() time.Time
}

func newPlan[T any](repo *dynamosession.Repo[T], cfg Config) (plan[T], error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: migrate: %s", dynamosession.ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	if repo == nil {
		return plan[T]{}, bad("nil repository")
	}
	o := repo.Options()
	p := plan[T]{
		Config: cfg,
		Table:  repo.Table(), KeyAttr: o.KeyAttr, Prefix: o.Prefix, DataAttr: o.DataAttr, ExpiresAttr: o.ExpiresAttr,
		To: o.Codec, Schema: o.Schema, Clock: o.Clock,
	}
	if anyShape[T]() {
		p.Schema = 0
	}
	if p.MaxFailures == 0 {
		p.MaxFailures = defaultMaxFailures
	}
	switch {
	case p.Workers < 0 || p.Workers > 1000:
		return p, bad("%d workers: want 1 to 1000", p.Workers)
	case p.PageSize < 0:
		return p, bad("page size %d is negative", p.PageSize)
	case p.WriteUnitsPerSecond < 0 || p.ReadUnitsPerSecond < 0:
		return p, bad("negative rate")
	case p.MaxFailures < 0:
		return p, bad("MaxFailures %d is negative", p.MaxFailures)
	}
	for _, f := range p.From {
		if f == p.To.Format() && p.Schema <= 1 {
			// Nothing to upgrade, so nothing to rewrite in that format.
			return p, bad("cannot migrate from %s to itself", f)
		}
	}
	return p, nil
}

// anyShape reports whether T holds data of any shape: the command-line
// tool's generic value. Its records of a newer schema version than the
// repository's are converted like the others, since the value keeps
// whatever shape they have, where a session type of a fixed shape (an
// older deploy's, say) would not hold them.
func anyShape[T any]() bool {
	_, ok := any((*T)(nil)).(*anyvalue.Value)
	return ok
}

// Run rewrites the records of repo's table, through client, in repo's
// format (Options.Codec), reading every format as repo does (Readers,
// StrictFormats) and upgrading records stored under an older schema
// version through repo's Upgrades. Records of a newer schema version are
// skipped. Repo's Clock decides what has expired. Cfg says how: which
// formats, how fast, resumable or not. Run reports what it did.
//
// Run returns an error, with the report so far, when it cannot go on: the
// configuration is bad or the checkpoint file belongs to another
// migration (another table, key, prefix, data attribute, pair of formats
// or schema version, or another number of workers than asked for; either
// wraps [dynamosession.ErrInvalidOptions]), the context ended (Ctrl-C), a
// Scan or a write failed for a reason other than the record itself
// (throttling beyond the SDK's retries, a network failure), or the
// checkpoint cannot be read or written. Progress up to the last completed
// page is then in the checkpoint, and running again with the same
// repository options and cfg resumes there. A nil error means every
// segment of the table was scanned to its end.
//
// Records that cannot be migrated are not errors of the run: they are
// counted and listed in the report.
func Run[T any](ctx context.Context, client API, repo *dynamosession.Repo[T], cfg Config) (*Report, error) {
	p, err := newPlan(repo, cfg)
	if err != nil {
		return &Report{}, err
	}
	m := newMigrator(client, repo, p)

	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &p.Table})
	if err != nil {
		return &Report{}, fmt.Errorf("migrate: describing table %s: %w", p.Table, err)
	}
	if d.Table != nil {
		if msg := tablekey.Problem(d.Table, p.KeyAttr); msg != "" {
			// Every item would be skipped, the whole table scanned and
			// billed for nothing.
			return &Report{}, fmt.Errorf("%w: table %s: %s", dynamosession.ErrInvalidOptions, p.Table, msg)
		}
		if n := aws.ToInt64(d.Table.ItemCount); n > 0 {
			m.avgItemBytes = aws.ToInt64(d.Table.TableSizeBytes) / n
		}
	}
	if err := m.loadState(); err != nil {
		return &Report{}, err
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
	r := m.state.Report.report(m.resumed)
	return &r, err
}

// migrator is one run of a migration.
type migrator[T any] struct {
	cfg    plan[T]
	client API
	reader *reader.Reader[T]
	target codec.Format
	from   map[codec.Format]bool // nil: every format but target
	ups    map[int]*upgrade.Func[T]
	extras map[string]types.AttributeValue
	writes *pacer
	reads  *pacer

	avgItemBytes int64 // from DescribeTable
	resumed      bool

	mu    sync.Mutex // guards what follows, and the checkpoint file
	state checkpoint
}

func newMigrator[T any](client API, repo *dynamosession.Repo[T], p plan[T]) *migrator[T] {
	o := repo.Options()
	codecs := append([]codec.Codec[T]{o.Codec}, o.Readers...)
	m := &migrator[T]{
		cfg:    p,
		client: client,
		reader: reader.New(codecs...),
		target: p.To.Format(),
		writes: newPacer(p.WriteUnitsPerSecond, p.pacing),
		reads:  newPacer(p.ReadUnitsPerSecond, p.pacing),
	}
	if o.StrictFormats {
		// As the repository reads: a record in another format (a plain
		// one planted in a table of sealed sessions) is refused, not
		// rewritten into the trusted format.
		m.reader = reader.NewStrict(codecs...)
	}
	if len(p.From) > 0 {
		m.from = make(map[codec.Format]bool, len(p.From))
		for _, f := range p.From {
			m.from[f] = true
		}
	}
	m.extras = extraAttributes(p.To)
	if p.Schema > 0 {
		m.ups = make(map[int]*upgrade.Func[T], len(o.Upgrades))
		for _, u := range o.Upgrades {
			f := upgrade.Of(u)
			m.ups[f.From] = f
		}
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
				return fmt.Errorf("%w: migrate: checkpoint %s belongs to another migration, one with %s", dynamosession.ErrInvalidOptions, m.cfg.Checkpoint, strings.Join(d, ", "))
			case m.cfg.Workers != 0 && m.cfg.Workers != len(c.Segments):
				return fmt.Errorf("%w: migrate: checkpoint %s belongs to another migration, one with %d segments: resume with %d workers (or 0)", dynamosession.ErrInvalidOptions, m.cfg.Checkpoint, len(c.Segments), len(c.Segments))
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
	if m.cfg.Checkpoint != "" && !m.cfg.DryRun {
		if err := m.state.save(m.cfg.Checkpoint); err != nil {
			return err
		}
	}
	if m.cfg.Progress != nil {
		m.cfg.Progress(m.state.Report.report(m.resumed))
	}
	return nil
}

// pageTally counts one page's outcomes until the page is committed.
type pageTally struct {
	scanned    int64
	counts     [numOutcomes]int64
	schemas    map[int]int64
	failures   []failure
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
		p.failures = append(p.failures, failure{Key: r.key, Format: r.format, Reason: r.reason})
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
