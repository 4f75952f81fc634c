package migrate

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dynamosession/dynamosession/codec"
)

// Report is what a migration did. Counts cover every page completed so
// far, including those of earlier runs resumed from the checkpoint. Each
// scanned item is counted in exactly one of Migrated, AlreadyTarget,
// Expired, Skipped, Conflicts and Failed.
//
// A page cut short by a crash or cancellation is not counted; the resumed
// run scans it again, and finds the records it had rewritten already in
// the target format, so those count under AlreadyTarget rather than
// Migrated.
type Report struct {
	// Scanned is the number of items read.
	Scanned int64 `json:"scanned"`
	// Migrated is the number of records rewritten in the target format
	// (in a dry run: that would have been).
	Migrated int64 `json:"migrated"`
	// AlreadyTarget counts records already in the target format, or that
	// the target codec would write in their present format (a compressing
	// codec leaves small sessions uncompressed).
	AlreadyTarget int64 `json:"alreadyTarget"`
	// Expired counts records whose expiry has passed: DynamoDB's TTL will
	// delete them, so they are not rewritten.
	Expired int64 `json:"expired"`
	// Skipped counts items that are not records to migrate: keys outside
	// the prefix, items without the data attribute, and records in a
	// format not asked for; SkippedPrefix, SkippedNoData and SkippedFormat
	// count each reason. When every scanned item is skipped, the
	// migration matched nothing: a wrong Prefix or DataAttr, most likely.
	Skipped       int64 `json:"skipped"`
	SkippedPrefix int64 `json:"skippedPrefix,omitempty"`
	SkippedNoData int64 `json:"skippedNoData,omitempty"`
	SkippedFormat int64 `json:"skippedFormat,omitempty"`
	SkippedSchema int64 `json:"skippedSchema,omitempty"` // stored by a newer schema version than Config.Schema
	// Conflicts counts records the application deleted, or kept changing,
	// while the migration tried to rewrite them; they are as the
	// application left them. Run the migration again to pick up any left
	// in the old format.
	Conflicts int64 `json:"conflicts"`
	// Failed counts records that cannot be migrated; each is left
	// untouched. Failures lists up to Config.MaxFailures of them (the
	// first found), sorted by key.
	Failed   int64     `json:"failed"`
	Failures []Failure `json:"failures,omitempty"`

	// Schemas counts the live records scanned by the schema version
	// their data was stored under (1 for records without a schema
	// attribute), before any upgrade: when a version no longer appears,
	// its upgrade can be deleted from the code.
	Schemas map[int]int64 `json:"schemas,omitempty"`

	// ReadUnits and WriteUnits are the capacity consumed, as DynamoDB
	// reported it (in a dry run, WriteUnits is what the writes would have
	// cost).
	ReadUnits  float64 `json:"readUnits"`
	WriteUnits float64 `json:"writeUnits"`

	// DryRun is set when nothing was written.
	DryRun bool `json:"-"`
	// Resumed is set when the run continued from a checkpoint.
	Resumed bool `json:"-"`
	// Complete is set when every segment has been scanned to its end.
	Complete bool `json:"-"`
	// Elapsed is this run's wall time (not that of resumed runs).
	Elapsed time.Duration `json:"-"`
}

// A Failure is one record that cannot be migrated, left untouched.
type Failure struct {
	// Key is the record's full key (prefix and session ID). Key is a
	// bearer credential: [Report.WriteText] shows only its beginning
	// unless asked otherwise.
	Key string `json:"key"`
	// Format is the stored format, if it was recognised.
	Format codec.Format `json:"format,omitempty"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
}

// Progress is the state of a running migration, passed to
// Config.Progress after every page.
type Progress struct {
	Scanned  int64 // items scanned, resumed runs included
	Migrated int64 // records rewritten, resumed runs included
	Failed   int64 // records that cannot be migrated
	// Total estimates the table's items from DescribeTable's ItemCount,
	// which DynamoDB refreshes about every six hours; 0 when unknown.
	Total      int64
	WriteUnits float64       // write capacity consumed so far
	Elapsed    time.Duration // this run's wall time
	Rate       float64       // items scanned per second by this run
	ETA        time.Duration // time left at Rate; 0 when unknown
}

func (r *Report) add(p *pageTally) {
	r.Scanned += p.scanned
	r.Migrated += p.counts[outMigrated]
	r.AlreadyTarget += p.counts[outAlready]
	r.Expired += p.counts[outExpired]
	r.SkippedPrefix += p.counts[outOtherPrefix]
	r.SkippedNoData += p.counts[outNoData]
	r.SkippedFormat += p.counts[outOtherFormat]
	r.SkippedSchema += p.counts[outNewerSchema]
	r.Skipped += p.counts[outOtherPrefix] + p.counts[outNoData] + p.counts[outOtherFormat] + p.counts[outNewerSchema]
	r.Conflicts += p.counts[outConflict]
	r.Failed += p.counts[outFailed]
	r.ReadUnits += p.readUnits
	r.WriteUnits += p.writeUnits
	for v, n := range p.schemas {
		if r.Schemas == nil {
			r.Schemas = map[int]int64{}
		}
		r.Schemas[v] += n
	}
}

// WriteText writes the report for a person. Keys of failed records are
// shortened as the library shortens session IDs in errors, unless
// fullKeys is set: session IDs are bearer credentials, and this text ends
// up in terminals and logs.
func (r *Report) WriteText(w io.Writer, fullKeys bool) error {
	var b strings.Builder
	verb := "migrated"
	if r.DryRun {
		verb = "would migrate"
	}
	state := "complete"
	switch {
	case !r.Complete:
		state = "incomplete"
	case r.DryRun:
		state = "dry run complete, nothing written"
	}
	fmt.Fprintf(&b, "migration %s", state)
	if r.Resumed {
		b.WriteString(" (resumed from checkpoint)")
	}
	b.WriteString("\n")
	row := func(label string, n int64, note string) {
		fmt.Fprintf(&b, "  %-22s %9s", label, group(n))
		if note != "" {
			b.WriteString("  " + note)
		}
		b.WriteString("\n")
	}
	row("scanned", r.Scanned, "")
	row(verb, r.Migrated, "")
	row("already in target", r.AlreadyTarget, "")
	row("expired (not touched)", r.Expired, "")
	row("skipped", r.Skipped, skipNote(r))
	row("changed by the app", r.Conflicts, conflictNote(r.Conflicts))
	row("failed (not touched)", r.Failed, "")
	writeLabel := "write units"
	if r.DryRun {
		writeLabel = "write units (estimate)"
	}
	fmt.Fprintf(&b, "  %-22s %9.1f\n  %-22s %9.1f\n", "read units", r.ReadUnits, writeLabel, r.WriteUnits)
	if r.Elapsed > 0 {
		fmt.Fprintf(&b, "  %-22s %9s\n", "elapsed", r.Elapsed.Round(time.Millisecond))
	}
	if len(r.Failures) > 0 {
		b.WriteString("failures:\n")
		for _, f := range r.Failures {
			k := f.Key
			if !fullKeys {
				k = redactKey(k)
			}
			format := ""
			if f.Format != "" {
				format = " (" + string(f.Format) + ")"
			}
			fmt.Fprintf(&b, "  %q%s: %s\n", k, format, f.Reason)
		}
		if n := r.Failed - int64(len(r.Failures)); n > 0 {
			fmt.Fprintf(&b, "  … and %s more\n", group(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// skipNote says why items were skipped: "other prefix 3, no data
// attribute 1". A report from a checkpoint written before the reasons
// were counted has only the total.
func skipNote(r *Report) string {
	var parts []string
	for _, p := range []struct {
		what string
		n    int64
	}{{"other prefix", r.SkippedPrefix}, {"no data attribute", r.SkippedNoData}, {"other format", r.SkippedFormat}, {"newer schema", r.SkippedSchema}} {
		if p.n > 0 {
			parts = append(parts, p.what+" "+group(p.n))
		}
	}
	if len(parts) == 0 && r.Skipped > 0 {
		return "other prefix, format or no data attribute"
	}
	return strings.Join(parts, ", ")
}

func conflictNote(n int64) string {
	if n == 0 {
		return ""
	}
	return "left as the app wrote them; run again to migrate any still in the old format"
}

// redactKey keeps the first 6 characters after the key's non-alphanumeric
// prefix ("session#", "sess:"), like the library's error messages.
func redactKey(k string) string {
	const keep = 6
	cut := strings.LastIndexAny(k, "#:") + 1
	prefix, id := k[:cut], k[cut:]
	if utf8.RuneCountInString(id) <= keep {
		return k
	}
	return prefix + string([]rune(id)[:keep]) + "…"
}

// group writes n with thousands separators: 12,345.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
