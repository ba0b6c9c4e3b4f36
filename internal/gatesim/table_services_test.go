package gatesim_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go/internal/gatesim"
)

// What services that call back to back cost a batch beside them: a batch of
// 12 x the plan and 0 to 5 other clients, each making one call at a time
// for as long as the batch would run alone, from 2 skills in (83 ms later
// each run, GATESIM_RUNS runs, default 6). GATESIM_PLANS lists plan:skill
// rows (default 50:5s,50:1s); refusals take the first of GATESIM_RTTS. The
// batch's end against its ideal alone, the share of the plan's session time
// the services held meanwhile, the services' longest wait for a session,
// and the batch's refusals.
func TestTable_ServicesBesideABatch(t *testing.T) {
	table(t)
	runs := envCount(t, "GATESIM_RUNS", 6)
	fmt.Println("| plan | skill latency | services | batch's end vs its ideal alone | services' share of the plan | services' longest wait | batch's refusals: in all, most in a second |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- |")
	for _, row := range planRows(t, "50:5s,50:1s") {
		limit, latency := row.limit, row.latency
		p := gatesim.Plan{Limit: limit, Latency: latency, Jitter: latency / 5, RefusalRTT: rtts(t)[0]}
		calls := 12 * limit
		ideal := gatesim.Ideal(p, calls)
		for _, services := range []int{0, 1, 3, 5} {
			var ratios []float64
			var waits []time.Duration
			var refusals, perSecond []int
			held := 0.0 // services' session-seconds while the batch ran, over all runs
			for k := range runs {
				loads := []gatesim.Load{{Name: "batch", Calls: calls, Concurrency: 2 * limit}}
				from := 2*latency + time.Duration(137+83*k)*time.Millisecond
				for j := range services {
					loads = append(loads, gatesim.Load{Name: fmt.Sprint("service", j), Calls: int(ideal/latency) + 2, Concurrency: 1, Goroutines: true, Start: from + time.Duration(29*j)*time.Millisecond})
				}
				r := gatesim.Run(t, p, loads...)
				b := r.Loads[0]
				wait := time.Duration(0)
				for _, l := range r.Loads {
					if l.Failed > 0 {
						t.Errorf("%s: %d calls failed: %v", l.Name, l.Failed, l.FirstErr)
					}
					if l.Name == "batch" {
						continue
					}
					wait = max(wait, l.MaxWait())
					for _, s := range l.Sessions {
						if s.From < b.Finished {
							held += (min(s.To, b.Finished) - s.From).Seconds()
						}
					}
				}
				if r.Server.MaxConcurrent > limit {
					t.Errorf("%d at once on a plan of %d", r.Server.MaxConcurrent, limit)
				}
				ratios = append(ratios, b.Finished.Seconds()/ideal.Seconds())
				waits = append(waits, wait)
				refusals = append(refusals, b.Refusals)
				perSecond = append(perSecond, b.MostRefusalsPerSecond(0))
			}
			share := held / float64(runs) / (float64(limit) * ideal.Seconds())
			fmt.Printf("| %d | %v | %d | %.2fx to %.2fx | %.1f%% | %s | %d to %d, %d to %d |\n", limit, latency, services,
				slices.Min(ratios), slices.Max(ratios), 100*share, ms(slices.Max(waits)),
				slices.Min(refusals), slices.Max(refusals), slices.Min(perSecond), slices.Max(perSecond))
		}
	}
}
