package costmodel

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Chart colours, from ColorBrewer's Dark2, which stays legible in grey and
// to the common colour-blindnesses.
const (
	colourWrites  = "#d95f02"
	colourReads   = "#1b9e77"
	colourStorage = "#7570b3"
)

// WriteSVG draws results as a horizontal bar chart of the monthly
// on-demand cost, each bar split into writes, reads and storage and
// labelled with the on-demand and provisioned totals. Results are grouped
// by touch policy in the order given, as [Scenarios] returns them. The SVG
// is written by hand, with fixed precision, so the same results always
// give the same bytes and the file diffs cleanly.
func WriteSVG(out io.Writer, results []Result, title string) error {
	const (
		width     = 960
		left      = 130 // codec labels
		right     = 230 // total labels
		top       = 92  // title and legend
		barHeight = 22
		rowGap    = 10
		groupGap  = 34
		bottom    = 56
	)
	// Group consecutive results with the same touch label.
	type group struct {
		touch string
		rows  []Result
	}
	var groups []group
	for _, r := range results {
		if len(groups) == 0 || groups[len(groups)-1].touch != r.Touch {
			groups = append(groups, group{touch: r.Touch})
		}
		groups[len(groups)-1].rows = append(groups[len(groups)-1].rows, r)
	}
	maxCost := 0.0
	for _, r := range results {
		maxCost = math.Max(maxCost, r.OnDemand.Total)
	}
	scaleMax := niceCeil(maxCost)
	plotWidth := float64(width - left - right)
	x := func(v float64) float64 { return left + v/scaleMax*plotWidth }

	height := top + bottom
	for _, g := range groups {
		height += groupGap + len(g.rows)*(barHeight+rowGap)
	}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="28" font-size="17" font-weight="bold">%s</text>`+"\n", 16, html.EscapeString(title))
	if len(results) > 0 {
		w := results[0].Workload
		sub := fmt.Sprintf("%s sessions, %s requests/min, %s logins + %s updates/month, %s live sessions; %s reads; us-east-1 prices",
			humanBytes(w.SessionBytes), humanCount(w.RequestsPerMinute), humanCount(w.NewSessionsPerMonth),
			humanCount(w.UpdatesPerMonth), humanCount(w.LiveSessions), readKind(w))
		p(`<text x="16" y="48" fill="#444444">%s</text>`+"\n", html.EscapeString(sub))
	}
	// Legend.
	lx := 16
	for _, l := range []struct{ colour, name string }{{colourWrites, "writes"}, {colourReads, "reads"}, {colourStorage, "storage"}} {
		p(`<rect x="%d" y="62" width="12" height="12" fill="%s"/><text x="%d" y="73">%s</text>`+"\n", lx, l.colour, lx+17, l.name)
		lx += 90
	}
	p(`<text x="%d" y="73" fill="#444444">bar: on-demand $/month; right: on-demand · provisioned (%.0f%% utilization)</text>`+"\n",
		lx, utilizationOf(results)*100)

	// Grid lines and axis labels.
	plotTop, plotBottom := top, height-bottom
	for i := 0; i <= 5; i++ {
		v := scaleMax * float64(i) / 5
		gx := x(v)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#dddddd"/>`+"\n", gx, plotTop, gx, plotBottom)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#444444">$%s</text>`+"\n", gx, plotBottom+18, money0(v))
	}
	p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#444444">on-demand cost per month (US$)</text>`+"\n", x(scaleMax/2), plotBottom+40)

	y := top
	for _, g := range groups {
		y += groupGap
		p(`<text x="16" y="%d" font-weight="bold">touch %s (%s)</text>`+"\n", y-10, html.EscapeString(g.touch), html.EscapeString(TouchAPI(g.rows[0].Workload.Touch)))
		for _, r := range g.rows {
			c := r.OnDemand
			p(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+barHeight-6, html.EscapeString(r.Codec))
			bx := float64(left)
			for _, seg := range []struct {
				v      float64
				colour string
			}{{c.Writes, colourWrites}, {c.Reads, colourReads}, {c.Storage, colourStorage}} {
				w := seg.v / scaleMax * plotWidth
				p(`<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", bx, y, w, barHeight, seg.colour)
				bx += w
			}
			p(`<text x="%.1f" y="%d">$%s · $%s</text>`+"\n", bx+6, y+barHeight-6, money0(c.Total), money0(r.Provisioned.Total))
			y += barHeight + rowGap
		}
	}
	p("</svg>\n")
	_, err := io.WriteString(out, b.String())
	return err
}

func utilizationOf(results []Result) float64 {
	if len(results) == 0 {
		return 0
	}
	return results[0].Workload.Utilization
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten, for axis
// ends.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*pow >= v {
			return m * pow
		}
	}
	return 10 * pow
}

// money0 formats whole dollars: 5,752.
func money0(v float64) string {
	s := money(math.Round(v))
	return s[:len(s)-3]
}

func humanBytes(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KB", n/1024)
	}
	return fmt.Sprintf("%d-byte", n)
}

func humanCount(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e5) == 0:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), ".0") + "M"
	case v >= 1e3 && math.Mod(v, 100) == 0:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), ".0") + "k"
	}
	return fmt.Sprintf("%.0f", v)
}
