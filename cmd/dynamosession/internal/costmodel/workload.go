package costmodel

import (
	"fmt"
	"strings"
	"time"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/samplesession"
	"github.com/dynamosession/dynamosession/internal/ttlcheck"
	"github.com/dynamosession/dynamosession/ttl"
)

// Session is the session the model stores, the shop session of
// [samplesession.Session], which the library's codec benchmarks store too.
type Session = samplesession.Session

// Workload describes a session workload. Every zero field means its
// documented default, and the defaults are the README's workload: 2 KB
// sessions, 100,000 requests a minute, 1 million new sessions and 2 million
// updates a month, 8 million live sessions, the Map codec, a 14-day
// sliding TTL and the repository's default touch throttle.
//
// Requests come in three kinds. A login writes a new session (Put). An
// update reads the session, changes it and saves it (Get, Save). Every
// other request is a page view that only reads (Get, then Save, which
// sends nothing because nothing changed, then Touch, which writes only
// when the touch policy says so).
type Workload struct {
	// SessionBytes is the size of a session's JSON encoding, which is how
	// an application sees its session; each codec stores it in more or
	// fewer bytes. Default 2048. Sessions smaller than about 350 bytes
	// are not modelled (see [samplesession.New]).
	SessionBytes int

	// RequestsPerMinute counts every request that reads or writes a
	// session, logins and updates included. Default 100,000.
	RequestsPerMinute float64

	// NewSessionsPerMonth counts logins. Default 1,000,000.
	NewSessionsPerMonth float64

	// UpdatesPerMonth counts requests that change the session.
	// Default 2,000,000.
	UpdatesPerMonth float64

	// LiveSessions is the number of sessions stored at any time, which is
	// what storage costs. It also sets how long a session lives
	// (LiveSessions / NewSessionsPerMonth months, by Little's law) and so
	// how often its user comes back. Default 8,000,000.
	LiveSessions float64

	// PageViewsPerVisit is how many requests a user makes in one visit,
	// ThinkTime apart. Visits of one session are spread evenly over its
	// life, at exponentially distributed intervals. The two decide what a
	// touch throttle saves: TouchAfter(1h) writes about once a visit.
	// Defaults 10 and 30 seconds.
	PageViewsPerVisit int
	ThinkTime         time.Duration

	// Codec is the codec sessions are written with. Default
	// codec.Map[Session](), the repository's default. See [CodecByName].
	Codec codec.Codec[Session]

	// TTL is the session lifetime policy. Default
	// ttl.Sliding(14 * 24 * time.Hour): long enough that the modelled
	// users' gaps between visits never expire their sessions.
	TTL ttl.Policy

	// Touch decides when a page view extends the expiry. Default
	// ttl.DefaultThrottle(TTL), the repository's default (a touch after
	// a tenth of the lifetime); ttl.TouchAfter(0) is what naive stores do.
	Touch ttl.Throttle

	// StrongReads makes every read strongly consistent (1 read unit per
	// started 4 KB instead of 0.5). Default false.
	StrongReads bool

	// Utilization is the share of provisioned capacity the workload is
	// expected to use on average, for the provisioned price: capacity is
	// provisioned at average need / Utilization. Default 0.7, DynamoDB
	// auto scaling's default target.
	Utilization float64

	// SampleRequests is how many requests the model simulates. It
	// simulates a sample of whole session lives with the workload's mix
	// and scales each kind of request up to the monthly count; a bigger
	// sample gives steadier figures and takes longer (roughly 10 to 50 µs
	// a request on one core). Default 20,000.
	SampleRequests int

	// Seed makes the sample reproducible: equal workloads with equal
	// seeds give equal results. Default 1.
	Seed uint64

	// Prices are the prices costs are computed at; each zero field means
	// its [DefaultPrices] value.
	Prices Prices
}

// README workload figures, the defaults of [Workload].
const (
	DefaultSessionBytes        = 2048
	DefaultRequestsPerMinute   = 100_000
	DefaultNewSessionsPerMonth = 1_000_000
	DefaultUpdatesPerMonth     = 2_000_000
	DefaultLiveSessions        = 8_000_000
)

// withDefaults returns w with every zero field set to its default.
func (w Workload) withDefaults() Workload {
	setInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setFloat := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	setInt(&w.SessionBytes, DefaultSessionBytes)
	setFloat(&w.RequestsPerMinute, DefaultRequestsPerMinute)
	setFloat(&w.NewSessionsPerMonth, DefaultNewSessionsPerMonth)
	setFloat(&w.UpdatesPerMonth, DefaultUpdatesPerMonth)
	setFloat(&w.LiveSessions, DefaultLiveSessions)
	setInt(&w.PageViewsPerVisit, 10)
	if w.ThinkTime == 0 {
		w.ThinkTime = 30 * time.Second
	}
	if w.Codec == nil {
		w.Codec = codec.Map[Session]()
	}
	if w.TTL == nil {
		w.TTL = ttl.Sliding(14 * 24 * time.Hour)
	}
	if w.Touch == nil {
		w.Touch = ttl.DefaultThrottle(w.TTL)
	}
	setFloat(&w.Utilization, 0.7)
	setInt(&w.SampleRequests, 20_000)
	if w.Seed == 0 {
		w.Seed = 1
	}
	def := DefaultPrices()
	setFloat(&w.Prices.OnDemandWritePerMillion, def.OnDemandWritePerMillion)
	setFloat(&w.Prices.OnDemandReadPerMillion, def.OnDemandReadPerMillion)
	setFloat(&w.Prices.ProvisionedWCUHour, def.ProvisionedWCUHour)
	setFloat(&w.Prices.ProvisionedRCUHour, def.ProvisionedRCUHour)
	setFloat(&w.Prices.StorageGBMonth, def.StorageGBMonth)
	return w
}

func (w Workload) validate() error {
	switch {
	case w.SessionBytes < 0 || w.PageViewsPerVisit < 0 || w.SampleRequests < 0:
		return fmt.Errorf("costmodel: negative size or count in workload")
	case w.RequestsPerMinute < 0 || w.NewSessionsPerMonth < 0 || w.UpdatesPerMonth < 0 || w.LiveSessions < 0:
		return fmt.Errorf("costmodel: negative rate in workload")
	case w.ThinkTime < 0:
		return fmt.Errorf("costmodel: negative think time")
	case w.Prices.OnDemandWritePerMillion < 0 || w.Prices.OnDemandReadPerMillion < 0 || w.Prices.ProvisionedWCUHour < 0 ||
		w.Prices.ProvisionedRCUHour < 0 || w.Prices.StorageGBMonth < 0:
		return fmt.Errorf("costmodel: negative price")
	case w.Utilization < 0 || w.Utilization > 1:
		return fmt.Errorf("costmodel: utilization %v is not in (0, 1]", w.Utilization)
	}
	d := w.withDefaults()
	if perMonth := d.RequestsPerMinute * 60 * HoursPerMonth; d.NewSessionsPerMonth+d.UpdatesPerMonth > perMonth {
		return fmt.Errorf("costmodel: %v logins and %v updates a month exceed the %v requests", d.NewSessionsPerMonth, d.UpdatesPerMonth, perMonth)
	}
	return ttlcheck.Check(d.TTL, d.Touch)
}

// CodecNames lists the names [CodecByName] knows, in the order the README
// compares them.
var CodecNames = []string{"map", "json", "msgpack", "compressed"}

// CodecByName returns the codec a command-line flag names: "map", "json",
// "msgpack" or "compressed" (msgpack compressed with zstd, the
// codec.Compressed default threshold).
func CodecByName(name string) (codec.Codec[Session], error) {
	switch strings.ToLower(name) {
	case "map":
		return codec.Map[Session](), nil
	case "json":
		return codec.JSON[Session](), nil
	case "msgpack":
		return codec.Msgpack[Session](), nil
	case "compressed":
		return codec.Compressed[Session](codec.Msgpack[Session]()), nil
	}
	return nil, fmt.Errorf("costmodel: unknown codec %q (want one of %s)", name, strings.Join(CodecNames, ", "))
}

// TouchLabel names a touch throttle for tables: "every read",
// "after 1h", "never".
func TouchLabel(t ttl.Throttle) string {
	if t == nil {
		return "after a tenth of the TTL" // the default
	}
	switch iv := t.Interval(); {
	case iv == 0:
		return "every read"
	case iv < 0:
		return "never"
	default:
		return "after " + shortDuration(iv)
	}
}

// TouchAPI names a touch throttle as Go code: "ttl.TouchAfter(0)",
// "ttl.TouchAfter(1h)", "ttl.Never()".
func TouchAPI(t ttl.Throttle) string {
	if t == nil {
		return "ttl.DefaultThrottle(TTL)" // the default
	}
	switch iv := t.Interval(); {
	case iv == 0:
		return "ttl.TouchAfter(0)"
	case iv < 0:
		return "ttl.Never()"
	default:
		return "ttl.TouchAfter(" + shortDuration(iv) + ")"
	}
}

// shortDuration writes 1h for 1h0m0s and 30m for 30m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Scenarios returns the README's comparison on base's workload: touch on
// every read, TouchAfter(1h), and the repository's default throttle for
// base's TTL (a tenth of it), each with every codec of [CodecNames].
func Scenarios(base Workload) []Workload {
	life := base.withDefaults().TTL
	var out []Workload
	for _, touch := range []ttl.Throttle{ttl.TouchAfter(0), ttl.TouchAfter(time.Hour), ttl.DefaultThrottle(life)} {
		for _, name := range CodecNames {
			w := base
			w.Touch = touch
			w.Codec, _ = CodecByName(name) // the names are ours
			out = append(out, w)
		}
	}
	return out
}
