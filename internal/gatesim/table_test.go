package gatesim_test

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go/internal/gatesim"
)

// The tables of scripts/gatesim.sh: GATESIM_TABLE=1 go test -run Table -v.
// Not a test of anything: the tests that assert are in the root package.

func table(t *testing.T) {
	if os.Getenv("GATESIM_TABLE") == "" {
		t.Skip("GATESIM_TABLE=1 prints the table")
	}
}

// rtts are the refusal round trips of GATESIM_RTTS (default 30 ms).
func rtts(t *testing.T) []time.Duration {
	if os.Getenv("GATESIM_RTTS") == "" {
		return []time.Duration{30 * time.Millisecond}
	}
	var ds []time.Duration
	for _, f := range strings.Split(os.Getenv("GATESIM_RTTS"), ",") {
		d, err := time.ParseDuration(f)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

// envCount is the count the environment variable name holds, or def.
func envCount(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n := 0
	if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
		t.Fatalf("%s=%q: want a count of at least 1", name, s)
	}
	return n
}

// planRow is one plan:skill row of GATESIM_PLANS.
type planRow struct {
	limit   int
	latency time.Duration
}

// planRows are the rows of GATESIM_PLANS, or of def.
func planRows(t *testing.T, def string) []planRow {
	var rows []planRow
	for _, f := range strings.Split(cmp.Or(os.Getenv("GATESIM_PLANS"), def), ",") {
		plan, skill, _ := strings.Cut(f, ":")
		limit, err1 := strconv.Atoi(plan)
		latency, err2 := time.ParseDuration(skill)
		if err1 != nil || err2 != nil || limit < 1 || latency <= 0 {
			t.Fatalf("GATESIM_PLANS: %q is not plan:skill (250:1s)", f)
		}
		rows = append(rows, planRow{limit, latency})
	}
	return rows
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func TestTable_WholePlan(t *testing.T) {
	table(t)
	fmt.Println("| plan limit | skill latency | refusal RTT | calls | batch concurrency | time vs ideal | refusals | lost | most at the server |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, rtt := range rtts(t) {
		for _, row := range []struct {
			limit    int
			latency  time.Duration
			calls, c int
		}{
			{10, 100 * time.Millisecond, 256, 64},
			{50, 5 * time.Second, 100, 100},
			{100, time.Second, 400, 100},
			{250, 2 * time.Second, 1000, 500},
			{1000, 2 * time.Second, 4000, 2000},
		} {
			p := gatesim.Plan{Limit: row.limit, Latency: row.latency, RefusalRTT: rtt, Queue: os.Getenv("GATESIM_QUEUE") != ""}
			c := row.c
			if os.Getenv("GATESIM_DEFAULT_CONCURRENCY") != "" {
				c = 0 // BatchOptions' default: as many as the gate lets run
			}
			r := gatesim.Run(t, p, gatesim.Load{Calls: row.calls, Concurrency: c})
			l := r.Loads[0]
			fmt.Printf("| %d | %v | %v | %d | %d | %.2fx | %d | %d | %d |\n", row.limit, row.latency, rtt, row.calls, c,
				r.Elapsed.Seconds()/gatesim.Ideal(p, row.calls).Seconds(), l.Refusals, l.Failed, r.Server.MaxConcurrent)
		}
	}
}

func TestTable_Sharing(t *testing.T) {
	table(t)
	fmt.Println("| scenario | measure | value |")
	fmt.Println("| --- | --- | --- |")
	// A batch holds the plan; from 2 s, a service makes single calls one
	// after another.
	{
		p := gatesim.Plan{Limit: 10, Latency: 500 * time.Millisecond, RefusalRTT: 30 * time.Millisecond}
		r := gatesim.Run(t, p,
			gatesim.Load{Name: "A", Calls: 200, Concurrency: 20},
			gatesim.Load{Name: "B", Calls: 5, Concurrency: 1, Goroutines: true, Start: 2100 * time.Millisecond})
		a, b := r.Loads[0], r.Loads[1]
		fmt.Printf("| plan 10, 0.5 s skills: batch A of 200, single calls of B from 2 s | B's first wait, longest wait; B's refusals; A done | %s, %s; %d; %s (%.2fx) |\n",
			ms(b.Waits[0]), ms(b.MaxWait()), b.Refusals, ms(a.Finished), a.Finished.Seconds()/gatesim.Ideal(p, 205).Seconds())
	}
	for _, sc := range []struct {
		limit          int
		latency, start time.Duration
		a, b           int
	}{
		{10, 500 * time.Millisecond, 2100 * time.Millisecond, 200, 100},
		{50, time.Second, 3100 * time.Millisecond, 500, 100},
	} {
		p := gatesim.Plan{Limit: sc.limit, Latency: sc.latency, RefusalRTT: 30 * time.Millisecond}
		r := gatesim.Run(t, p,
			gatesim.Load{Name: "A", Calls: sc.a, Concurrency: 2 * sc.limit},
			gatesim.Load{Name: "B", Calls: sc.b, Concurrency: 2 * sc.limit, Start: sc.start})
		a, b := r.Loads[0], r.Loads[1]
		third := time.Duration(-1)
		for at := sc.start; at < r.Elapsed; at += 10 * time.Millisecond {
			if 3*b.HeldAt(at) >= sc.limit && 3*a.HeldAt(at) >= sc.limit {
				third = at - sc.start
				break
			}
		}
		fmt.Printf("| plan %d, %v skills: batch A of %d, batch B of %d from %v | B's first result; both hold a third after; B done; A done; all vs ideal; refusals A, B | %s; %s; %s; %s; %.2fx; %d, %d |\n",
			sc.limit, sc.latency, sc.a, sc.b, sc.start, ms(b.FirstSession()+sc.latency), ms(third), ms(b.Finished), ms(a.Finished),
			r.Elapsed.Seconds()/gatesim.Ideal(p, sc.a+sc.b).Seconds(), a.Refusals, b.Refusals)
	}
}

// A single call beside a batch: a service making three calls in a row from
// GATESIM_STARTS starting points (default 20), 293 ms apart from 100 ms
// into a batch of 12 x the plan, the first in its ramp; skills of even
// length and taking up to a fifth more at random. The longest wait of each
// run for a session, against 2 x the skill + 0.5 s.
func TestTable_ASingleCallBesideABatch(t *testing.T) {
	table(t)
	starts := envCount(t, "GATESIM_STARTS", 20)
	fmt.Println("| plan | skill latency | refusal round trip | skills | longest wait: median, most | past 2 x skill + 0.5 s |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, rtt := range rtts(t) {
		for _, row := range planRows(t, "10:500ms,50:500ms,250:500ms,10:1s,10:5s,50:5s,250:5s,10:1m") {
			for _, jitter := range []bool{false, true} {
				p := gatesim.Plan{Limit: row.limit, Latency: row.latency, RefusalRTT: rtt}
				kind := "even"
				if jitter {
					p.Jitter, kind = row.latency/5, "+20%"
				}
				bound := 2*row.latency + 500*time.Millisecond
				var waits []time.Duration
				over := 0
				for k := range starts {
					r := gatesim.Run(t, p,
						gatesim.Load{Name: "batch", Calls: 12 * row.limit, Concurrency: 2 * row.limit},
						gatesim.Load{Name: "service", Calls: 3, Concurrency: 1, Goroutines: true, Start: 100*time.Millisecond + time.Duration(k)*293*time.Millisecond})
					if r.Loads[0].Failed+r.Loads[1].Failed > 0 || r.Server.MaxConcurrent > row.limit {
						t.Fatalf("%d and %d failed, %d at once", r.Loads[0].Failed, r.Loads[1].Failed, r.Server.MaxConcurrent)
					}
					w := r.Loads[1].MaxWait()
					if w > bound {
						over++
					}
					waits = append(waits, w)
				}
				slices.Sort(waits)
				fmt.Printf("| %d | %v | %v | %s | %s, %s | %d of %d |\n", row.limit, row.latency, rtt, kind, ms(waits[len(waits)/2]), ms(waits[len(waits)-1]), over, starts)
			}
		}
	}
}
