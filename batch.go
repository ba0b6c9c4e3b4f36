package browseruse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// DefaultBatchConcurrency was how many calls of a batch ran at once when
// [BatchOptions] did not say.
//
// Deprecated: a batch with no Concurrency now runs as many calls as the
// client's gate lets run, which learns the account's plan (10 to 1,000
// sessions) within a second; a fixed 10 left bigger plans idle. The
// constant is no longer used.
const DefaultBatchConcurrency = 10

// batchLead is how many calls more than the gate's limit a batch without a
// Concurrency keeps started (at least; half the limit above 16), so that
// the gate has calls waiting to grow into.
const batchLead = 8

// BatchOptions configures [Client.ExecuteSkillBatch].
type BatchOptions struct {
	// Concurrency caps how many calls of the batch run at once. 0, the
	// default, means as many as the client's gate lets run: the account's
	// limit of sessions as learned, with a few more started and waiting so
	// the gate can grow into the plan. Either way the gate holds the calls
	// to the account's limit, so a value above it only queues calls.
	Concurrency int
	// Stop, when closed, stops the batch as an API error that ends it does:
	// no input is dispatched any more, calls in flight finish and are
	// reported, and the inputs left are reported as not attempted. It is
	// the gentle stop (a first Ctrl-C); cancelling the context is the hard
	// one.
	Stop <-chan struct{}
	// CallTimeout, if positive, bounds each input's call from its dispatch
	// to its answer, waits for a slot and retries included (what
	// [BatchResult.Duration] measures): past it the input is yielded with
	// an error matching context.DeadlineExceeded, and the batch goes on.
	// 0 leaves each attempt to the client's [WithTimeout].
	CallTimeout time.Duration
}

// BatchResult is the outcome of one input of a batch.
type BatchResult struct {
	// Index is the input's position in the sequence, from 0.
	Index int
	// Result is the skill's result when Err is nil.
	Result *SkillResult
	// Err is why the input failed: an [*APIError], a [*SkillError], a
	// context error, a transport error (no answer after the retries), or a
	// [*NotAttemptedError] when the batch stopped before the call ran.
	Err error
	// Attempts is how many requests were sent for it, refusals included;
	// 0 when none was.
	Attempts int
	// Duration is the time from dispatch to the answer, slot waits included.
	Duration time.Duration
}

// BatchResultAs is the outcome of one input of a batch run by
// [ExecuteSkillBatchAs], its result decoded into T.
type BatchResultAs[T any] struct {
	// Index is the input's position in the sequence, from 0.
	Index int
	// Result is the skill's result when Err is nil.
	Result *Result[T]
	// Err is why the input failed, as in [BatchResult]; a result that does
	// not fit T is an [*APIError] wrapping the decode error.
	Err error
	// Attempts is how many requests were sent for it, refusals included;
	// 0 when none was.
	Attempts int
	// Duration is the time from dispatch to the answer, slot waits included.
	Duration time.Duration
}

// ErrNotAttempted is matched by a [*NotAttemptedError].
var ErrNotAttempted = errors.New("browseruse: not attempted")

// NotAttemptedError reports an input of a batch that never ran because the
// batch stopped first: it was not sent, or every request sent for it was
// refused (429) or provably never reached the API, so sending it again
// later bills it once. [BatchResult.Attempts] counts those requests. Cause
// is why the batch stopped: the error of the input that ended it
// (matching, for instance, [ErrInsufficientCredits]), or [ErrBatchStopped].
type NotAttemptedError struct {
	Cause error
}

// ErrBatchStopped is the cause of the inputs left when [BatchOptions.Stop]
// was closed.
var ErrBatchStopped = errors.New("browseruse: batch stopped")

func (e *NotAttemptedError) Error() string {
	return "browseruse: not attempted: the batch stopped: " + e.Cause.Error()
}

// Is makes errors.Is(err, ErrNotAttempted) match.
func (e *NotAttemptedError) Is(target error) bool { return target == ErrNotAttempted }

// Unwrap returns the cause, so errors.Is(err, ErrInsufficientCredits) holds
// for the inputs a 402 left unsent. Test ErrNotAttempted first to tell them
// from the input that got the 402.
func (e *NotAttemptedError) Unwrap() error { return e.Cause }

// StopsBatch reports whether err means no other input of a batch can
// succeed, so [Client.ExecuteSkillBatch] stops dispatching: a key the API
// rejects (401), credits gone (402), or a skill that cannot run (its 400 "not
// finished or not enabled" or 404 "not found"). Callers that report why a
// batch stopped use it on the input that got the error.
func StopsBatch(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusPaymentRequired, http.StatusNotFound:
		return true
	}
	return false
}

// ExecuteSkillBatch runs one skill over every input, up to opts.Concurrency
// at once, through the client's gate (so a 429 is waited out, not lost), and
// yields each input's result as it completes, with its index:
//
//	for r := range c.ExecuteSkillBatch(ctx, skillID, slices.Values(reqs), browseruse.BatchOptions{}) {
//		if r.Err != nil { log.Printf("input %d: %v", r.Index, r.Err); continue }
//		...
//	}
//
// An input's own failure (the skill failed, its parameters did not
// validate) does not stop the batch. A 401, a 402, or the skill's 400 or
// 404 does, since no other input could succeed: nothing more is sent,
// calls in flight finish and are yielded, and every input left is yielded
// with a [*NotAttemptedError] (the sequence is read to its end for that).
// Closing opts.Stop stops the batch the same way. A skillID of uuid.Nil
// names no skill: nothing is sent, and every input is yielded with a
// [*NotAttemptedError] whose Cause says so.
//
// Cancelling ctx ends the calls in flight, which are yielded with the
// context's error; the inputs left are not read. Breaking out of the loop
// cancels the calls in flight too, and returns once every call of the
// batch has ended (and inputs has handed back control): nothing keeps
// running behind the caller. A request already on its way when the loop
// ends may still run, and be billed, at the API.
//
// inputs is read, and the calls run, in other goroutines. If inputs or a
// call panics (a panicking transport given with [WithHTTPClient], say),
// nothing more is dispatched, read or sent, the other calls in flight
// finish and are yielded (those still waiting for a slot are not sent and
// not yielded, like the inputs left), and the first panic is raised again,
// with its value, in the goroutine ranging over the results, where the
// caller can recover it. runtime.Goexit in inputs or a call (t.FailNow off
// the test's goroutine) is treated as a panic, since it cannot reach the
// caller's goroutine. A panic or runtime.Goexit in the loop body ends the
// batch as break does before it leaves.
func (c *Client) ExecuteSkillBatch(ctx context.Context, skillID uuid.UUID, inputs iter.Seq[ExecuteSkillRequest], opts BatchOptions) iter.Seq[BatchResult] {
	return func(yield func(BatchResult) bool) {
		for r := range ExecuteSkillBatchAs[json.RawMessage](ctx, c, skillID, inputs, opts) {
			br := BatchResult{Index: r.Index, Err: r.Err, Attempts: r.Attempts, Duration: r.Duration}
			if r.Result != nil {
				br.Result = c.skillResult(r.Result)
			}
			if !yield(br) {
				return
			}
		}
	}
}

// ExecuteSkillBatchAs runs a batch as [Client.ExecuteSkillBatch] does and
// decodes each result straight into T, as [ExecuteSkillAs] does, so no
// result needs a Decode of its own:
//
//	for r := range browseruse.ExecuteSkillBatchAs[Product](ctx, c, skillID, inputs, browseruse.BatchOptions{}) {
//		if r.Err != nil { log.Printf("input %d: %v", r.Index, r.Err); continue }
//		fmt.Println(r.Index, r.Result.Value.Title)
//	}
func ExecuteSkillBatchAs[T any](ctx context.Context, c *Client, skillID uuid.UUID, inputs iter.Seq[ExecuteSkillRequest], opts BatchOptions) iter.Seq[BatchResultAs[T]] {
	return func(yield func(BatchResultAs[T]) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		b := &batch[T]{userStop: opts.Stop, callTimeout: opts.CallTimeout, stopped: make(chan struct{})}
		results := make(chan BatchResultAs[T])
		// inputs runs in run's goroutine, not the caller's: run recovers a
		// panic in it, which would otherwise kill the process, out of reach
		// of the caller's recover.
		go func() {
			defer close(results)
			b.run(ctx, c, skillID, inputs, opts, results)
		}()
		end := func() {
			cancel()
			for range results { // let every call end
			}
		}
		// Deferred too: the loop body may panic or call runtime.Goexit
		// (t.Fatal), and the batch must still end before this returns.
		defer end()
		for r := range results {
			if !yield(r) {
				break
			}
		}
		end()
		// results is closed: every goroutine that could panic has ended.
		if b.panicked {
			panic(b.panicValue)
		}
	}
}

// batch is one run of ExecuteSkillBatchAs, decoding results into T.
type batch[T any] struct {
	userStop    <-chan struct{} // BatchOptions.Stop
	callTimeout time.Duration   // BatchOptions.CallTimeout
	paced       bool            // no Concurrency: as many as the gate lets run (pace)
	active      atomic.Int64    // calls started and not ended
	freed       chan struct{}   // a call ended (paced only)
	once        sync.Once
	stopped     chan struct{}
	cause       error // set once, before stopped closes

	// the first panic of inputs or of a call, set before results closes
	mu         sync.Mutex
	panicked   bool
	panicValue any
}

// errPanicked stops a batch in which inputs or a call panicked. Nobody sees
// it: the panic is raised again in the caller's goroutine.
var errPanicked = errors.New("browseruse: the batch panicked")

// errGoexit is what the caller's goroutine panics with when inputs or a
// call ended its goroutine with runtime.Goexit (t.FailNow called off the
// test's goroutine, say): Goexit cannot cross goroutines, and a batch that
// went on would drop that input without a word.
var errGoexit = errors.New("browseruse: ExecuteSkillBatch: inputs or a call called runtime.Goexit")

// catch, deferred in each goroutine of a batch, keeps the first panic (or
// runtime.Goexit: the goroutine ended without returning) for the caller
// and stops the batch.
func (b *batch[T]) catch(returned *bool) {
	v := recover()
	if v == nil {
		if *returned {
			return
		}
		v = errGoexit
	}
	b.mu.Lock()
	if !b.panicked {
		b.panicked, b.panicValue = true, v
	}
	b.mu.Unlock()
	b.stop(errPanicked)
}

func (b *batch[T]) hasPanicked() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.panicked
}

func (b *batch[T]) stop(cause error) {
	b.once.Do(func() {
		b.cause = cause
		close(b.stopped)
	})
}

// guard is checked by the policy before each request of a batch call: once
// the batch has stopped, a call still waiting for a slot is not sent. It
// reads Stop itself rather than wait for the watcher in run to pass it on: a
// call scheduled before the watcher would be sent after Stop.
func (b *batch[T]) guard() error {
	select {
	case <-b.userStop: // nil: never
		b.stop(ErrBatchStopped)
	default:
	}
	select {
	case <-b.stopped:
		return &NotAttemptedError{Cause: b.cause}
	default:
		return nil
	}
}

func (b *batch[T]) run(ctx context.Context, c *Client, skillID uuid.UUID, inputs iter.Seq[ExecuteSkillRequest],
	opts BatchOptions, results chan<- BatchResultAs[T]) {
	n := opts.Concurrency
	if n <= 0 {
		// As many as the gate lets run: pace paces them.
		n, b.paced = math.MaxInt32, true
		b.freed = make(chan struct{}, 1)
	}
	// Stop is watched for as long as a call may wait, not only while inputs
	// are dispatched: with every input dispatched, calls still wait in the
	// gate, and Stop must keep them from being sent.
	if b.userStop != nil {
		ended := make(chan struct{})
		defer close(ended) // deferred before wg.Wait, so run after it
		go func() {
			select {
			case <-b.userStop:
				b.stop(ErrBatchStopped)
			case <-ended:
			}
		}()
	}
	if skillID == uuid.Nil {
		// No input can run: each is yielded not attempted, with why.
		b.stop(errNilSkillID)
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	// A panic (or runtime.Goexit) in inputs is kept for the caller and
	// stops the batch here, before the wait above, so that calls waiting
	// for a slot are not sent meanwhile.
	returned := false
	defer b.catch(&returned)
	b.dispatch(ctx, c, skillID, inputs, results, sem, &wg)
	returned = true
}

// dispatch starts a call per input, up to cap(sem) at once, until the
// inputs end or the batch stops.
func (b *batch[T]) dispatch(ctx context.Context, c *Client, skillID uuid.UUID, inputs iter.Seq[ExecuteSkillRequest],
	results chan<- BatchResultAs[T], sem chan struct{}, wg *sync.WaitGroup) {
	guard := &sendGuard{done: b.stopped, check: b.guard, halt: b.stop}
	i := 0
	for in := range inputs {
		if ctx.Err() != nil {
			return // cancelled, or the caller broke out of the loop
		}
		if !b.pace(ctx, c.policy.gate) {
			return
		}
		slot := false
		select {
		case <-b.stopped: // Stop too: run's watcher, or guard below, passes it on
		case sem <- struct{}{}:
			slot = true
		case <-ctx.Done():
			return
		}
		if b.hasPanicked() {
			return // the panic is what the caller gets, not the inputs left
		}
		if err := b.guard(); err != nil { // stopped, maybe just as a slot freed
			if slot {
				<-sem
			}
			if errors.Is(err, errPanicked) {
				// A call's panic stops the batch (sendGuard.stop) before
				// its goroutine's catch records it: hasPanicked above may
				// not have seen it yet.
				return
			}
			results <- BatchResultAs[T]{Index: i, Err: err}
			i++
			continue
		}
		b.active.Add(1)
		idx := i
		wg.Go(func() { b.call(ctx, c, skillID, idx, in, guard, results, sem) })
		i++
	}
}

// call runs input i on a slot of sem taken for it, and yields its result,
// unless a panic stopped the batch: the panic is what the caller gets.
func (b *batch[T]) call(ctx context.Context, c *Client, skillID uuid.UUID, i int, in ExecuteSkillRequest,
	guard *sendGuard, results chan<- BatchResultAs[T], sem chan struct{}) {
	defer func() {
		<-sem
		b.ended()
	}()
	returned := false
	defer b.catch(&returned)
	start := time.Now()
	if b.callTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.callTimeout)
		defer cancel()
	}
	// An answer that stops the batch (StopsBatch) has stopped it already:
	// the policy calls sendGuard.stopOn before the call's slot can go to a
	// call waiting for it.
	res, attempts, err := executeCounted[T](ctx, c, skillID, in, guard)
	if !errors.Is(err, errPanicked) { // not sent; the panic is what the caller gets
		results <- BatchResultAs[T]{Index: i, Result: res, Err: err, Attempts: attempts, Duration: time.Since(start)}
	}
	returned = true
}

// pace waits, for a batch without a Concurrency of its own, until fewer
// of its calls are out than the client's gate lets run plus a lead, so the
// gate always has calls waiting to grow into (gatelimit.go) without a
// goroutine per input. It returns false if ctx ended; a stopped batch is
// left to the caller to report.
func (b *batch[T]) pace(ctx context.Context, g *gate) bool {
	for b.paced {
		limit, changed := g.watch()
		if b.active.Load() < int64(limit+max(batchLead, limit/2)) {
			return true
		}
		select {
		case <-changed:
		case <-b.freed:
		case <-b.stopped:
			return true
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// ended counts a call of the batch that ended, for pace.
func (b *batch[T]) ended() {
	b.active.Add(-1)
	if b.paced {
		select {
		case b.freed <- struct{}{}:
		default:
		}
	}
}

// sendGuard is how a batch that stopped keeps its calls from being sent:
// the policy checks it right before each request goes out, and a call
// waiting for a slot, in line or backing off, gives up when it stops. The
// batch hands it to the policy with each call; a nil guard (a call outside
// a batch) never stops anything.
type sendGuard struct {
	done  <-chan struct{} // closed when the batch stops
	check func() error    // nil until done closes
	// halt stops the batch: the policy calls it on an answer that stops
	// it (StopsBatch) or on a panic, before the call's slot is given back
	// to a call waiting for it.
	halt func(cause error)
}

// err is why the call must not be sent: nil unless the batch stopped.
func (g *sendGuard) err() error {
	if g == nil {
		return nil
	}
	return g.check()
}

// stopped is closed when the batch stops; nil (never ready) outside one.
func (g *sendGuard) stopped() <-chan struct{} {
	if g == nil {
		return nil
	}
	return g.done
}

// stop stops the batch for cause.
func (g *sendGuard) stop(cause error) {
	if g != nil {
		g.halt(cause)
	}
}

// stopOn stops the batch if err means no other call of it can succeed.
func (g *sendGuard) stopOn(err error) {
	if g != nil && StopsBatch(err) {
		g.halt(err)
	}
}

// executeCounted is ExecuteSkillAs that also says how many requests it
// sent; guard is the batch's, nil for a call of its own.
func executeCounted[T any](ctx context.Context, c *Client, skillID uuid.UUID, req ExecuteSkillRequest, guard *sendGuard) (*Result[T], int, error) {
	if err := checkIDs(skillID, req); err != nil {
		return nil, 0, err
	}
	hreq, err := c.newExecuteSkillRequest(ctx, skillID, req)
	if err != nil {
		return nil, 0, fmt.Errorf("browseruse: ExecuteSkill: encoding request: %w", err)
	}
	s, err := c.policy.send(hreq, guard)
	if err != nil {
		return nil, s.attempts, err
	}
	r, err := decodeSkillResponse[T](c.policy, s)
	return r, s.attempts, err
}
