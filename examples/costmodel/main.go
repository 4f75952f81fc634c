// Command costmodel prints what a session workload costs in DynamoDB
// capacity and dollars, measured by running it through a real repository
// on the embedded in-memory DynamoDB (package fake), on a simulated clock.
//
// With no flags it compares the README's workload (2 KB sessions, 100,000
// requests a minute, 1 million logins and 2 million updates a month,
// 8 million live sessions) across touch policies and codecs, as a
// Markdown table:
//
//	go run ./examples/costmodel
//	go run ./examples/costmodel -svg docs/cost.svg   # and draw the chart
//
// Name a codec or a touch policy to model one workload in detail:
//
//	go run ./examples/costmodel -codec msgpack -touch 1h -rpm 5000
//
// The model simulates a sample of traffic with the workload's mix (see
// -sample) and scales it up; prices default to us-east-1 list prices.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/dynamosession/dynamosession/costmodel"
	"github.com/dynamosession/dynamosession/ttl"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("costmodel: ")
	var (
		w          costmodel.Workload
		codecName  = flag.String("codec", "", "codec: map, json, msgpack or compressed (default: compare all)")
		touch      = flag.String("touch", "", `touch policy: "always", "never" or an interval such as 1h (default: compare always and 1h)`)
		ttlFlag    = flag.Duration("ttl", 14*24*time.Hour, "sliding session lifetime")
		svgPath    = flag.String("svg", "", "write the comparison chart as SVG to this file")
		def        = costmodel.DefaultPrices()
		p          costmodel.Prices
		compareAll bool
	)
	flag.IntVar(&w.SessionBytes, "session-bytes", costmodel.DefaultSessionBytes, "session size, as JSON bytes")
	flag.Float64Var(&w.RequestsPerMinute, "rpm", costmodel.DefaultRequestsPerMinute, "requests per minute, all kinds")
	flag.Float64Var(&w.NewSessionsPerMonth, "logins", costmodel.DefaultNewSessionsPerMonth, "new sessions (logins) per month")
	flag.Float64Var(&w.UpdatesPerMonth, "updates", costmodel.DefaultUpdatesPerMonth, "requests that change the session, per month")
	flag.Float64Var(&w.LiveSessions, "live", costmodel.DefaultLiveSessions, "sessions stored at any time")
	flag.IntVar(&w.PageViewsPerVisit, "visit", 10, "requests per visit")
	flag.DurationVar(&w.ThinkTime, "think", 30*time.Second, "time between requests of a visit")
	flag.BoolVar(&w.StrongReads, "strong", false, "strongly consistent reads")
	flag.Float64Var(&w.Utilization, "utilization", 0.7, "provisioned capacity utilization, (0, 1]")
	flag.IntVar(&w.SampleRequests, "sample", 20_000, "requests to simulate")
	flag.Uint64Var(&w.Seed, "seed", 1, "random seed of the sample")
	flag.Float64Var(&p.OnDemandWritePerMillion, "write-price", def.OnDemandWritePerMillion, "on-demand $ per million write request units")
	flag.Float64Var(&p.OnDemandReadPerMillion, "read-price", def.OnDemandReadPerMillion, "on-demand $ per million read request units")
	flag.Float64Var(&p.ProvisionedWCUHour, "wcu-hour", def.ProvisionedWCUHour, "provisioned $ per WCU-hour")
	flag.Float64Var(&p.ProvisionedRCUHour, "rcu-hour", def.ProvisionedRCUHour, "provisioned $ per RCU-hour")
	flag.Float64Var(&p.StorageGBMonth, "storage-price", def.StorageGBMonth, "$ per GB-month stored")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: costmodel [flags]\n\nDefault prices: %s.\n\n", costmodel.PricesAsOf)
		flag.PrintDefaults()
	}
	flag.Parse()
	w.Prices = p
	w.TTL = ttl.Sliding(*ttlFlag)
	compareAll = *codecName == "" && *touch == ""

	ctx := context.Background()
	if compareAll {
		start := time.Now()
		results, err := costmodel.RunAll(ctx, costmodel.Scenarios(w))
		if err != nil {
			log.Fatal(err)
		}
		r0 := results[0]
		fmt.Printf("Simulated %s per row on the in-memory DynamoDB, scaled to %.3g requests a month, in %v.\n",
			r0.SampleDescription(), r0.RequestsPerMonth, time.Since(start).Round(time.Millisecond))
		fmt.Printf("Prices: %s.\n\n", costmodel.PricesAsOf)
		if err := costmodel.WriteTable(os.Stdout, results); err != nil {
			log.Fatal(err)
		}
		if *svgPath != "" {
			writeSVG(*svgPath, results)
		}
		return
	}

	var err error
	if *codecName == "" {
		*codecName = "map"
	}
	if w.Codec, err = costmodel.CodecByName(*codecName); err != nil {
		log.Fatal(err)
	}
	if w.Touch, err = parseTouch(*touch); err != nil {
		log.Fatal(err)
	}
	r, err := costmodel.Run(ctx, w)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(r)
	if *svgPath != "" {
		writeSVG(*svgPath, []costmodel.Result{r})
	}
}

func parseTouch(s string) (ttl.Throttle, error) {
	t, err := ttl.ParseThrottle(s)
	if err != nil {
		return nil, fmt.Errorf("-touch: %w", err)
	}
	return t, nil
}

func writeSVG(path string, results []costmodel.Result) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := costmodel.WriteSVG(f, results, "What sessions cost in DynamoDB: touch policy × codec"); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", path)
}
