package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The picture: one panel per run, each a plot of calls over time (the
// plan's limit, each client's learned limit and calls in flight) above a
// strip of the refusals (429s) per bucket.
const (
	width    = 960
	left     = 60
	right    = 200 // room for the legend
	plotH    = 220
	stripH   = 50
	panelGap = 70
	top      = 50
	bucket   = 100 * time.Millisecond
)

var colors = []string{"#1f6fb4", "#e8730c"}

func render(runs []run, planLimit int) string {
	var b strings.Builder
	panelH := plotH + stripH + panelGap
	h := top + len(runs)*panelH
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, h, width, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, h)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">The gate at work: a plan of %d sessions, 100 ms skills, every call sent at once</text>`+"\n", left, planLimit)
	var maxT time.Duration
	yMax := planLimit + 2
	for _, r := range runs {
		maxT = max(maxT, r.elapsed)
		for _, c := range append(r.clients, sumInFlight(r.clients)) {
			for _, s := range c {
				yMax = max(yMax, s.limit+1, s.inFlight+1)
			}
		}
	}
	maxT = time.Duration(math.Ceil(maxT.Seconds()*2)) * time.Second / 2
	for i, r := range runs {
		p := panel{b: &b, y0: top + i*panelH + 20, maxT: maxT, yMax: yMax}
		p.draw(r, planLimit)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// panel draws one run at vertical offset y0.
type panel struct {
	b    *strings.Builder
	y0   int
	maxT time.Duration
	yMax int
}

func (p panel) x(t time.Duration) float64 {
	return left + float64(width-left-right)*t.Seconds()/p.maxT.Seconds()
}

func (p panel) y(v float64) float64 { return float64(p.y0+plotH) - plotH*v/float64(p.yMax) }

func (p panel) draw(r run, planLimit int) {
	fmt.Fprintf(p.b, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", left, p.y0-8, r.title)
	p.axes()
	fmt.Fprintf(p.b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#444" stroke-dasharray="6 4"/>`+"\n", left, width-right, p.y(float64(planLimit)), p.y(float64(planLimit)))
	for i, c := range r.clients {
		p.area(c, colors[i])
		p.line(c, colors[i], func(s sample) int { return s.limit })
	}
	if len(r.clients) > 1 {
		p.line(sumInFlight(r.clients), "#222", func(s sample) int { return s.inFlight })
	}
	p.refusals(r)
	p.legend(r, planLimit)
}

func (p panel) axes() {
	b := p.b
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", left, p.y0, width-left-right, plotH)
	for v := 0; v <= p.yMax; v += 2 {
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`, left, width-right, p.y(float64(v)), p.y(float64(v)))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n", left-6, p.y(float64(v))+4, v)
	}
	fmt.Fprintf(b, `<text x="16" y="%d" transform="rotate(-90 16 %d)" text-anchor="middle">calls</text>`+"\n", p.y0+plotH/2, p.y0+plotH/2)
	base := p.y0 + plotH + stripH
	for t := time.Duration(0); t <= p.maxT; t += 500 * time.Millisecond {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#999"/>`, p.x(t), p.x(t), base, base+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%.1f s</text>`+"\n", p.x(t), base+16, t.Seconds())
	}
}

// line draws v of each sample as a step line.
func (p panel) line(c []sample, color string, v func(sample) int) {
	var pts strings.Builder
	for i, s := range c {
		if i > 0 {
			fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(s.t), p.y(float64(v(c[i-1]))))
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(s.t), p.y(float64(v(s))))
	}
	fmt.Fprintf(p.b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, pts.String())
}

// area fills the calls in flight, lightly, under the client's limit line.
func (p panel) area(c []sample, color string) {
	if len(c) == 0 {
		return
	}
	var pts strings.Builder
	fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(c[0].t), p.y(0))
	for i, s := range c {
		if i > 0 {
			fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(s.t), p.y(float64(c[i-1].inFlight)))
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", p.x(s.t), p.y(float64(s.inFlight)))
	}
	fmt.Fprintf(&pts, "%.1f,%.1f", p.x(c[len(c)-1].t), p.y(0))
	fmt.Fprintf(p.b, `<polygon fill="%s" fill-opacity="0.22" stroke="none" points="%s"/>`+"\n", color, pts.String())
}

func sumInFlight(clients [][]sample) []sample {
	n := len(clients[0])
	for _, c := range clients {
		n = min(n, len(c))
	}
	sum := make([]sample, n)
	for i := range n {
		sum[i].t = clients[0][i].t
		for _, c := range clients {
			sum[i].inFlight += c[i].inFlight
		}
	}
	return sum
}

// refusals draws, in the strip under the plot, each client's 429s per
// bucket as bars side by side.
func (p panel) refusals(r run) {
	base := float64(p.y0 + plotH + stripH)
	nb := int(p.maxT/bucket) + 1
	counts := make([][]int64, len(r.clients))
	most := int64(1)
	for i, c := range r.clients {
		counts[i] = make([]int64, nb)
		for j := 1; j < len(c); j++ {
			k := min(int(c[j].t/bucket), nb-1)
			counts[i][k] += c[j].refusalsSoFar - c[j-1].refusalsSoFar
			most = max(most, counts[i][k])
		}
	}
	bw := (p.x(bucket) - p.x(0)) / float64(len(r.clients))
	for i := range counts {
		for k, n := range counts[i] {
			if n == 0 {
				continue
			}
			hgt := float64(stripH-12) * float64(n) / float64(most)
			x := p.x(time.Duration(k)*bucket) + float64(i)*bw
			fmt.Fprintf(p.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, base-hgt, bw-1, hgt, colors[i])
		}
	}
	fmt.Fprintf(p.b, "\n"+`<text x="%d" y="%.1f" text-anchor="end" fill="#c00">429s</text>`, left-6, base-stripH/2+4)
	fmt.Fprintf(p.b, `<text x="%d" y="%.1f" fill="#555">refusals per 100 ms (tallest: %d)</text>`+"\n", width-right+8, base-stripH/2+4, most)
	fmt.Fprintf(p.b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#999"/>`+"\n", left, width-right, base, base)
}

func (p panel) legend(r run, planLimit int) {
	x, y := width-right+8, p.y0+14
	item := func(color, dash, fill, label string) {
		if fill != "" {
			fmt.Fprintf(p.b, `<rect x="%d" y="%d" width="22" height="10" fill="%s" fill-opacity="0.22"/>`, x, y-9, fill)
		} else {
			fmt.Fprintf(p.b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`, x, x+22, y-4, y-4, color, dash)
		}
		fmt.Fprintf(p.b, `<text x="%d" y="%d">%s</text>`+"\n", x+28, y, label)
		y += 18
	}
	item("#444", "6 4", "", fmt.Sprintf("the plan's limit (%d)", planLimit))
	for i := range r.clients {
		name := "the client"
		if len(r.clients) > 1 {
			name = fmt.Sprintf("client %d", i+1)
		}
		item(colors[i], "", "", name+": learned limit")
		item("", "", colors[i], name+": in flight")
	}
	if len(r.clients) > 1 {
		item("#222", "", "", "in flight, both")
	}
	y += 6
	fmt.Fprintf(p.b, `<text x="%d" y="%d" fill="#555">%.2f s, %d refusals,</text>`, x, y, r.elapsed.Seconds(), r.stats.Refusals)
	fmt.Fprintf(p.b, `<text x="%d" y="%d" fill="#555">at most %d sessions at once</text>`+"\n", x, y+16, r.stats.MaxConcurrent)
}
