package costmodel_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/costmodel"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/golden"
	"github.com/dynamosession/dynamosession/ttl"
)

// small is a workload sized for tests (`make test` runs them under the
// race detector, which slows the simulation tenfold): the README's mix on
// a sample of 300 requests, one login, at least one update, and some 30
// visits.
func small(codecName string, touch ttl.Throttle) costmodel.Workload {
	c, err := costmodel.CodecByName(codecName)
	if err != nil {
		panic(err)
	}
	return costmodel.Workload{Codec: c, Touch: touch, SampleRequests: 300}
}

// longTTL gives w a lifetime longer than a session's life in the
// README's workload (8 months), so that sessions never touched still
// never expire.
func longTTL(w costmodel.Workload) costmodel.Workload {
	w.TTL = ttl.Sliding(365 * 24 * time.Hour)
	return w
}

func run(t *testing.T, w costmodel.Workload) costmodel.Result {
	t.Helper()
	r, err := costmodel.Run(context.Background(), w)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

// perRequest is what one kind of request costs, for comparison.
type perRequest struct {
	ReadUnits, WriteUnits, Writes float64
}

func kinds(r costmodel.Result) map[string]perRequest {
	m := map[string]perRequest{}
	for _, k := range r.Kinds {
		m[k.Name] = perRequest{k.ReadUnits, k.WriteUnits, k.Writes}
	}
	return m
}

// TestUnitsPerRequest checks the capacity each kind of request consumes on
// the 2 KB session, which follows from DynamoDB's rules: 0.5 read unit per
// eventually consistent read under 4 KB, 1 write unit per started KB of
// the item (msgpack and Map items are 1.5-1.8 KB, JSON 2.1 KB, compressed
// under 1 KB).
func TestUnitsPerRequest(t *testing.T) {
	tests := []struct {
		name     string
		w        costmodel.Workload
		login    perRequest
		update   perRequest
		pageView perRequest
	}{
		{"msgpack, touch every read", small("msgpack", ttl.TouchAfter(0)),
			perRequest{0, 2, 1}, perRequest{0.5, 2, 1}, perRequest{0.5, 2, 1}},
		{"map, never touch", longTTL(small("map", ttl.Never())),
			perRequest{0, 2, 1}, perRequest{0.5, 2, 1}, perRequest{0.5, 0, 0}},
		{"json, touch every read", small("json", ttl.TouchAfter(0)),
			perRequest{0, 3, 1}, perRequest{0.5, 3, 1}, perRequest{0.5, 3, 1}},
		{"compressed, touch every read", small("compressed", ttl.TouchAfter(0)),
			perRequest{0, 1, 1}, perRequest{0.5, 1, 1}, perRequest{0.5, 1, 1}},
		{"strong reads", func() costmodel.Workload {
			w := longTTL(small("msgpack", ttl.Never()))
			w.StrongReads = true
			return w
		}(), perRequest{0, 2, 1}, perRequest{1, 2, 1}, perRequest{1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.w)
			want := map[string]perRequest{costmodel.KindLogin: tt.login, costmodel.KindUpdate: tt.update, costmodel.KindPageView: tt.pageView}
			if diff := cmp.Diff(want, kinds(r)); diff != "" {
				t.Errorf("units per request (-want +got):\n%s", diff)
			}
			if r.Expired != 0 {
				t.Errorf("%d sessions expired; the default TTL should outlive every gap", r.Expired)
			}
		})
	}
}

// TestTouchAfterWritesAboutOnceAVisit checks what the throttle buys: with
// visits of 10 page views, TouchAfter(1h) touches at most on the first
// view of a visit, and not on visits less than an hour after the last
// touch (nor on the first visit, which the login wrote).
func TestTouchAfterWritesAboutOnceAVisit(t *testing.T) {
	w := small("msgpack", ttl.TouchAfter(time.Hour))
	w.SampleRequests = 1000
	r := run(t, w)
	views := kinds(r)[costmodel.KindPageView]
	if views.Writes > 0.1 || views.Writes < 0.08 {
		t.Errorf("writes per page view = %.4f, want a little under 1/10", views.Writes)
	}
	if views.WriteUnits != 2*views.Writes {
		t.Errorf("write units per page view = %v, want 2 per touch (%v)", views.WriteUnits, 2*views.Writes)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	w := small("compressed", ttl.TouchAfter(time.Hour))
	if diff := cmp.Diff(run(t, w), run(t, w), cmpopts.IgnoreFields(costmodel.Result{}, "Workload")); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

// TestScaling checks the arithmetic from the sample to the month on the
// README's workload.
func TestScaling(t *testing.T) {
	r := run(t, small("msgpack", ttl.TouchAfter(0)))
	const perMonth = 100_000 * 60 * 730
	got := map[string]float64{}
	total := 0.0
	for _, k := range r.Kinds {
		got[k.Name] = k.PerMonth
		total += k.PerMonth
	}
	want := map[string]float64{
		costmodel.KindLogin:    1e6,
		costmodel.KindUpdate:   2e6,
		costmodel.KindPageView: perMonth - 3e6,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests per month (-want +got):\n%s", diff)
	}
	approx := cmpopts.EquateApprox(1e-9, 0)
	// Every request reads half a unit but logins; every request writes 2.
	wantResult := struct{ Requests, Reads, Writes, Reads1k, Writes1k float64 }{
		perMonth, (perMonth - 1e6) * 0.5, perMonth * 2, (perMonth - 1e6) * 0.5 / perMonth * 1000, 2000,
	}
	gotResult := struct{ Requests, Reads, Writes, Reads1k, Writes1k float64 }{
		r.RequestsPerMonth, r.ReadUnitsPerMonth, r.WriteUnitsPerMonth, r.ReadUnitsPer1000, r.WriteUnitsPer1000,
	}
	if diff := cmp.Diff(wantResult, gotResult, approx); diff != "" {
		t.Errorf("monthly units (-want +got):\n%s", diff)
	}
}

// TestCosts prices known consumption by hand.
func TestCosts(t *testing.T) {
	const secondsPerMonth = 730 * 3600
	r := costmodel.Result{
		Workload:           costmodel.Workload{Utilization: 0.5},
		ReadUnitsPerMonth:  4e6,
		WriteUnitsPerMonth: 2 * secondsPerMonth, // 2 units a second on average
		StorageGB:          10,
	}
	onDemand, provisioned := r.Costs(costmodel.DefaultPrices())
	want := []costmodel.Cost{
		{Reads: 4 * 0.125, Writes: 2 * secondsPerMonth / 1e6 * 0.625, Storage: 2.5,
			Total: 4*0.125 + 2*secondsPerMonth/1e6*0.625 + 2.5},
		// 2 WCU a second at 50% utilization: 4 WCU provisioned all month.
		{Reads: 4e6 / secondsPerMonth / 0.5 * 0.00013 * 730, Writes: 4 * 0.00065 * 730, Storage: 2.5,
			Total: 4e6/secondsPerMonth/0.5*0.00013*730 + 4*0.00065*730 + 2.5},
	}
	if diff := cmp.Diff(want, []costmodel.Cost{onDemand, provisioned}, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("costs (-want +got):\n%s", diff)
	}
	// A zero price means the default one.
	if od, _ := r.Costs(costmodel.Prices{StorageGBMonth: 1}); od.Storage != 10 || od.Reads != onDemand.Reads {
		t.Errorf("Costs with one price set: %+v", od)
	}
}

func TestWorkloadValidation(t *testing.T) {
	tests := []struct {
		name string
		w    costmodel.Workload
		want string
	}{
		{"negative rate", costmodel.Workload{RequestsPerMinute: -1}, "negative rate"},
		{"negative size", costmodel.Workload{SessionBytes: -1}, "negative size"},
		{"utilization above 1", costmodel.Workload{Utilization: 1.5}, "utilization"},
		{"negative price", costmodel.Workload{Prices: costmodel.Prices{StorageGBMonth: -1}}, "negative price"},
		{"more logins than requests", costmodel.Workload{RequestsPerMinute: 1, NewSessionsPerMonth: 1e6}, "exceed"},
		{"touch outlives ttl", costmodel.Workload{TTL: ttl.Sliding(time.Hour), Touch: ttl.TouchAfter(2 * time.Hour)}, "shorter than the TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := costmodel.Run(context.Background(), tt.w)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRunAll(t *testing.T) {
	ws := costmodel.Scenarios(costmodel.Workload{SampleRequests: 200})
	var got []string
	for _, w := range ws {
		got = append(got, string(w.Codec.Format())+" "+costmodel.TouchLabel(w.Touch))
	}
	want := []string{
		"map every read", "json every read", "msgpack every read", "compressed every read",
		"map after 1h", "json after 1h", "msgpack after 1h", "compressed after 1h",
		"map after 33h36m", "json after 33h36m", "msgpack after 33h36m", "compressed after 33h36m",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Scenarios (-want +got):\n%s", diff)
	}
	results, err := costmodel.RunAll(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Codec+" "+r.Touch != want[i] {
			t.Errorf("result %d is %s %s, want %s", i, r.Codec, r.Touch, want[i])
		}
	}
	bad := append(ws[:1:1], costmodel.Workload{Utilization: 2})
	if _, err := costmodel.RunAll(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "workload 1") {
		t.Errorf("RunAll with a bad workload: error %v, want one naming workload 1", err)
	}
}

func TestRunHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := costmodel.Run(ctx, small("map", ttl.TouchAfter(0))); err == nil {
		t.Error("Run with a canceled context succeeded")
	}
}

func TestCodecByName(t *testing.T) {
	for _, name := range costmodel.CodecNames {
		c, err := costmodel.CodecByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(c.Format()); got != name {
			t.Errorf("CodecByName(%q).Format() = %q", name, got)
		}
	}
	if _, err := costmodel.CodecByName("xml"); err == nil {
		t.Error(`CodecByName("xml") succeeded`)
	}
}

func TestTouchNames(t *testing.T) {
	tests := []struct {
		t          ttl.Throttle
		label, api string
	}{
		{ttl.TouchAfter(0), "every read", "ttl.TouchAfter(0)"},
		{ttl.Never(), "never", "ttl.Never()"},
		{ttl.TouchAfter(time.Hour), "after 1h", "ttl.TouchAfter(1h)"},
		{ttl.TouchAfter(90 * time.Minute), "after 1h30m", "ttl.TouchAfter(1h30m)"},
		{ttl.TouchAfter(10 * time.Second), "after 10s", "ttl.TouchAfter(10s)"},
		{nil, "after a tenth of the TTL", "ttl.DefaultThrottle(TTL)"},
	}
	for _, tt := range tests {
		if got := costmodel.TouchLabel(tt.t); got != tt.label {
			t.Errorf("TouchLabel = %q, want %q", got, tt.label)
		}
		if got := costmodel.TouchAPI(tt.t); got != tt.api {
			t.Errorf("TouchAPI = %q, want %q", got, tt.api)
		}
	}
}

// goldenResults are hand-made results for the formatting tests, so that
// the golden files do not change when the simulation does.
func goldenResults() []costmodel.Result {
	w := costmodel.Workload{
		SessionBytes: 2048, RequestsPerMinute: 100_000, NewSessionsPerMonth: 1e6, UpdatesPerMonth: 2e6,
		LiveSessions: 8e6, Utilization: 0.7, Codec: codec.Map[costmodel.Session](),
	}
	mk := func(c string, touch ttl.Throttle, item, reads, writes float64, od, prov float64) costmodel.Result {
		w := w
		w.Touch = touch
		return costmodel.Result{
			Workload: w, Codec: c, Touch: costmodel.TouchLabel(touch), ItemBytes: item, ReadUnitsPer1000: reads, WriteUnitsPer1000: writes,
			OnDemand:    costmodel.Cost{Writes: od * 0.9, Reads: od * 0.095, Storage: od * 0.005, Total: od},
			Provisioned: costmodel.Cost{Total: prov},
		}
	}
	return []costmodel.Result{
		mk("map", ttl.TouchAfter(0), 1765, 499.9, 2000, 5752.16, 2375.95),
		mk("compressed", ttl.TouchAfter(0), 883, 499.9, 1000, 3013.02, 1244.54),
		mk("map", ttl.TouchAfter(time.Hour), 1765, 499.9, 188.5, 793.14, 329.37),
		mk("compressed", ttl.TouchAfter(time.Hour), 883, 499.9, 94.2, 533.51, 221.25),
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := costmodel.WriteTable(&b, goldenResults()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/table.golden.md", b.Bytes())
}

func TestWriteSVG(t *testing.T) {
	var b bytes.Buffer
	if err := costmodel.WriteSVG(&b, goldenResults(), "Cost <by> codec & touch"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/chart.golden.svg", b.Bytes())
}

// Example models one workload: compressed sessions touched on every read
// cost one write unit per request, since each item is under 1 KB.
func Example() {
	c, _ := costmodel.CodecByName("compressed")
	r, err := costmodel.Run(context.Background(), costmodel.Workload{
		Codec:          c,
		Touch:          ttl.TouchAfter(0),
		SampleRequests: 300,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("per 1,000 requests: %.1f read units, %.1f write units\n", r.ReadUnitsPer1000, r.WriteUnitsPer1000)
	fmt.Printf("on demand: $%.0f a month\n", r.OnDemand.Total)
	// Output:
	// per 1,000 requests: 499.9 read units, 1000.0 write units
	// on demand: $3013 a month
}
