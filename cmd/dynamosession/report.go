package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dynamosession/dynamosession/internal/redact"
	"github.com/dynamosession/dynamosession/migrate"
)

// The reasons migrate.Report.Skipped counts, in the order the report
// lists them.
const (
	skipPrefix = "other prefix"
	skipNoData = "no data attribute"
	skipFormat = "other format"
	skipSchema = "newer schema"
)

// reportRun is what the report of a run says beside migrate's counts.
type reportRun struct {
	dryRun, complete bool
	elapsed          time.Duration // this run's; 0: not shown
	fullKeys         bool          // show failed records' keys in full
}

// writeReport writes rep for a person. Keys of failed records are
// shortened as the library shortens session IDs in errors, unless
// run.fullKeys is set: session IDs are bearer credentials, and this text
// ends up in terminals and logs.
func writeReport(w io.Writer, rep *migrate.Report, run reportRun) error {
	var b strings.Builder
	verb := "migrated"
	if run.dryRun {
		verb = "would migrate"
	}
	state := "complete"
	switch {
	case !run.complete:
		state = "incomplete"
	case run.dryRun:
		state = "dry run complete, nothing written"
	}
	fmt.Fprintf(&b, "migration %s", state)
	if rep.Resumed {
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
	row("scanned", rep.Scanned, "")
	row(verb, rep.Migrated, "")
	row("already in target", rep.AlreadyTarget, "")
	row("expired (not touched)", rep.Expired, "")
	row("skipped", skipped(rep), skipReasons(rep))
	row("changed by the app", rep.Conflicts, conflictNote(rep.Conflicts))
	row("failed (not touched)", rep.Failed, "")
	writeLabel := "write units"
	if run.dryRun {
		writeLabel = "write units (estimate)"
	}
	fmt.Fprintf(&b, "  %-22s %9.1f\n  %-22s %9.1f\n", "read units", rep.ReadUnits, writeLabel, rep.WriteUnits)
	if run.elapsed > 0 {
		fmt.Fprintf(&b, "  %-22s %9s\n", "elapsed", run.elapsed.Round(time.Millisecond))
	}
	if len(rep.Failures) > 0 {
		b.WriteString("failures:\n")
		for _, key := range slices.Sorted(maps.Keys(rep.Failures)) {
			k := key
			if !run.fullKeys {
				k = redact.Key(k)
			}
			fmt.Fprintf(&b, "  %q: %s\n", k, rep.Failures[key])
		}
		if n := rep.Failed - int64(len(rep.Failures)); n > 0 {
			fmt.Fprintf(&b, "  … and %s more\n", group(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// skipReasons says why items were skipped, "other prefix 3, no data
// attribute 1", leaving out the reasons in omit.
func skipReasons(rep *migrate.Report, omit ...string) string {
	order := []string{skipPrefix, skipNoData, skipFormat, skipSchema}
	for _, why := range slices.Sorted(maps.Keys(rep.Skipped)) {
		if !slices.Contains(order, why) {
			order = append(order, why) // a reason this tool does not know yet
		}
	}
	var parts []string
	for _, why := range order {
		if n := rep.Skipped[why]; n > 0 && !slices.Contains(omit, why) {
			parts = append(parts, why+" "+group(n))
		}
	}
	return strings.Join(parts, ", ")
}

func conflictNote(n int64) string {
	if n == 0 {
		return ""
	}
	return "left as the app wrote them; run again to migrate any still in the old format"
}

// progress is how far a scan has come, as the progress bar draws it.
type progress struct {
	Scanned, Migrated, Failed int64
	// Total estimates the table's items from DescribeTable's ItemCount,
	// which DynamoDB refreshes about every six hours; 0 when unknown.
	Total int64
	Rate  float64       // items scanned per second by this run
	ETA   time.Duration // time left at Rate; 0 when unknown
}

// progressBar draws the progress of a scan on stderr: in place on a
// terminal, ten times a second at most; otherwise a line every ten
// seconds, for logs.
type progressBar struct {
	e      *env
	total  int64 // the table's estimated items
	render func(p progress, width int) string
	mu     sync.Mutex
	pages  int // pages completed by this run
	last   time.Time
	every  time.Duration
	drawn  bool
	// The rate is measured from base items scanned at baseAt: from 0 at
	// the start, or, in a run resumed from a checkpoint (whose counts
	// include earlier runs'), from the first page this run completed.
	base   int64
	baseAt time.Time
}

func newProgressBar(e *env, total int64) *progressBar {
	b := &progressBar{e: e, total: total, render: renderProgress, every: 10 * time.Second}
	if e.tty {
		b.every = 100 * time.Millisecond
	}
	b.last = time.Now()
	b.baseAt = b.last
	return b
}

func (b *progressBar) update(r migrate.Report) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pages++
	if b.e.afterPage != nil {
		b.e.afterPage(r)
	}
	now := time.Now()
	if b.pages == 1 && r.Resumed {
		b.base, b.baseAt = r.Scanned, now
	}
	if now.Sub(b.last) < b.every {
		return
	}
	b.last = now
	p := progress{Scanned: r.Scanned, Migrated: r.Migrated, Failed: r.Failed, Total: b.total}
	if d := now.Sub(b.baseAt).Seconds(); d > 0 {
		p.Rate = float64(r.Scanned-b.base) / d
	}
	if p.Rate > 0 && p.Total > p.Scanned {
		p.ETA = time.Duration(float64(p.Total-p.Scanned) / p.Rate * float64(time.Second))
	}
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
func renderProgress(p progress, width int) string {
	line := renderScan(p, width)
	line += fmt.Sprintf("  migrated %d", p.Migrated)
	if p.Failed > 0 {
		line += fmt.Sprintf("  failed %d", p.Failed)
	}
	return line
}

// renderScan draws how far a scan has come, as renderProgress does, without
// what a migration did.
func renderScan(p progress, width int) string {
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
