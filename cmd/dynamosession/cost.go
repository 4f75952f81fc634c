package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/costmodel"
	"github.com/dynamosession/dynamosession/ttl"
)

func runCost(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "cost", "[flags]", `
Print what a session workload costs in DynamoDB capacity and dollars,
measured by running a sample of it through a real repository on the
in-memory DynamoDB, on a simulated clock, and scaling it to a month. The
defaults are the README's workload (2 KB sessions, 100,000 requests a
minute, 1 million logins and 2 million updates a month, 8 million live
sessions). With neither -codec nor -touch it compares every codec with
touching on every read, with -touch 1h and with the repository's default
(a touch after a tenth of -ttl), as a Markdown table; -svg draws the
comparison as a chart (the README's, with -svg docs/cost.svg).
Prices: `+costmodel.PricesAsOf+`.
`)
	var (
		w         costmodel.Workload
		def       = costmodel.DefaultPrices()
		codecName = fs.String("codec", "", "codec: "+strings.Join(costmodel.CodecNames, ", ")+" (default: compare all)")
		touch     = fs.String("touch", "", `touch policy: "always", "never" or an interval such as 1h (default: compare always, 1h and the repository default; with -codec, the repository default: a tenth of -ttl)`)
		life      = fs.Duration("ttl", 14*24*time.Hour, "sliding session lifetime")
		svgPath   = fs.String("svg", "", "write the chart as SVG to this file")
	)
	fs.IntVar(&w.SessionBytes, "session-bytes", costmodel.DefaultSessionBytes, "session size, as JSON bytes")
	fs.Float64Var(&w.RequestsPerMinute, "rpm", costmodel.DefaultRequestsPerMinute, "requests per minute, all kinds")
	fs.Float64Var(&w.NewSessionsPerMonth, "logins", costmodel.DefaultNewSessionsPerMonth, "new sessions (logins) per month")
	fs.Float64Var(&w.UpdatesPerMonth, "updates", costmodel.DefaultUpdatesPerMonth, "requests that change the session, per month")
	fs.Float64Var(&w.LiveSessions, "live", costmodel.DefaultLiveSessions, "sessions stored at any time")
	fs.IntVar(&w.PageViewsPerVisit, "visit", 10, "requests per visit")
	fs.DurationVar(&w.ThinkTime, "think", 30*time.Second, "time between requests of a visit")
	fs.BoolVar(&w.StrongReads, "strong", false, "strongly consistent reads")
	fs.Float64Var(&w.Utilization, "utilization", 0.7, "provisioned capacity utilization, (0, 1]")
	fs.IntVar(&w.SampleRequests, "sample", 20_000, "requests to simulate; more is steadier and slower")
	fs.Uint64Var(&w.Seed, "seed", 1, "random seed of the sample")
	fs.Float64Var(&w.Prices.OnDemandWritePerMillion, "write-price", def.OnDemandWritePerMillion, "on-demand $ per million write request units")
	fs.Float64Var(&w.Prices.OnDemandReadPerMillion, "read-price", def.OnDemandReadPerMillion, "on-demand $ per million read request units")
	fs.Float64Var(&w.Prices.ProvisionedWCUHour, "wcu-hour", def.ProvisionedWCUHour, "provisioned $ per WCU-hour")
	fs.Float64Var(&w.Prices.ProvisionedRCUHour, "rcu-hour", def.ProvisionedRCUHour, "provisioned $ per RCU-hour")
	fs.Float64Var(&w.Prices.StorageGBMonth, "storage-price", def.StorageGBMonth, "$ per GB-month stored")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	w.TTL = ttl.Sliding(*life)
	if *codecName == "" && *touch == "" {
		start := time.Now()
		results, err := costmodel.RunAll(ctx, costmodel.Scenarios(w))
		if err != nil {
			return err
		}
		r0 := results[0]
		fmt.Fprintf(e.stdout, "Simulated %s per row on the in-memory DynamoDB, scaled to %.3g requests a month, in %v.\nPrices: %s.\n\n",
			r0.SampleDescription(), r0.RequestsPerMonth, time.Since(start).Round(time.Millisecond), costmodel.PricesAsOf)
		if err := costmodel.WriteTable(e.stdout, results); err != nil {
			return err
		}
		return writeSVG(e, *svgPath, results)
	}
	if *codecName == "" {
		*codecName = "map"
	}
	var err error
	if w.Codec, err = costmodel.CodecByName(*codecName); err != nil {
		return usageError{err.Error()}
	}
	if w.Touch, err = parseTouch(*touch); err != nil {
		return err
	}
	r, err := costmodel.Run(ctx, w)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprint(e.stdout, r); err != nil {
		return err
	}
	return writeSVG(e, *svgPath, []costmodel.Result{r})
}

// parseTouch reads the -touch flag: "always", "never", or the interval of
// ttl.TouchAfter as a duration ("1h", "30m"). The empty string returns a
// nil Throttle, which leaves the choice to the repository's default,
// ttl.DefaultThrottle of the TTL.
func parseTouch(s string) (ttl.Throttle, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, nil
	case "always":
		return ttl.TouchAfter(0), nil
	case "never":
		return ttl.Never(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return nil, usagef(`-touch: ttl: touch policy %q: want "always", "never" or a duration such as 1h`, s)
	}
	return ttl.TouchAfter(d), nil
}

// writeSVG draws results as a chart into the file at path, unless path is
// empty.
func writeSVG(e *env, path string, results []costmodel.Result) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-svg: %w", err)
	}
	err = costmodel.WriteSVG(f, results, "What sessions cost in DynamoDB: touch policy × codec")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("-svg: writing %s: %w", path, err)
	}
	fmt.Fprintf(e.stderr, "wrote %s\n", path)
	return nil
}
