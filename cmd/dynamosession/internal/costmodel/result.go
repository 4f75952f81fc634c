package costmodel

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Result is what a workload consumes and costs, from [Run].
type Result struct {
	// Workload is the workload as run, defaults filled in.
	Workload Workload
	// Codec and Touch name the codec's format and the touch throttle
	// ("every read", "after 1h").
	Codec, Touch string

	// SampleSessions and SampleRequests are how much was simulated.
	SampleSessions, SampleRequests int
	// Expired counts sample requests that found their session expired
	// (and logged in again, at that request's cost). Anything but 0 means
	// the TTL is shorter than the users' gaps between visits.
	Expired int
	// ItemBytes is the average size of a stored session item as DynamoDB
	// counts it (attribute names and values), at the end of the sample.
	ItemBytes float64

	// Kinds breaks the workload down by kind of request: login, update,
	// page view, in that order.
	Kinds []Kind

	// RequestsPerMonth is every request of the month (730 hours).
	RequestsPerMonth float64
	// ReadUnitsPerMonth and WriteUnitsPerMonth are the capacity units
	// consumed in a month.
	ReadUnitsPerMonth, WriteUnitsPerMonth float64
	// ReadUnitsPer1000 and WriteUnitsPer1000 are the units per 1,000
	// requests of the workload's mix; WritesPer1000 the write requests.
	ReadUnitsPer1000, WriteUnitsPer1000, WritesPer1000 float64
	// StorageGB is what LiveSessions items take, with DynamoDB's 100
	// bytes of per-item overhead, in GB of 2^30 bytes.
	StorageGB float64

	// OnDemand and Provisioned are the monthly costs at Workload.Prices.
	OnDemand, Provisioned Cost
}

// Kind is what one kind of request consumes.
type Kind struct {
	Name string // KindLogin, KindUpdate or KindPageView
	// SampleRequests counts the kind's requests in the sample.
	SampleRequests int
	// PerMonth counts them in a month.
	PerMonth float64
	// ReadUnits, WriteUnits and Writes are per request: capacity units and
	// write requests (Put, Save, Touch), averaged over the sample.
	ReadUnits, WriteUnits, Writes float64
}

// Cost is a monthly bill, in US dollars.
type Cost struct {
	Reads, Writes, Storage float64
	Total                  float64
}

func (s *simulation) result() Result {
	w, m := s.w, s.m
	r := Result{
		Workload:         w,
		Codec:            string(w.Codec.Format()),
		Touch:            TouchLabel(w.Touch),
		SampleSessions:   m.sessions,
		Expired:          s.expired,
		ItemBytes:        s.itemBytes(),
		RequestsPerMonth: m.requestsPerMonth,
	}
	perMonth := map[string]float64{
		KindLogin:    w.NewSessionsPerMonth,
		KindUpdate:   w.UpdatesPerMonth,
		KindPageView: m.requestsPerMonth - w.NewSessionsPerMonth - w.UpdatesPerMonth,
	}
	var writes float64
	for _, name := range []string{KindLogin, KindUpdate, KindPageView} {
		t := s.kinds[name]
		k := Kind{Name: name, SampleRequests: t.requests, PerMonth: perMonth[name]}
		if t.requests > 0 {
			n := float64(t.requests)
			k.ReadUnits, k.WriteUnits, k.Writes = t.readUnits/n, t.writeUnits/n, float64(t.writeRequests)/n
		}
		r.Kinds = append(r.Kinds, k)
		r.SampleRequests += t.requests
		r.ReadUnitsPerMonth += k.ReadUnits * k.PerMonth
		r.WriteUnitsPerMonth += k.WriteUnits * k.PerMonth
		writes += k.Writes * k.PerMonth
	}
	if r.RequestsPerMonth > 0 {
		r.ReadUnitsPer1000 = r.ReadUnitsPerMonth / r.RequestsPerMonth * 1000
		r.WriteUnitsPer1000 = r.WriteUnitsPerMonth / r.RequestsPerMonth * 1000
		r.WritesPer1000 = writes / r.RequestsPerMonth * 1000
	}
	r.StorageGB = w.LiveSessions * (r.ItemBytes + storageOverheadBytes) / (1 << 30)
	r.OnDemand, r.Provisioned = r.Costs(w.Prices)
	return r
}

// Costs prices r's monthly consumption at p (each zero field of p meaning
// its [DefaultPrices] value): on demand, every unit consumed; provisioned,
// the average units per second divided by Workload.Utilization, for every
// hour of the month. Storage is the same in both and included in both
// totals; the free tier is not deducted.
func (r Result) Costs(p Prices) (onDemand, provisioned Cost) {
	p = Workload{Prices: p}.withDefaults().Prices
	util := r.Workload.Utilization
	if util == 0 {
		util = 1
	}
	storage := r.StorageGB * p.StorageGBMonth
	onDemand = Cost{
		Reads:   r.ReadUnitsPerMonth / 1e6 * p.OnDemandReadPerMillion,
		Writes:  r.WriteUnitsPerMonth / 1e6 * p.OnDemandWritePerMillion,
		Storage: storage,
	}
	const secondsPerMonth = HoursPerMonth * 3600
	provisioned = Cost{
		Reads:   r.ReadUnitsPerMonth / secondsPerMonth / util * p.ProvisionedRCUHour * HoursPerMonth,
		Writes:  r.WriteUnitsPerMonth / secondsPerMonth / util * p.ProvisionedWCUHour * HoursPerMonth,
		Storage: storage,
	}
	onDemand.Total = onDemand.Reads + onDemand.Writes + onDemand.Storage
	provisioned.Total = provisioned.Reads + provisioned.Writes + provisioned.Storage
	return onDemand, provisioned
}

// String summarises r in a few lines: the workload, units per 1,000
// requests per kind, and the monthly costs.
func (r Result) String() string {
	var b strings.Builder
	w := r.Workload
	fmt.Fprintf(&b, "workload: %d-byte sessions (JSON), %.0f requests/min, %.0f logins and %.0f updates a month, %.0f live sessions\n",
		w.SessionBytes, w.RequestsPerMinute, w.NewSessionsPerMonth, w.UpdatesPerMonth, w.LiveSessions)
	fmt.Fprintf(&b, "codec %s, touch %s, %s reads, stored item %.0f bytes\n", r.Codec, r.Touch, readKind(w), r.ItemBytes)
	fmt.Fprintf(&b, "simulated: %s on the fake, scaled to %.3g requests a month\n", r.SampleDescription(), r.RequestsPerMonth)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tper month\tread units/req\twrite units/req\twrites/req\t")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%.4g\t%.3f\t%.3f\t%.3f\t\n", k.Name, k.PerMonth, k.ReadUnits, k.WriteUnits, k.Writes)
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "per 1,000 requests: %.1f read units, %.1f write units (%.1f writes)\n", r.ReadUnitsPer1000, r.WriteUnitsPer1000, r.WritesPer1000)
	fmt.Fprintf(&b, "per month: %.4g read units, %.4g write units, %.1f GB stored\n", r.ReadUnitsPerMonth, r.WriteUnitsPerMonth, r.StorageGB)
	fmt.Fprintf(&b, "on-demand:   $%s/month (reads $%s, writes $%s, storage $%s)\n", money(r.OnDemand.Total), money(r.OnDemand.Reads), money(r.OnDemand.Writes), money(r.OnDemand.Storage))
	fmt.Fprintf(&b, "provisioned: $%s/month (reads $%s, writes $%s, storage $%s) at %.0f%% utilization\n", money(r.Provisioned.Total), money(r.Provisioned.Reads), money(r.Provisioned.Writes), money(r.Provisioned.Storage), w.Utilization*100)
	return b.String()
}

// SampleDescription says what was simulated: "21900 requests of 5
// session lives".
func (r Result) SampleDescription() string {
	lives := "lives"
	if r.SampleSessions == 1 {
		lives = "life"
	}
	return fmt.Sprintf("%d requests of %d session %s", r.SampleRequests, r.SampleSessions, lives)
}

func readKind(w Workload) string {
	if w.StrongReads {
		return "strongly consistent"
	}
	return "eventually consistent"
}

// WriteTable writes results as a Markdown table, one row per result, ready
// for a README: codec, touch policy, stored item size, units per 1,000
// requests, and monthly costs on demand and provisioned.
func WriteTable(out io.Writer, results []Result) error {
	var b strings.Builder
	b.WriteString("| codec | touch | item bytes | read units / 1k req | write units / 1k req | on-demand $/month | provisioned $/month | storage $/month |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.1f | %.1f | %s | %s | %s |\n",
			r.Codec, r.Touch, r.ItemBytes, r.ReadUnitsPer1000, r.WriteUnitsPer1000,
			money(r.OnDemand.Total), money(r.Provisioned.Total), money(r.OnDemand.Storage))
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// money formats dollars with thousands separators: 12,345.67.
func money(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}
