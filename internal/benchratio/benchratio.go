// Package benchratio times a repository call against the raw SDK doing
// the same work, in a way that holds on a shared machine: the root
// package's ratio benchmarks and httpsession's page-view benchmark use it,
// and scripts/bench-table reads the metrics it reports.
package benchratio

import (
	"slices"
	"testing"
	"time"
)

// Ratio times x (the repository) and y (the raw SDK) with [Alternate], in
// batches of about 200 µs (at least one call), and reports both sides' ns
// per call as repo-ns/op and raw-ns/op, their ratio, and their
// allocations per call (testing.AllocsPerRun, outside the timing) as
// repo-allocs/op and raw-allocs/op. It returns the repository's ns per
// call. Both sides run once first, so a failing side fails the benchmark
// before anything is timed.
func Ratio(b *testing.B, x, y func() error) time.Duration {
	b.Helper()
	for _, f := range []func() error{x, y} {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	var failed error
	allocs := func(f func() error) float64 {
		return testing.AllocsPerRun(20, func() {
			if err := f(); err != nil {
				failed = err
			}
		})
	}
	xAllocs, yAllocs := allocs(x), allocs(y)
	if failed != nil {
		b.Fatal(failed)
	}
	start := time.Now()
	_ = x()
	batch := max(1, int(200*time.Microsecond/max(time.Since(start), 1)))
	r, k := Alternate(b, batch, x, y)
	b.ReportMetric(float64(r.Nanoseconds()), "repo-ns/op")
	b.ReportMetric(float64(k.Nanoseconds()), "raw-ns/op")
	b.ReportMetric(float64(r)/float64(k), "ratio")
	b.ReportMetric(xAllocs, "repo-allocs/op")
	b.ReportMetric(yAllocs, "raw-allocs/op")
	return r
}

// Alternate calls x and y alternately in batches of batch calls, b.N
// batches each, who goes first alternating, and returns the 10th
// percentile of their per-call batch times. Taking a low percentile of
// short alternating batches, rather than a mean, leaves out the batches
// that a preemption or a GC pause happened to hit, so the ratio of the
// two holds on a shared machine.
func Alternate(b *testing.B, batch int, x, y func() error) (time.Duration, time.Duration) {
	b.Helper()
	timeBatch := func(f func() error) time.Duration {
		start := time.Now()
		for range batch {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / time.Duration(batch)
	}
	var xs, ys []time.Duration
	round := 0
	for b.Loop() {
		if round%2 == 0 {
			xs, ys = append(xs, timeBatch(x)), append(ys, timeBatch(y))
		} else {
			ys, xs = append(ys, timeBatch(y)), append(xs, timeBatch(x))
		}
		round++
	}
	return lowPercentile(xs), lowPercentile(ys)
}

// lowPercentile returns the 10th percentile of ds, 0 for none.
func lowPercentile(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/10]
}
