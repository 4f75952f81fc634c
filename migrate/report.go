package migrate

import (
	"maps"

	"github.com/dynamosession/dynamosession/codec"
)

// Report is what a migration did. Counts cover every page completed so
// far, including those of earlier runs resumed from the checkpoint. Each
// scanned item is counted in exactly one of Migrated, AlreadyTarget,
// Expired, Skipped (the sum of its counts), Conflicts and Failed.
//
// A page cut short by a crash or cancellation is not counted; the resumed
// run scans it again, and finds the records it had rewritten already in
// the target format, so those count under AlreadyTarget rather than
// Migrated.
type Report struct {
	// Scanned is the number of items read.
	Scanned int64
	// Migrated is the number of records rewritten in the repository's
	// format (in a dry run: that would have been).
	Migrated int64
	// AlreadyTarget counts records already in the repository's format,
	// or that its codec would write in their present format (a
	// compressing codec leaves small sessions uncompressed).
	AlreadyTarget int64
	// Expired counts records whose expiry has passed: DynamoDB's TTL will
	// delete them, so they are not rewritten.
	Expired int64
	// Skipped counts the items that are not records to migrate, by
	// reason: "other prefix" (a key outside the repository's prefix, or
	// not a string), "no data attribute", "other format" (a format
	// Config.From leaves out) and "newer schema" (stored by a newer schema
	// version than the repository's, which a deploy in progress may
	// write). Reasons with no item are absent. When every scanned item is
	// skipped, the migration matched nothing: a wrong prefix or data
	// attribute, most likely.
	Skipped map[string]int64
	// Conflicts counts records the application deleted, or kept changing,
	// while the migration tried to rewrite them; they are as the
	// application left them. Run the migration again to pick up any left
	// in the old format.
	Conflicts int64
	// Failed counts records that cannot be migrated; each is left
	// untouched. Failures maps the full keys (prefix and session ID) of
	// up to Config.MaxFailures of them, the first found, to what is wrong,
	// starting with the stored format when it was recognised ("json:
	// cannot decode: …"). A key is a bearer credential: show it shortened
	// where it may end up in logs.
	Failed   int64
	Failures map[string]string

	// Schemas counts the live records scanned by the schema version
	// their data was stored under (1 for records without a schema
	// attribute), before any upgrade: when a version no longer appears,
	// its upgrade can be deleted from the code.
	Schemas map[int]int64

	// ReadUnits and WriteUnits are the capacity consumed, as DynamoDB
	// reported it (in a dry run, WriteUnits is what the writes would have
	// cost).
	ReadUnits  float64
	WriteUnits float64

	// Resumed is set when the run continued from a checkpoint, so that
	// the counts include earlier runs'.
	Resumed bool
}

// Skip reasons, the keys of Report.Skipped.
const (
	skipPrefix = "other prefix"
	skipNoData = "no data attribute"
	skipFormat = "other format"
	skipSchema = "newer schema"
	// A checkpoint written before reasons were counted has only their
	// total.
	skipUnrecorded = "reason not recorded"
)

// tally is a Report as a checkpoint file stores it. Its shape is the
// checkpoint format's, kept apart from Report so that the report can
// change without making older checkpoints unreadable.
type tally struct {
	Scanned       int64         `json:"scanned"`
	Migrated      int64         `json:"migrated"`
	AlreadyTarget int64         `json:"alreadyTarget"`
	Expired       int64         `json:"expired"`
	Skipped       int64         `json:"skipped"`
	SkippedPrefix int64         `json:"skippedPrefix,omitempty"`
	SkippedNoData int64         `json:"skippedNoData,omitempty"`
	SkippedFormat int64         `json:"skippedFormat,omitempty"`
	SkippedSchema int64         `json:"skippedSchema,omitempty"`
	Conflicts     int64         `json:"conflicts"`
	Failed        int64         `json:"failed"`
	Failures      []failure     `json:"failures,omitempty"` // in the order found
	Schemas       map[int]int64 `json:"schemas,omitempty"`
	ReadUnits     float64       `json:"readUnits"`
	WriteUnits    float64       `json:"writeUnits"`
}

// failure is one record that cannot be migrated, left untouched.
type failure struct {
	Key    string       `json:"key"`
	Format codec.Format `json:"format,omitempty"`
	Reason string       `json:"reason"`
}

func (t *tally) add(p *pageTally) {
	t.Scanned += p.scanned
	t.Migrated += p.counts[outMigrated]
	t.AlreadyTarget += p.counts[outAlready]
	t.Expired += p.counts[outExpired]
	t.SkippedPrefix += p.counts[outOtherPrefix]
	t.SkippedNoData += p.counts[outNoData]
	t.SkippedFormat += p.counts[outOtherFormat]
	t.SkippedSchema += p.counts[outNewerSchema]
	t.Skipped += p.counts[outOtherPrefix] + p.counts[outNoData] + p.counts[outOtherFormat] + p.counts[outNewerSchema]
	t.Conflicts += p.counts[outConflict]
	t.Failed += p.counts[outFailed]
	t.ReadUnits += p.readUnits
	t.WriteUnits += p.writeUnits
	for v, n := range p.schemas {
		if t.Schemas == nil {
			t.Schemas = map[int]int64{}
		}
		t.Schemas[v] += n
	}
}

// report returns t as a Report that shares nothing with t.
func (t *tally) report(resumed bool) Report {
	r := Report{
		Scanned: t.Scanned, Migrated: t.Migrated, AlreadyTarget: t.AlreadyTarget, Expired: t.Expired,
		Conflicts: t.Conflicts, Failed: t.Failed,
		Schemas:   maps.Clone(t.Schemas),
		ReadUnits: t.ReadUnits, WriteUnits: t.WriteUnits,
		Resumed: resumed,
	}
	reasons := []struct {
		what string
		n    int64
	}{{skipPrefix, t.SkippedPrefix}, {skipNoData, t.SkippedNoData}, {skipFormat, t.SkippedFormat}, {skipSchema, t.SkippedSchema}}
	counted := int64(0)
	for _, s := range reasons {
		counted += s.n
	}
	reasons = append(reasons, struct {
		what string
		n    int64
	}{skipUnrecorded, t.Skipped - counted})
	for _, s := range reasons {
		if s.n > 0 {
			if r.Skipped == nil {
				r.Skipped = map[string]int64{}
			}
			r.Skipped[s.what] = s.n
		}
	}
	for _, f := range t.Failures {
		if r.Failures == nil {
			r.Failures = make(map[string]string, len(t.Failures))
		}
		reason := f.Reason
		if f.Format != "" {
			reason = string(f.Format) + ": " + reason
		}
		r.Failures[f.Key] = reason
	}
	return r
}
