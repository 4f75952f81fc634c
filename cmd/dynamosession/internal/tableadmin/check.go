package tableadmin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/tablekey"
)

// Severity grades a [Finding].
type Severity int

// The severities, from harmless to wrong.
const (
	// OK: as a session table should be.
	OK Severity = iota
	// Note: worth knowing, not wrong (a table without an owner index
	// serves sessions without owners).
	Note
	// Warning: works, but costs more than it needs to, or will soon.
	Warning
	// Problem: sessions will fail, never expire, or be throttled.
	Problem
)

func (s Severity) String() string {
	switch s {
	case OK:
		return "ok"
	case Note:
		return "note"
	case Warning:
		return "warning"
	case Problem:
		return "PROBLEM"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// A Finding is one thing [Check] looked at, and what it found.
type Finding struct {
	// Check names what was looked at: "status", "key", "ttl", "owners"
	// (the owner index), "class", "indexes" (the others) or "billing".
	Check    string
	Severity Severity
	Message  string
}

// Report is what [Check] found.
type Report struct {
	Table  string
	Status types.TableStatus
	// ItemCount and SizeBytes are as DescribeTable reports them: DynamoDB
	// refreshes them about every six hours.
	ItemCount, SizeBytes int64
	Billing              types.BillingMode
	// ReadCapacity and WriteCapacity are a provisioned table's units.
	ReadCapacity, WriteCapacity int64
	// TTLStatus and TTLAttr describe the table's TTL.
	TTLStatus types.TimeToLiveStatus
	TTLAttr   string
	// OwnerIndexMissing is set when Spec named an owner index that the
	// table does not have.
	OwnerIndexMissing bool
	Findings          []Finding
	// Advice compares the billing modes for Spec.Load; nil without one.
	Advice *Advice
}

// OK reports whether no finding is a Problem.
func (r *Report) OK() bool {
	for _, f := range r.Findings {
		if f.Severity == Problem {
			return false
		}
	}
	return true
}

// Check describes the table spec names and reports what is wrong with it
// for a session store: the key's name and type, TTL disabled or on another
// attribute, the table's status and class, the owner index
// (Spec.OwnerIndex) and any other secondary index, and, when
// spec has a Load, which billing mode is cheaper for it and whether
// provisioned capacity covers its peak. It only reads (DescribeTable and
// DescribeTimeToLive).
//
// A missing table is an error wrapping [ErrTableNotFound] (and the SDK's
// *types.ResourceNotFoundException).
func Check(ctx context.Context, client DescribeAPI, spec Spec) (*Report, error) {
	spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &spec.Table})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("%w: %s: %w", ErrTableNotFound, spec.Table, err)
	}
	if err != nil {
		return nil, fmt.Errorf("tableadmin: describing table %s: %w", spec.Table, err)
	}
	ttl, err := describeTTL(ctx, client, spec.Table)
	if err != nil {
		return nil, err
	}
	d := out.Table
	r := &Report{
		Table:     spec.Table,
		Status:    d.TableStatus,
		ItemCount: aws.ToInt64(d.ItemCount),
		SizeBytes: aws.ToInt64(d.TableSizeBytes),
		Billing:   types.BillingModeProvisioned, // what DynamoDB means by no summary
		TTLStatus: ttl.TimeToLiveStatus,
		TTLAttr:   aws.ToString(ttl.AttributeName),
	}
	if d.BillingModeSummary != nil && d.BillingModeSummary.BillingMode != "" {
		r.Billing = d.BillingModeSummary.BillingMode
	}
	if pt := d.ProvisionedThroughput; pt != nil && r.Billing == types.BillingModeProvisioned {
		r.ReadCapacity, r.WriteCapacity = aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits)
	}
	add := func(check string, s Severity, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{Check: check, Severity: s, Message: fmt.Sprintf(format, args...)})
	}

	switch r.Status {
	case types.TableStatusActive:
		add("status", OK, "ACTIVE")
	case types.TableStatusUpdating:
		add("status", OK, "UPDATING: it serves requests meanwhile")
	case types.TableStatusCreating:
		add("status", Warning, "CREATING: requests fail until it is ACTIVE")
	default: // DELETING, INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING, ARCHIVED
		add("status", Problem, "%s: the table cannot serve sessions", r.Status)
	}

	if msg := tablekey.Problem(d, spec.KeyAttr); msg != "" {
		add("key", Problem, "%s: the repository reads and writes items by a string key %q alone", msg, spec.KeyAttr)
	} else {
		add("key", OK, "partition key %q of type S, no sort key", spec.KeyAttr)
	}

	switch {
	case r.TTLStatus == types.TimeToLiveStatusDisabled:
		add("ttl", Problem, "TTL is disabled: expired sessions are never deleted and storage grows forever; enable it on %q", spec.ExpiresAttr)
	case r.TTLAttr != spec.ExpiresAttr:
		add("ttl", Problem, "TTL is %s on %q, but sessions expire by %q: expired sessions are never deleted", r.TTLStatus, r.TTLAttr, spec.ExpiresAttr)
	case r.TTLStatus == types.TimeToLiveStatusDisabling:
		add("ttl", Problem, "TTL on %q is being disabled: expired sessions will no longer be deleted", r.TTLAttr)
	case r.TTLStatus == types.TimeToLiveStatusEnabling:
		add("ttl", OK, "TTL is being enabled on %q (DynamoDB takes up to an hour)", r.TTLAttr)
	default:
		add("ttl", OK, "TTL enabled on %q", r.TTLAttr)
	}

	if c := d.TableClassSummary; c != nil && c.TableClass == types.TableClassStandardInfrequentAccess {
		add("class", Warning, "table class STANDARD_INFREQUENT_ACCESS makes every request cost about 25%% more to save on storage; session tables are request-heavy and storage-light: use STANDARD")
	}
	others := len(d.GlobalSecondaryIndexes) + len(d.LocalSecondaryIndexes)
	if spec.OwnerIndex != "" {
		if ix := findIndex(d, spec.OwnerIndex); ix != nil {
			others--
			ownerFindings(d, ix, spec, r.Billing, add)
		} else if r.OwnerIndexMissing = true; spec.RequireOwnerIndex {
			add("owners", Problem, "no index %q: listing and revoking a user's sessions (Repo.ListOwner, Repo.RevokeOwner) fail without it", spec.OwnerIndex)
		} else {
			add("owners", Note, "no index %q: sessions without owners need none; listing and revoking a user's sessions (Options.Owner, Repo.ListOwner, Repo.RevokeOwner) do", spec.OwnerIndex)
		}
	}
	if others > 0 {
		which := "secondary index(es)"
		if spec.OwnerIndex != "" {
			which += " besides the owner index"
		}
		add("indexes", Warning, "%d %s: every session write is written to them too and billed again; the repository never queries them", others, which)
	}

	r.billingFindings(spec.Load, d, add)
	return r, nil
}

// CheckOwnerIndex reports whether the table described as d has an owner
// index named index on ownerAttr that a query can use: nil if so, else an
// error wrapping [ErrNoOwnerIndex] (no index of that name) or
// [ErrOwnerIndex] (another key, a sort key, being deleted or still being
// built) that says what is wrong. Commands that query the index call it
// on a DescribeTable they made, so that a wrong index is named rather
// than met as an empty answer or a ValidationException.
func CheckOwnerIndex(d *types.TableDescription, index, ownerAttr string) error {
	table := aws.ToString(d.TableName)
	ix := findIndex(d, index)
	if ix == nil {
		var names []string
		for _, g := range d.GlobalSecondaryIndexes {
			names = append(names, strconv.Quote(aws.ToString(g.IndexName)))
		}
		have := "no global secondary index"
		if len(names) > 0 {
			have = "global secondary indexes " + strings.Join(names, ", ")
		}
		return fmt.Errorf("%w: table %s has no index %q (it has %s)", ErrNoOwnerIndex, table, index, have)
	}
	problems := indexShape(d, ix, ownerAttr)
	if ix.IndexStatus == types.IndexStatusCreating {
		problems = append(problems, "being created (backfilled): it cannot be queried until it is ACTIVE")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: table %s, index %q: %s", ErrOwnerIndex, table, index, strings.Join(problems, "; "))
	}
	return nil
}

// ownerFindings reports on ix, the owner index: its key, status,
// projection and, on a provisioned table, its write capacity.
func ownerFindings(d *types.TableDescription, ix *types.GlobalSecondaryIndexDescription, spec Spec, billing types.BillingMode, add func(string, Severity, string, ...any)) {
	name := spec.OwnerIndex
	problems := indexShape(d, ix, spec.OwnerAttr)
	for _, p := range problems {
		add("owners", Problem, "index %q: %s", name, p)
	}
	switch ix.IndexStatus {
	case types.IndexStatusCreating:
		add("owners", Warning, "index %q is CREATING (DynamoDB backfills it from the table): queries of it fail until it is ACTIVE", name)
	case "", types.IndexStatusActive, types.IndexStatusUpdating, types.IndexStatusDeleting:
		// DELETING is a problem above; the others serve queries.
	default:
		add("owners", Warning, "index %q is %s", name, ix.IndexStatus)
	}
	var proj types.ProjectionType
	var include []string
	if ix.Projection != nil {
		proj, include = ix.Projection.ProjectionType, ix.Projection.NonKeyAttributes
	}
	switch proj {
	case types.ProjectionTypeKeysOnly:
		if len(problems) == 0 {
			add("owners", OK, "index %q: partition key %q of type S, no sort key, KEYS_ONLY: a save or touch that keeps the owner costs it nothing", name, spec.OwnerAttr)
		}
	case types.ProjectionTypeAll:
		add("owners", Warning, "index %q projects ALL attributes: every save and touch of an owned session writes the index too (a second write bill), and the repository reads only keys from it; KEYS_ONLY is enough", name)
	default:
		add("owners", Warning, "index %q projects %s %s: a write that changes one of them writes the index too (with the expiry %q or the session data projected, every save and touch of an owned session); the repository reads only keys from it, KEYS_ONLY is enough",
			name, proj, strings.Join(include, ", "), spec.ExpiresAttr)
	}
	if billing == types.BillingModeProvisioned && ix.ProvisionedThroughput != nil && d.ProvisionedThroughput != nil {
		iw, tw := aws.ToInt64(ix.ProvisionedThroughput.WriteCapacityUnits), aws.ToInt64(d.ProvisionedThroughput.WriteCapacityUnits)
		if iw < tw {
			add("owners", Warning, "index %q has %d write capacity units, the table %d: when the index runs out, writes to the table that write the index (logins, logouts, revocations) are throttled too; AWS advises at least the table's", name, iw, tw)
		}
	}
}

// billingFindings reports on the billing mode, and advises on it when a
// load is given.
func (r *Report) billingFindings(load Load, d *types.TableDescription, add func(string, Severity, string, ...any)) {
	if load.zero() {
		if r.Billing == types.BillingModePayPerRequest {
			add("billing", OK, "on-demand: billed per request, absorbs spikes; give the expected request rates for a comparison with provisioned capacity")
		} else {
			add("billing", OK, "provisioned: %d read and %d write capacity units; give the expected request rates to check they cover the peak (auto scaling is not checked: it needs another API)", r.ReadCapacity, r.WriteCapacity)
		}
		return
	}
	a := load.advise(d)
	r.Advice = &a
	cmp := fmt.Sprintf("on-demand %s a month, provisioned %s (%d RCU, %d WCU for the peak at %.0f%% utilization)",
		dollars(a.OnDemandMonthly), dollars(a.ProvisionedMonthly), a.ReadCapacity, a.WriteCapacity, targetUtilization*100)
	switch {
	case r.Billing == types.BillingModeProvisioned && (r.ReadCapacity < a.PeakReadUnits || r.WriteCapacity < a.PeakWriteUnits):
		add("billing", Problem, "provisioned %d RCU and %d WCU do not cover the peak of %d RCU and %d WCU: requests will be throttled unless auto scaling keeps up; %s",
			r.ReadCapacity, r.WriteCapacity, a.PeakReadUnits, a.PeakWriteUnits, cmp)
	case a.Recommended == r.Billing:
		add("billing", OK, "%s is the cheaper mode for this load: %s", modeName(r.Billing), cmp)
	default:
		add("billing", Warning, "%s would be cheaper for this load: %s", modeName(a.Recommended), cmp)
	}
}

func modeName(m types.BillingMode) string {
	if m == types.BillingModePayPerRequest {
		return "on-demand"
	}
	return "provisioned"
}

// WriteText writes the report for a person: the table, then one line per
// finding.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s: %s, %s, %d items, %s (item count and size as of DynamoDB's last refresh, about every 6 hours)\n",
		r.Table, r.Status, modeName(r.Billing), r.ItemCount, ByteSize(r.SizeBytes))
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %-7s  %-7s  %s\n", f.Severity, f.Check, f.Message)
	}
	if r.OK() {
		b.WriteString("ready for sessions\n")
	} else {
		b.WriteString("not ready for sessions: see PROBLEM above\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Load is the traffic a session table is expected to carry, for billing
// advice. All rates are averages over a month.
type Load struct {
	// ReadsPerSecond and WritesPerSecond are the average rates of session
	// reads (Get) and writes (Put, Save, Touch, Delete).
	ReadsPerSecond, WritesPerSecond float64

	// PeakFactor is the busiest second's rate over the average, which
	// provisioned capacity must cover. Default 2.
	PeakFactor float64

	// ItemBytes is the size of a session item. Default: the table's
	// average (TableSizeBytes / ItemCount), or 1024 if it is empty.
	ItemBytes int

	// StrongReads says reads are strongly consistent (twice the price).
	StrongReads bool

	// Prices are the prices to compare. Required with a Load;
	// costmodel.DefaultPrices has today's us-east-1 prices.
	Prices Prices
}

// Prices are DynamoDB's prices for what a session table consumes, in
// dollars.
type Prices struct {
	OnDemandReadPerMillion  float64 // a million read request units
	OnDemandWritePerMillion float64 // a million write request units
	ProvisionedRCUHour      float64 // a read capacity unit for an hour
	ProvisionedWCUHour      float64 // a write capacity unit for an hour
}

func (l Load) zero() bool { return l.ReadsPerSecond == 0 && l.WritesPerSecond == 0 }

func (l Load) validate() error {
	if l.zero() {
		return nil
	}
	p := l.Prices
	switch {
	case l.ReadsPerSecond < 0 || l.WritesPerSecond < 0 || l.PeakFactor < 0 || l.ItemBytes < 0:
		return fmt.Errorf("%w: negative load", ErrInvalidSpec)
	case l.PeakFactor != 0 && l.PeakFactor < 1:
		return fmt.Errorf("%w: peak factor %g is below 1", ErrInvalidSpec, l.PeakFactor)
	case p.OnDemandReadPerMillion <= 0 || p.OnDemandWritePerMillion <= 0 || p.ProvisionedRCUHour <= 0 || p.ProvisionedWCUHour <= 0:
		return fmt.Errorf("%w: a load needs every price", ErrInvalidSpec)
	}
	return nil
}

// Advice compares on-demand and provisioned billing for a [Load].
type Advice struct {
	ItemBytes             int     // the session item size assumed
	ReadUnits, WriteUnits float64 // capacity units per read and per write
	PeakReadUnits         int64   // read units a second at the peak
	PeakWriteUnits        int64   // write units a second at the peak
	ReadCapacity          int64   // provisioned read units for the peak at the target utilization
	WriteCapacity         int64   // provisioned write units likewise
	OnDemandMonthly       float64 // dollars
	ProvisionedMonthly    float64 // dollars
	Recommended           types.BillingMode
}

// targetUtilization is the share of provisioned capacity a table can use
// before throttling becomes likely; it is also DynamoDB auto scaling's
// default target.
const targetUtilization = 0.7

// hoursPerMonth is the month AWS prices by.
const hoursPerMonth = 730

func (l Load) advise(d *types.TableDescription) Advice {
	a := Advice{ItemBytes: l.ItemBytes}
	if a.ItemBytes == 0 {
		a.ItemBytes = 1024
		if n := aws.ToInt64(d.ItemCount); n > 0 {
			a.ItemBytes = int(aws.ToInt64(d.TableSizeBytes) / n)
		}
	}
	peak := l.PeakFactor
	if peak == 0 {
		peak = 2
	}
	a.ReadUnits = capacity.ReadUnits(a.ItemBytes, l.StrongReads)
	a.WriteUnits = capacity.WriteUnits(a.ItemBytes)
	p := l.Prices
	seconds := float64(hoursPerMonth * 3600)
	a.OnDemandMonthly = seconds * (l.ReadsPerSecond*a.ReadUnits*p.OnDemandReadPerMillion + l.WritesPerSecond*a.WriteUnits*p.OnDemandWritePerMillion) / 1e6
	a.PeakReadUnits = int64(math.Ceil(l.ReadsPerSecond * peak * a.ReadUnits))
	a.PeakWriteUnits = int64(math.Ceil(l.WritesPerSecond * peak * a.WriteUnits))
	a.ReadCapacity = max(1, int64(math.Ceil(float64(a.PeakReadUnits)/targetUtilization)))
	a.WriteCapacity = max(1, int64(math.Ceil(float64(a.PeakWriteUnits)/targetUtilization)))
	a.ProvisionedMonthly = hoursPerMonth * (float64(a.ReadCapacity)*p.ProvisionedRCUHour + float64(a.WriteCapacity)*p.ProvisionedWCUHour)
	a.Recommended = types.BillingModePayPerRequest
	if a.ProvisionedMonthly < a.OnDemandMonthly {
		a.Recommended = types.BillingModeProvisioned
	}
	return a
}

func dollars(x float64) string { return fmt.Sprintf("$%.2f", x) }

// ByteSize writes a byte count as people read it: 512 B, 2.0 KB, 3.4 MB.
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, prefix := float64(n)/unit, "KMGTP"
	for len(prefix) > 1 && f >= unit {
		f, prefix = f/unit, prefix[1:]
	}
	return fmt.Sprintf("%.1f %cB", f, prefix[0])
}
