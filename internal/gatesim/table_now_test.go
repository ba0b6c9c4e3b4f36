package gatesim_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/internal/gatesim"
)

// Tables of scripts/gatesim.sh for this client only: they use API that
// older clients lack, so the script leaves this file out of the copy it
// measures BEFORE with.

// How soon two batches hold a third of the plan each, over many runs (skills
// taking up to a fifth more at random): GATESIM_RUNS runs (default 100) of
// each plan, in skill durations after the second batch starts; how often
// the shorter ended first, and the whole run against the ideal; refusals
// take the first round trip of GATESIM_RTTS (default 30 ms).
func TestTable_TwoBatchesTakeAThirdEach(t *testing.T) {
	table(t)
	runs := envCount(t, "GATESIM_RUNS", 100)
	fmt.Println("| plan | skill latency | runs | a third each after (skill durations): median, 99th percentile, most | shorter ended first | all vs ideal | the second's refusals: in all, most in a second |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- |")
	for _, sc := range []struct {
		limit   int
		latency time.Duration
	}{
		{10, 5 * time.Second}, {50, 5 * time.Second}, {50, time.Minute}, {250, 5 * time.Second},
		{10, 500 * time.Millisecond}, {50, 500 * time.Millisecond}, {250, 500 * time.Millisecond}, {250, time.Second},
		{250, 300 * time.Millisecond},
	} {
		p := gatesim.Plan{Limit: sc.limit, Latency: sc.latency, Jitter: sc.latency / 5, RefusalRTT: rtts(t)[0]}
		start := 3*sc.latency + 137*time.Millisecond
		var thirds, ratios []float64
		var refusals, perSecond []int
		first := 0
		for range runs {
			r := gatesim.Run(t, p,
				gatesim.Load{Name: "A", Calls: 10 * sc.limit},
				gatesim.Load{Name: "B", Calls: 2 * sc.limit, Start: start})
			a, b := r.Loads[0], r.Loads[1]
			third := r.ThirdEach(start)
			if third < 0 {
				third = r.Elapsed - start // never: as long as the run
			}
			if b.Finished < a.Finished {
				first++
			}
			thirds = append(thirds, third.Seconds()/sc.latency.Seconds())
			ratios = append(ratios, r.Elapsed.Seconds()/gatesim.Ideal(p, 12*sc.limit).Seconds())
			refusals = append(refusals, b.Refusals)
			perSecond = append(perSecond, b.MostRefusalsPerSecond(0))
		}
		slices.Sort(thirds)
		slices.Sort(ratios)
		n := len(thirds)
		fmt.Printf("| %d | %v | %d | %.2f, %.2f, %.2f | %d of %d | %.2fx to %.2fx | %d to %d, %d to %d |\n", sc.limit, sc.latency, runs, thirds[n/2], thirds[n*99/100], thirds[n-1], first, runs, ratios[0], ratios[n-1],
			slices.Min(refusals), slices.Max(refusals), slices.Min(perSecond), slices.Max(perSecond))
	}
}

// The plans of 500 and 1,000 sessions: a single call beside a batch (from
// three starting points), two batches, and what sharing costs a lone batch
// on the largest plan.
func TestTable_SharingLargePlans(t *testing.T) {
	table(t)
	fmt.Println("| plan | skill latency | single call's longest wait (bound: 2 x skill + 0.5 s) | two batches: a third each after (skill durations); shorter first; all vs ideal | alone: time with sharing / WithoutSharing |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, limit := range []int{500, 1000} {
		for _, latency := range []time.Duration{500 * time.Millisecond, 5 * time.Second, time.Minute} {
			p := gatesim.Plan{Limit: limit, Latency: latency, Jitter: latency / 5, RefusalRTT: 30 * time.Millisecond}
			var waits []string
			for k := range 3 {
				r := gatesim.Run(t, p,
					gatesim.Load{Name: "batch", Calls: 12 * limit, Concurrency: 2 * limit},
					gatesim.Load{Name: "service", Calls: 3, Concurrency: 1, Goroutines: true, Start: 3*latency + time.Duration(137+83*k)*time.Millisecond})
				waits = append(waits, ms(r.Loads[1].MaxWait()))
			}
			two, alone := "", ""
			if latency >= 5*time.Second {
				start := 3*latency + 137*time.Millisecond
				r := gatesim.Run(t, p,
					gatesim.Load{Name: "A", Calls: 10 * limit},
					gatesim.Load{Name: "B", Calls: 2 * limit, Start: start})
				a, b := r.Loads[0], r.Loads[1]
				third := r.ThirdEach(start)
				if third < 0 {
					third = r.Elapsed - start
				}
				two = fmt.Sprintf("%.2f; %v; %.2fx", third.Seconds()/latency.Seconds(), b.Finished < a.Finished, r.Elapsed.Seconds()/gatesim.Ideal(p, 12*limit).Seconds())
			}
			if limit == 1000 {
				shared := gatesim.Run(t, p, gatesim.Load{Calls: 10 * limit})
				whole := gatesim.Run(t, p, gatesim.Load{Calls: 10 * limit, Options: []browseruse.Option{browseruse.WithoutSharing()}})
				alone = fmt.Sprintf("%.3fx", shared.Elapsed.Seconds()/whole.Elapsed.Seconds())
			}
			fmt.Printf("| %d | %v | %s | %s | %s |\n", limit, latency, strings.Join(waits, ", "), two, alone)
		}
	}
}

// Every plan against every skill length (issue 20's goal): a lone batch of
// GATESIM_ROUNDS (default 4) calls per session of the plan, at twice the
// plan's concurrency, each refusal round trip of GATESIM_RTTS. Each cell is
// the time against the ideal and the refusals per call; a cell past the
// goal (1.10x, one refusal in eight calls) is marked.
func TestTable_PlanGrid(t *testing.T) {
	table(t)
	rounds := envCount(t, "GATESIM_ROUNDS", 4)
	queue := os.Getenv("GATESIM_QUEUE") != ""
	latencies := []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, time.Second, 5 * time.Second, time.Minute}
	for _, rtt := range rtts(t) {
		head := fmt.Sprintf("| plan (refusals %v, %d calls per session) |", rtt, rounds)
		rule := "| --- |"
		for _, l := range latencies {
			head += fmt.Sprintf(" %g s skills |", l.Seconds())
			rule += " --- |"
		}
		fmt.Println(head)
		fmt.Println(rule)
		for _, limit := range []int{1, 2, 4, 10, 50, 100, 250, 500, 1000} {
			row := fmt.Sprintf("| %d |", limit)
			for _, latency := range latencies {
				p := gatesim.Plan{Limit: limit, Latency: latency, RefusalRTT: rtt, Queue: queue}
				calls := rounds * limit
				r := gatesim.Run(t, p, gatesim.Load{Calls: calls, Concurrency: 2 * limit})
				l := r.Loads[0]
				if l.Failed > 0 || r.Server.MaxConcurrent > limit {
					t.Errorf("plan %d, %v skills: %d calls lost, %d at the server", limit, latency, l.Failed, r.Server.MaxConcurrent)
				}
				ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, calls).Seconds()
				mark := ""
				if ratio > 1.10 || 8*l.Refusals > calls {
					mark = " *"
				}
				row += fmt.Sprintf(" %.2fx, %d/%d%s |", ratio, l.Refusals, calls, mark)
			}
			fmt.Println(row)
		}
		fmt.Println()
	}
}

// Two batches (10 x and 2 x the plan) started GATESIM_RUNS times (default
// 20), the second 3 skills in plus 137 ms and 71 ms more each run, modulo a
// second (later, a batch of short skills would start near the first's
// end), so that it meets the first at many points of the half-second grid
// and of its calls' ends. GATESIM_PLANS lists plan:skill rows (default
// 10:500ms,50:500ms,250:500ms,250:1s,250:5s), each for every round trip of
// GATESIM_RTTS; GATESIM_JITTER is how much longer at random a skill may
// take (default a fifth of it) and GATESIM_NETWORK the time each way over
// a network (gatesim.Plan.Network; default none).
func TestTable_TwoBatchesFromManyStarts(t *testing.T) {
	table(t)
	runs := envCount(t, "GATESIM_RUNS", 20)
	jitter, network := envDuration(t, "GATESIM_JITTER", -1), envDuration(t, "GATESIM_NETWORK", 0)
	fmt.Println("| refusals | plan | skill latency | runs | a third each after (skill durations): median, 90th percentile, most | never | within 4, within 8 | shorter ended first | all vs ideal | the second's refusals: in all, most in a second | the first's from the second's start |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, rtt := range rtts(t) {
		for _, row := range planRows(t, "10:500ms,50:500ms,250:500ms,250:1s,250:5s") {
			limit, latency := row.limit, row.latency
			p := gatesim.Plan{Limit: limit, Latency: latency, Jitter: latency / 5, RefusalRTT: rtt, Network: network}
			if jitter >= 0 {
				p.Jitter = jitter
			}
			var thirds, ratios []float64
			var refusals, perSecond, firsts, firstPerSecond []int
			never, within4, within8, first := 0, 0, 0, 0
			for k := range runs {
				start := 3*latency + time.Duration(137+71*k%1000)*time.Millisecond
				r := gatesim.Run(t, p,
					gatesim.Load{Name: "A", Calls: 10 * limit},
					gatesim.Load{Name: "B", Calls: 2 * limit, Start: start})
				a, b := r.Loads[0], r.Loads[1]
				third := r.ThirdEach(start)
				switch {
				case third < 0:
					never++
					third = r.Elapsed - start
				case third <= 4*latency:
					within4++
					fallthrough
				case third <= 8*latency:
					within8++
				}
				if b.Finished < a.Finished {
					first++
				}
				thirds = append(thirds, third.Seconds()/latency.Seconds())
				ratios = append(ratios, r.Elapsed.Seconds()/gatesim.Ideal(p, 12*limit).Seconds())
				refusals = append(refusals, b.Refusals)
				perSecond = append(perSecond, b.MostRefusalsPerSecond(0))
				firsts = append(firsts, len(slices.DeleteFunc(slices.Clone(a.RefusedAt), func(at time.Duration) bool { return at < start })))
				firstPerSecond = append(firstPerSecond, a.MostRefusalsPerSecond(start))
			}
			slices.Sort(thirds)
			slices.Sort(ratios)
			n := len(thirds)
			fmt.Printf("| %v | %d | %v | %d | %.2f, %.2f, %.2f | %d | %d, %d | %d | %.2fx to %.2fx | %d to %d, %d to %d | %d to %d, %d to %d |\n", rtt, limit, latency, runs,
				thirds[n/2], thirds[n*9/10], thirds[n-1], never, within4, within8, first, ratios[0], ratios[n-1],
				slices.Min(refusals), slices.Max(refusals), slices.Min(perSecond), slices.Max(perSecond),
				slices.Min(firsts), slices.Max(firsts), slices.Min(firstPerSecond), slices.Max(firstPerSecond))
		}
	}
}

// envDuration is the duration the environment variable name holds, or def.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		t.Fatalf("%s=%q: want a duration (150ms)", name, s)
	}
	return d
}

// What sharing costs a lone batch: its time against WithoutSharing, ten
// calls per session of the plan, skills taking up to a fifth more at
// random, GATESIM_RUNS runs of each (default 8): mean and range.
func TestTable_SharingCostsALoneBatch(t *testing.T) {
	table(t)
	runs := envCount(t, "GATESIM_RUNS", 8)
	fmt.Println("| plan | skill latency | runs | time with sharing / WithoutSharing: mean, least, most |")
	fmt.Println("| --- | --- | --- | --- |")
	for _, row := range planRows(t, "10:500ms,10:1s,10:5s,50:500ms,50:1s,50:5s,250:1s,250:5s") {
		p := gatesim.Plan{Limit: row.limit, Latency: row.latency, Jitter: row.latency / 5, RefusalRTT: rtts(t)[0]}
		var ratios []float64
		for range runs {
			shared := gatesim.Run(t, p, gatesim.Load{Calls: 10 * row.limit})
			whole := gatesim.Run(t, p, gatesim.Load{Calls: 10 * row.limit, Options: []browseruse.Option{browseruse.WithoutSharing()}})
			ratios = append(ratios, shared.Elapsed.Seconds()/whole.Elapsed.Seconds())
		}
		fmt.Printf("| %d | %v | %d | %s |\n", row.limit, row.latency, runs, meanLeastMost(ratios))
	}
}

// A batch capped at or below the plan (Concurrency; "cap = plan, named" is
// WithMaxConcurrency too): a single call's longest wait beside it, from
// GATESIM_STARTS starting points (default 10) when the cap is the plan,
// and what leaving sessions free costs it alone, GATESIM_RUNS runs
// (default 8) of GATESIM_PER calls per session (default 10), against
// WithoutSharing. Refusals take the first round trip of GATESIM_RTTS.
func TestTable_CappedBatches(t *testing.T) {
	table(t)
	starts := envCount(t, "GATESIM_STARTS", 10)
	runs := envCount(t, "GATESIM_RUNS", 8)
	per := envCount(t, "GATESIM_PER", 10)
	fmt.Println("| plan | cap | skill latency | single call's longest wait: median, most; past 2 x skill + 0.5 s | alone: time with sharing / WithoutSharing: mean, least, most |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, sc := range []struct {
		limit, cap int
		named      bool
		latency    time.Duration
	}{
		{10, 10, false, 500 * time.Millisecond}, {10, 10, true, 500 * time.Millisecond}, {10, 10, false, time.Second}, {10, 10, false, 5 * time.Second},
		{50, 50, false, 500 * time.Millisecond}, {50, 50, true, 5 * time.Second}, {250, 250, false, time.Second},
		{50, 10, false, 500 * time.Millisecond}, {50, 10, false, 5 * time.Second}, {50, 20, false, time.Second}, {250, 100, false, time.Second},
	} {
		p := gatesim.Plan{Limit: sc.limit, Latency: sc.latency, Jitter: sc.latency / 5, RefusalRTT: rtts(t)[0]}
		var opts []browseruse.Option
		capName := fmt.Sprint(sc.cap)
		if sc.named {
			opts, capName = []browseruse.Option{browseruse.WithMaxConcurrency(sc.cap)}, capName+", named"
		}
		single := "-"
		if sc.cap == sc.limit {
			bound := 2*sc.latency + 500*time.Millisecond
			var waits []time.Duration
			over := 0
			for k := range starts {
				r := gatesim.Run(t, p,
					gatesim.Load{Name: "batch", Calls: 12 * sc.limit, Concurrency: sc.cap, Options: opts},
					gatesim.Load{Name: "service", Calls: 3, Concurrency: 1, Goroutines: true, Start: sc.latency + time.Duration(100+293*k)*time.Millisecond})
				if r.Loads[0].Failed+r.Loads[1].Failed > 0 || r.Server.MaxConcurrent > sc.limit {
					t.Fatalf("%d and %d failed, %d at once", r.Loads[0].Failed, r.Loads[1].Failed, r.Server.MaxConcurrent)
				}
				if w := r.Loads[1].MaxWait(); w > bound {
					over++
				}
				waits = append(waits, r.Loads[1].MaxWait())
			}
			slices.Sort(waits)
			single = fmt.Sprintf("%s, %s; %d of %d", ms(waits[len(waits)/2]), ms(waits[len(waits)-1]), over, starts)
		}
		var ratios []float64
		for range runs {
			load := gatesim.Load{Calls: per * sc.cap, Concurrency: sc.cap, Options: opts}
			shared := gatesim.Run(t, p, load)
			load.Options = append(slices.Clip(opts), browseruse.WithoutSharing())
			whole := gatesim.Run(t, p, load)
			ratios = append(ratios, shared.Elapsed.Seconds()/whole.Elapsed.Seconds())
		}
		fmt.Printf("| %d | %s | %v | %s | %s |\n", sc.limit, capName, sc.latency, single, meanLeastMost(ratios))
	}
}

// A single call beside a batch capped at the plan, from 12 starting points
// over the batch's first skill and 3 s: plans 10 and 50, skills of 0.5 s
// to 5 s, of even length and +20%, refusals of 30, 100 and 300 ms; the
// rows with a wait past 2 x skill + 0.5 s, and how many runs in all.
func TestTable_CappedBatchSweep(t *testing.T) {
	table(t)
	type res struct {
		key        string
		over, n    int
		worst, bnd time.Duration
	}
	var mu sync.Mutex
	var all []res
	var wg sync.WaitGroup
	for _, limit := range []int{10, 50} {
		for _, skill := range []time.Duration{500 * time.Millisecond, 700 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second} {
			for _, rtt := range []time.Duration{30 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond} {
				for _, jit := range []bool{false, true} {
					wg.Go(func() {
						p := gatesim.Plan{Limit: limit, Latency: skill, RefusalRTT: rtt}
						if jit {
							p.Jitter = skill / 5
						}
						bound := 2*skill + 500*time.Millisecond
						r0 := res{key: fmt.Sprintf("%d/%v/%v/%v", limit, skill, rtt, jit), bnd: bound}
						for k := range 12 {
							start := time.Duration(k) * (skill + 3*time.Second) / 12
							r := gatesim.Run(t, p, gatesim.Load{Name: "batch", Calls: 12 * limit, Concurrency: limit},
								gatesim.Load{Name: "service", Calls: 3, Concurrency: 1, Goroutines: true, Start: start})
							if r.Loads[0].Failed+r.Loads[1].Failed > 0 || r.Server.MaxConcurrent > limit || r.Server.Executions != 12*limit+3 {
								t.Errorf("%s: lost or over", r0.key)
							}
							w := r.Loads[1].MaxWait()
							r0.n++
							if w > bound {
								r0.over++
							}
							r0.worst = max(r0.worst, w)
						}
						mu.Lock()
						all = append(all, r0)
						mu.Unlock()
					})
				}
			}
		}
	}
	wg.Wait()
	fmt.Println("| plan/skill/refusal/+20% | past the bound | longest wait | bound |")
	fmt.Println("| --- | --- | --- | --- |")
	over := 0
	for _, r := range all {
		over += r.over
		if r.over > 0 {
			fmt.Printf("| %s | %d of %d | %v | %v |\n", r.key, r.over, r.n, r.worst, r.bnd)
		}
	}
	fmt.Printf("past the bound in %d of %d runs\n", over, len(all)*12)
}

// A default batch started beside a batch capped at the plan (6 x the plan
// each, the second from 3 skills in): how soon each holds a third, in skill
// durations after the second starts (-1: never), and both against the
// ideal for the total, GATESIM_RUNS runs (default 4).
func TestTable_ASecondBatchBesideACappedBatch(t *testing.T) {
	table(t)
	runs := envCount(t, "GATESIM_RUNS", 4)
	fmt.Println("| plan | skill latency | each run: all vs ideal / a third each after (skill durations) |")
	fmt.Println("| --- | --- | --- |")
	for _, row := range planRows(t, "10:1s,10:2s,10:5s,10:1m,50:1s,50:2s,50:5s,50:1m") {
		p := gatesim.Plan{Limit: row.limit, Latency: row.latency, Jitter: row.latency / 5, RefusalRTT: rtts(t)[0]}
		start := 3*row.latency + 137*time.Millisecond
		var cells []string
		for range runs {
			r := gatesim.Run(t, p,
				gatesim.Load{Name: "A", Calls: 6 * row.limit, Concurrency: row.limit},
				gatesim.Load{Name: "B", Calls: 6 * row.limit, Start: start})
			if r.Loads[0].Failed+r.Loads[1].Failed > 0 || r.Server.MaxConcurrent > row.limit {
				t.Fatalf("%d and %d failed, %d at once", r.Loads[0].Failed, r.Loads[1].Failed, r.Server.MaxConcurrent)
			}
			third := -1.0
			if d := r.ThirdEach(start); d >= 0 {
				third = d.Seconds() / row.latency.Seconds()
			}
			cells = append(cells, fmt.Sprintf("%.2fx / %.1f", r.Elapsed.Seconds()/gatesim.Ideal(p, 12*row.limit).Seconds(), third))
		}
		fmt.Printf("| %d | %v | %s |\n", row.limit, row.latency, strings.Join(cells, ", "))
	}
}

// meanLeastMost prints ratios of times as a table cell: mean, least, most.
func meanLeastMost(ratios []float64) string {
	sum := 0.0
	for _, r := range ratios {
		sum += r
	}
	return fmt.Sprintf("%.3fx, %.3fx, %.3fx", sum/float64(len(ratios)), slices.Min(ratios), slices.Max(ratios))
}
