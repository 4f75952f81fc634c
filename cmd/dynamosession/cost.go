package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dynamosession/dynamosession/costmodel"
	"github.com/dynamosession/dynamosession/ttl"
)

func runCost(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "cost", "[flags]", `
Print what a session workload costs in DynamoDB capacity and dollars,
measured by running a sample of it through a real repository on the
in-memory DynamoDB (package costmodel) and scaling it to a month. With
neither -codec nor -touch it compares every codec with touching on every
read and with -touch 1h, as a Markdown table. Prices: `+costmodel.PricesAsOf+`.
`)
	var (
		w         costmodel.Workload
		codecName = fs.String("codec", "", "codec: "+strings.Join(costmodel.CodecNames, ", ")+" (default: compare all)")
		touch     = fs.String("touch", "", `touch policy: "always", "never" or an interval such as 1h (default: compare always and 1h)`)
		life      = fs.Duration("ttl", 14*24*time.Hour, "sliding session lifetime")
	)
	fs.IntVar(&w.SessionBytes, "session-bytes", costmodel.DefaultSessionBytes, "session size, as JSON bytes")
	fs.Float64Var(&w.RequestsPerMinute, "rpm", costmodel.DefaultRequestsPerMinute, "requests per minute, all kinds")
	fs.Float64Var(&w.NewSessionsPerMonth, "logins", costmodel.DefaultNewSessionsPerMonth, "new sessions (logins) per month")
	fs.Float64Var(&w.UpdatesPerMonth, "updates", costmodel.DefaultUpdatesPerMonth, "requests that change the session, per month")
	fs.Float64Var(&w.LiveSessions, "live", costmodel.DefaultLiveSessions, "sessions stored at any time")
	fs.BoolVar(&w.StrongReads, "strong", false, "strongly consistent reads")
	fs.IntVar(&w.SampleRequests, "sample", 20_000, "requests to simulate; more is steadier and slower")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	w.TTL = ttl.Sliding(*life)
	if *codecName == "" && *touch == "" {
		results, err := costmodel.RunAll(ctx, costmodel.Scenarios(w))
		if err != nil {
			return err
		}
		return costmodel.WriteTable(e.stdout, results)
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
	_, err = fmt.Fprint(e.stdout, r)
	return err
}

func parseTouch(s string) (ttl.Throttle, error) {
	t, err := ttl.ParseThrottle(s)
	if err != nil {
		return nil, usagef("-touch: %v", err)
	}
	return t, nil
}
