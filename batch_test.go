package browseruse_test

import (
	"context"
	"errors"
	"iter"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// inputs is n requests whose parameter "i" is their index.
func inputs(n int) iter.Seq[browseruse.ExecuteSkillRequest] {
	return func(yield func(browseruse.ExecuteSkillRequest) bool) {
		for i := range n {
			if !yield(browseruse.ExecuteSkillRequest{Parameters: map[string]any{"i": i}}) {
				return
			}
		}
	}
}

// collect runs the batch to its end, checking that each index comes once.
func collect(t *testing.T, results iter.Seq[browseruse.BatchResult], n int) []browseruse.BatchResult {
	t.Helper()
	got := make([]browseruse.BatchResult, n)
	seen := make([]bool, n)
	for r := range results {
		if r.Index < 0 || r.Index >= n || seen[r.Index] {
			t.Fatalf("index %d out of range or yielded twice", r.Index)
		}
		seen[r.Index], got[r.Index] = true, r
	}
	if i := slices.Index(seen, false); i >= 0 {
		t.Fatalf("input %d was never reported", i)
	}
	return got
}

func TestExecuteSkillBatch_AnInputsFailureDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	failed := browserusetest.Reply{JSON: map[string]any{"success": false, "error": "element #buy not found"}}
	srv.Enqueue(failed, failed)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	ok, skillFailed := 0, 0
	for _, r := range collect(t, c.ExecuteSkillBatch(t.Context(), skillID, inputs(n), browseruse.BatchOptions{Concurrency: 3}), n) {
		switch {
		case r.Err == nil && r.Result != nil && r.Attempts == 1:
			var echo struct{ Parameters struct{ I int } }
			if err := r.Result.Decode(&echo); err != nil || echo.Parameters.I != r.Index {
				t.Errorf("result %d is the result of input %d (%v)", r.Index, echo.Parameters.I, err)
			}
			ok++
		case errors.Is(r.Err, browseruse.ErrSkillFailed):
			skillFailed++
		default:
			t.Errorf("input %d: %+v", r.Index, r)
		}
	}
	if ok != n-2 || skillFailed != 2 {
		t.Errorf("%d ok and %d failed, want %d and 2", ok, skillFailed, n-2)
	}
}

func TestExecuteSkillBatch_CreditsRunningOutStopsDispatching(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetCredits(5)
	srv.SetLatency(20 * time.Millisecond)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	const n, concurrency = 40, 4
	var ok, noCredits, notAttempted int
	for _, r := range collect(t, c.ExecuteSkillBatch(t.Context(), skillID, inputs(n), browseruse.BatchOptions{Concurrency: concurrency}), n) {
		switch {
		case r.Err == nil:
			ok++
		case errors.Is(r.Err, browseruse.ErrNotAttempted):
			if !errors.Is(r.Err, browseruse.ErrInsufficientCredits) || r.Attempts != 0 {
				t.Errorf("input %d: %v after %d attempts, want the 402 as the cause and no attempt", r.Index, r.Err, r.Attempts)
			}
			notAttempted++
		case errors.Is(r.Err, browseruse.ErrInsufficientCredits):
			noCredits++
		default:
			t.Errorf("input %d: %v", r.Index, r.Err)
		}
	}
	st := srv.Stats()
	// After the first 402 only the calls already in flight may go out.
	if ok != 5 || noCredits < 1 || noCredits > concurrency || st.InsufficientCredits != noCredits {
		t.Errorf("%d ok, %d got a 402 (fake sent %d), want 5 and 1 to %d", ok, noCredits, st.InsufficientCredits, concurrency)
	}
	if notAttempted != n-ok-noCredits || st.Requests != ok+noCredits {
		t.Errorf("%d not attempted, fake saw %d requests: every input after the stop must be reported, none sent", notAttempted, st.Requests)
	}
}

func TestExecuteSkillBatch_StopFinishesWhatIsInFlight(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(50 * time.Millisecond)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	const n = 30
	results := c.ExecuteSkillBatch(t.Context(), skillID, inputs(n), browseruse.BatchOptions{Concurrency: 4, Stop: stop})
	var done, stopped int
	for r := range results {
		switch {
		case r.Err == nil:
			if done++; done == 2 {
				close(stop)
			}
		case errors.Is(r.Err, browseruse.ErrBatchStopped):
			stopped++
		default:
			t.Errorf("input %d: %v (a call in flight must finish, not be cut)", r.Index, r.Err)
		}
	}
	if done+stopped != n || done > 2+4 || srv.Stats().Requests != done {
		t.Errorf("%d done, %d not attempted, %d sent: want at most the 4 in flight to finish after the stop", done, stopped, srv.Stats().Requests)
	}
}

func TestExecuteSkillBatch_ContextCancelEndsTheCallsInFlight(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(time.Hour)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for c.GateStats().InFlight < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	yielded := 0
	for r := range c.ExecuteSkillBatch(ctx, skillID, inputs(1000), browseruse.BatchOptions{Concurrency: 3}) {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("input %d: err = %v, want context.Canceled", r.Index, r.Err)
		}
		yielded++
	}
	if yielded != 3 {
		t.Errorf("%d results, want the 3 calls in flight and no more inputs read", yielded)
	}
}

func TestExecuteSkillBatch_BreakingOutStopsEverything(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(20 * time.Millisecond)
	// Counted where the client hands requests to the network: a request
	// sent just before the break may reach the server's counters after it.
	var sent atomic.Int64
	counting := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, err := srv.Client(browseruse.WithHTTPClient(counting))
	if err != nil {
		t.Fatal(err)
	}
	for r := range c.ExecuteSkillBatch(t.Context(), skillID, inputs(1000), browseruse.BatchOptions{Concurrency: 5}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		break
	}
	// The loop has returned: no call of the batch may still run or start.
	if gs := c.GateStats(); gs.InFlight != 0 || gs.Waiting != 0 {
		t.Errorf("GateStats = %+v after break, want nothing in flight or waiting", gs)
	}
	atBreak := sent.Load()
	time.Sleep(50 * time.Millisecond)
	if now := sent.Load(); now != atBreak || atBreak > 10 {
		t.Errorf("%d requests at break, %d later: want a handful, and none after the loop ended", atBreak, now)
	}
}

func TestExecuteSkillBatch_ASkillThatCannotRunStopsIt(t *testing.T) {
	t.Parallel()
	for _, reply := range []browserusetest.Reply{
		{Status: 404, JSON: map[string]any{"detail": "Skill not found"}},
		{Status: 400, JSON: map[string]any{"detail": "Skill is not finished"}},
		{Status: 401, JSON: map[string]any{"detail": "Invalid API key"}},
	} {
		srv := browserusetest.New(t)
		srv.Enqueue(reply)
		c, err := srv.Client()
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, c.ExecuteSkillBatch(t.Context(), skillID, inputs(10), browseruse.BatchOptions{Concurrency: 1}), 10)
		var apiErr *browseruse.APIError
		if !errors.As(got[0].Err, &apiErr) || apiErr.StatusCode != reply.Status || errors.Is(got[0].Err, browseruse.ErrNotAttempted) {
			t.Errorf("%d: first input: %v, want the %d itself", reply.Status, got[0].Err, reply.Status)
		}
		for _, r := range got[1:] {
			if !errors.Is(r.Err, browseruse.ErrNotAttempted) {
				t.Errorf("%d: input %d: %v, want not attempted", reply.Status, r.Index, r.Err)
			}
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d: %d requests, want 1", reply.Status, n)
		}
	}
}

// inputs runs in another goroutine; a panic in it must reach the caller's
// recover (not kill the process), and stop the batch first: the calls
// running finish and are reported, the ones waiting for a slot are not sent.
func TestExecuteSkillBatch_APanicInInputsReachesTheCaller(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(50 * time.Millisecond)
	c, err := srv.Client(browseruse.WithMaxConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	bad := func(yield func(browseruse.ExecuteSkillRequest) bool) {
		for _, req := range collectInputs(10) {
			if !yield(req) {
				return
			}
		}
		panic("bad input source")
	}
	ok := 0
	func() {
		defer func() {
			if v := recover(); v != "bad input source" {
				t.Errorf("recovered %v, want the inputs' panic", v)
			}
		}()
		for r := range c.ExecuteSkillBatch(t.Context(), skillID, bad, browseruse.BatchOptions{Concurrency: 10}) {
			if r.Err != nil {
				t.Errorf("input %d: %v", r.Index, r.Err)
			}
			ok++
		}
	}()
	// One runs at a time; a second if a slot freed just as inputs panicked.
	if n := srv.Stats().Executions; n > 2 || n != ok {
		t.Errorf("%d executions, %d results: want the call running when inputs panicked, reported", n, ok)
	}
}

// The calls run in goroutines of their own: a panic in one (a transport
// given with WithHTTPClient) must reach the caller's recover, not kill the
// process, and must stop the batch rather than leave it half run unseen.
func TestExecuteSkillBatch_APanicInACallReachesTheCaller(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(20 * time.Millisecond)
	var sent atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if sent.Add(1) == 3 {
			panic("transport bug")
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	// Two run at once, four more wait for a slot in the gate.
	c, err := srv.Client(browseruse.WithHTTPClient(hc), browseruse.WithMaxConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	results := 0
	func() {
		defer func() {
			if v := recover(); v != "transport bug" {
				t.Errorf("recovered %v, want the transport's panic", v)
			}
		}()
		for r := range c.ExecuteSkillBatch(t.Context(), skillID, inputs(50), browseruse.BatchOptions{Concurrency: 6}) {
			// The calls waiting when it panicked are not sent, and not
			// reported either, like the inputs never dispatched: the
			// panic is the news.
			if r.Err != nil {
				t.Errorf("input %d: %v", r.Index, r.Err)
			}
			results++
		}
	}()
	// The panicking call's partner may finish, then nothing.
	if n := sent.Load(); n > 4 {
		t.Errorf("%d requests sent, want the batch stopped at the panic", n)
	}
	if results > 3 {
		t.Errorf("%d results yielded before the panic, want the calls that finished only", results)
	}
	if gs := c.GateStats(); gs.InFlight != 0 || gs.Waiting != 0 {
		t.Errorf("gate %+v after the batch, want every slot back", gs)
	}
}

// Stop reaches calls already dispatched but waiting for a session, even
// once every input is dispatched (Concurrency above the inputs): none of
// them is sent after Stop, and the batch ends once the calls running at
// Stop have. In virtual time, so that "once" is exact: on a loaded machine
// a wall-clock bound on it failed for want of CPU, not of the batch.
func TestExecuteSkillBatch_StopReachesCallsWaitingForASlot(t *testing.T) {
	t.Parallel()
	const latency = 200 * time.Millisecond
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(2)
	srv.SetLatency(latency)
	srv.SetRefusalLatency(refusalRTT)
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.Client(inProcess(srv, nil))
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var atStop browserusetest.Stats
		var stoppedAt time.Time
		notAttempted := 0
		for r := range c.ExecuteSkillBatch(t.Context(), skillID, inputs(12), browseruse.BatchOptions{Concurrency: 12, Stop: stop}) {
			if stoppedAt.IsZero() {
				// The first result: every input is dispatched, 2 run, the
				// rest wait in the gate.
				atStop, stoppedAt = srv.Stats(), time.Now()
				close(stop)
			}
			if errors.Is(r.Err, browseruse.ErrNotAttempted) {
				notAttempted++
			}
		}
		if st := srv.Stats(); st.Executions > atStop.Executions+2 {
			t.Errorf("%d executions at Stop, %d at the end: want only the calls running at Stop (at most 2) to finish", atStop.Executions, st.Executions)
		}
		if notAttempted == 0 {
			t.Error("no input reported not attempted after Stop")
		}
		if d := time.Since(stoppedAt); d > latency {
			t.Errorf("the batch ended %v after Stop, want once the calls running had (a skill takes %v)", d, latency)
		}
	})
}

// Leaving the loop by a panic in its body, or by runtime.Goexit (t.Fatal),
// ends the batch as break does: by the time control leaves the loop, every
// call has ended and inputs has returned, so nothing runs behind the caller.
func TestExecuteSkillBatch_APanicOrGoexitInTheLoopBodyEndsTheBatch(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(20 * time.Millisecond)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, leave := range []struct {
		name string
		do   func()
	}{
		{"panic", func() { panic("caller bug") }},
		{"Goexit", runtime.Goexit},
	} {
		var returned atomic.Bool
		tracked := func(yield func(browseruse.ExecuteSkillRequest) bool) {
			defer returned.Store(true)
			inputs(100)(yield)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { recover() }()
			for range c.ExecuteSkillBatch(t.Context(), skillID, tracked, browseruse.BatchOptions{Concurrency: 4}) {
				leave.do()
			}
		}()
		<-done
		if !returned.Load() {
			t.Errorf("%s in the loop body: inputs had not returned when the loop was left", leave.name)
		}
		if gs := c.GateStats(); gs.InFlight != 0 || gs.Waiting != 0 {
			t.Errorf("%s in the loop body: gate %+v, want nothing in flight or waiting", leave.name, gs)
		}
	}
}

// A refused call waiting out a long Retry-After in the gate is not sent
// after Stop, and does not hold the batch (a first Ctrl-C) until then.
func TestExecuteSkillBatch_StopEndsABackoffAtOnce(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"30"}},
		JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		for len(srv.Requests()) == 0 {
			time.Sleep(time.Millisecond)
		}
		close(stop)
	}()
	start := time.Now()
	for r := range c.ExecuteSkillBatch(t.Context(), skillID, inputs(1), browseruse.BatchOptions{Stop: stop}) {
		if !errors.Is(r.Err, browseruse.ErrNotAttempted) || !errors.Is(r.Err, browseruse.ErrBatchStopped) {
			t.Errorf("err = %v, want not attempted, the batch stopped", r.Err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the batch ended %v after it began, want well before the 30 s Retry-After", d)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want the refused one only", n)
	}
}

// A Stop closed before the batch begins, or while inputs are dispatched,
// lets nothing more be sent: not even a call dispatched in the moment
// before the batch saw Stop.
func TestExecuteSkillBatch_StopAlreadyClosedSendsNothing(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		stop := make(chan struct{})
		close(stop)
		for r := range c.ExecuteSkillBatch(t.Context(), skillID, inputs(5), browseruse.BatchOptions{Stop: stop}) {
			if !errors.Is(r.Err, browseruse.ErrBatchStopped) {
				t.Fatalf("input %d: err = %v, want not attempted, the batch stopped", r.Index, r.Err)
			}
		}
		stop = make(chan struct{})
		closing := func(yield func(browseruse.ExecuteSkillRequest) bool) {
			for i, req := range collectInputs(3) {
				if i == 2 {
					close(stop)
				}
				if !yield(req) {
					return
				}
			}
		}
		for r := range c.ExecuteSkillBatch(t.Context(), skillID, closing, browseruse.BatchOptions{Stop: stop}) {
			if r.Index == 2 && !errors.Is(r.Err, browseruse.ErrBatchStopped) {
				t.Fatalf("input 2, yielded after Stop closed: err = %v, want not attempted", r.Err)
			}
		}
	}
	if n := srv.Stats().Executions; n > 200 {
		t.Errorf("%d executions in 100 rounds, want the 2 inputs before Stop of each", n)
	}
}

// collectInputs is inputs(n) as a slice.
func collectInputs(n int) []browseruse.ExecuteSkillRequest {
	return slices.Collect(inputs(n))
}

// A call waiting to retry an attempt that never reached the API (a refused
// connection) gives up at once when the batch stops, and is reported not
// attempted: it never ran, so a resume sends it.
func TestExecuteSkillBatch_StopEndsARetryWaitAtOnce(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	var dials atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		dials.Add(1)
		r.Body.Close() // as RoundTrip must, and net/http's does before a dial error
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	})}
	c, err := srv.Client(browseruse.WithHTTPClient(hc), browseruse.WithMaxRetries(8))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var stoppedAt time.Time
	go func() {
		for dials.Load() < 5 { // the waits before the 5th retry grow to 8 s
			time.Sleep(time.Millisecond)
		}
		stoppedAt = time.Now()
		close(stop)
	}()
	for r := range c.ExecuteSkillBatch(t.Context(), skillID, inputs(1), browseruse.BatchOptions{Stop: stop}) {
		if !errors.Is(r.Err, browseruse.ErrNotAttempted) || !errors.Is(r.Err, browseruse.ErrBatchStopped) {
			t.Errorf("err = %v, want not attempted, the batch stopped", r.Err)
		}
	}
	if d := time.Since(stoppedAt); d > 2*time.Second {
		t.Errorf("the batch ended %v after Stop: a retry wait held it", d)
	}
}

// A 402, or a panic, stops the batch before the call's session slot goes to
// a call waiting for it: with one slot, nothing is sent after either.
func TestExecuteSkillBatch_NothingIsSentAfterA402OrAPanicEvenFromTheGate(t *testing.T) {
	t.Parallel()
	for range 40 {
		srv := browserusetest.New(t)
		srv.SetCredits(1)
		c, err := srv.Client(browseruse.WithMaxConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		for range c.ExecuteSkillBatch(t.Context(), skillID, inputs(20), browseruse.BatchOptions{Concurrency: 10}) {
		}
		if st := srv.Stats(); st.InsufficientCredits != 1 {
			t.Fatalf("stats %+v: want one 402 and nothing sent after it", st)
		}

		var sent atomic.Int64
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if sent.Add(1) == 1 {
				panic("transport bug")
			}
			return http.DefaultTransport.RoundTrip(r)
		})}
		c, err = srv.Client(browseruse.WithHTTPClient(hc), browseruse.WithMaxConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() { recover() }()
			for range c.ExecuteSkillBatch(t.Context(), skillID, inputs(20), browseruse.BatchOptions{Concurrency: 10}) {
			}
		}()
		if n := sent.Load(); n != 1 {
			t.Fatalf("%d requests, want the one that panicked and nothing after it", n)
		}
	}
}

// runtime.Goexit cannot cross goroutines: in inputs or in a call (a
// transport calling t.FailNow off the test's goroutine), it must not end
// the batch early, or drop an input, without a word. The caller's
// goroutine panics instead.
func TestExecuteSkillBatch_AGoexitInInputsOrACallReachesTheCaller(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	goexit := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		runtime.Goexit()
		return nil, nil
	})}
	inCall, err := srv.Client(browseruse.WithHTTPClient(goexit))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	goexitAt5 := func(yield func(browseruse.ExecuteSkillRequest) bool) {
		for i, req := range collectInputs(10) {
			if i == 5 {
				runtime.Goexit()
			}
			if !yield(req) {
				return
			}
		}
	}
	for name, run := range map[string]iter.Seq[browseruse.BatchResult]{
		"a call": inCall.ExecuteSkillBatch(t.Context(), skillID, inputs(1), browseruse.BatchOptions{}),
		"inputs": plain.ExecuteSkillBatch(t.Context(), skillID, goexitAt5, browseruse.BatchOptions{}),
	} {
		func() {
			defer func() {
				if v, _ := recover().(error); v == nil || !strings.Contains(v.Error(), "runtime.Goexit") {
					t.Errorf("Goexit in %s: the caller recovered %v, want a panic that says so", name, v)
				}
			}()
			for range run {
			}
		}()
	}
}

// CallTimeout gives up on a call that hangs; the batch goes on with the
// other inputs. In virtual time: on a loaded machine a call that does not
// hang could take longer than the timeout too.
func TestExecuteSkillBatch_CallTimeoutBoundsEachCall(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }})
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.Client(inProcess(srv, nil))
		if err != nil {
			t.Fatal(err)
		}
		const n = 6
		const timeout = 200 * time.Millisecond
		opts := browseruse.BatchOptions{Concurrency: 1, CallTimeout: timeout}
		start := time.Now()
		hung := 0
		for _, r := range collect(t, c.ExecuteSkillBatch(t.Context(), skillID, inputs(n), opts), n) {
			switch {
			case r.Index == 0 && errors.Is(r.Err, context.DeadlineExceeded):
				hung++
			case r.Index > 0 && r.Err == nil:
			default:
				t.Errorf("input %d: %v", r.Index, r.Err)
			}
		}
		if hung != 1 {
			t.Errorf("the call that hung was not given up with a deadline error")
		}
		if d := time.Since(start); d != timeout {
			t.Errorf("the batch took %v, want the hung call's timeout of %v and no more", d, timeout)
		}
	})
}

// ExecuteSkillBatchAs decodes each result into the caller's type, paired
// with its input's index; a result that does not fit is that input's
// error, and the others go on.
func TestExecuteSkillBatchAs_YieldsTypedResultsByIndex(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": true, "result": "not an echo"}})
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	type echo struct {
		Parameters struct{ I int }
	}
	const n = 12
	ok, misfit := 0, 0
	for r := range browseruse.ExecuteSkillBatchAs[echo](t.Context(), c, skillID, inputs(n), browseruse.BatchOptions{Concurrency: 1}) {
		var apiErr *browseruse.APIError
		switch {
		case r.Err == nil && r.Result.Value.Parameters.I == r.Index && r.Attempts == 1:
			ok++
		case r.Index == 0 && errors.As(r.Err, &apiErr) && r.Result == nil:
			misfit++ // the first call got the string
		default:
			t.Errorf("input %d: result %+v, err %v", r.Index, r.Result, r.Err)
		}
	}
	if ok != n-1 || misfit != 1 {
		t.Errorf("%d typed results and %d misfits, want %d and 1", ok, misfit, n-1)
	}
}

// uuid.Nil is what a skill ID never set holds: the batch sends nothing and
// says why for every input.
func TestExecuteSkillBatch_NilSkillIDSendsNothing(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	for _, r := range collect(t, c.ExecuteSkillBatch(t.Context(), uuid.Nil, inputs(n), browseruse.BatchOptions{}), n) {
		if !errors.Is(r.Err, browseruse.ErrNotAttempted) || !strings.Contains(r.Err.Error(), "skill ID is uuid.Nil") {
			t.Errorf("input %d: %v, want not attempted because the skill ID is uuid.Nil", r.Index, r.Err)
		}
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("%d requests sent", got)
	}
}
