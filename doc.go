// Package browseruse is the Go client for the Browser Use API: it runs
// Browser Use skills (a website interaction turned into a callable endpoint)
// and returns their results, typed.
//
// The client in package gen is generated from the vendored OpenAPI spec. This
// package wraps it with what generated code cannot do: send the API key (to
// the API origin only), turn each response into either its documented
// success payload or an error, retry what is safe to retry, and bound every
// wait and every body.
//
// # Quickstart
//
// Set BROWSER_USE_API_KEY, then:
//
//	c, err := browseruse.New() // key from $BROWSER_USE_API_KEY
//	if err != nil {
//		log.Fatal(err)
//	}
//	res, err := c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{
//		Parameters: map[string]any{"X": 10},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	var out MyResult
//	err = res.Decode(&out)
//
// A [Client] is safe for concurrent use: build one and share it. [New] takes
// options such as [WithBaseURL], [WithTimeout], [WithMaxRetries],
// [WithHTTPClient] and [WithLogger]; a bad option fails New, not the first
// call.
//
// # Typed results
//
// [ExecuteSkillAs] decodes the skill's result straight into a type of yours
// while reading the response, with no intermediate map or second pass:
//
//	r, err := browseruse.ExecuteSkillAs[[]Product](ctx, c, skillID, req)
//	fmt.Println(len(r.Value), r.LatencyMs)
//
// A result that does not fit the type is an [*APIError] wrapping the
// json error. Results are decoded with encoding/json's semantics, values and
// errors alike, several times faster than encoding/json (goccy/go-json, with
// encoding/json deciding whenever goccy errs, and decoding alone into the
// few target types goccy accepts more of); [WithJSONUnmarshal] plugs in
// another decoder. The generated client of [Client.API] decodes with
// encoding/json.
//
// # Errors
//
// Every call returns either its documented success payload or an error.
// Match the class with [errors.Is], read the details with [errors.As]:
//
//	response                                   error          errors.Is
//	400                                        *APIError      ErrBadRequest
//	401 (missing or bad key)                   *APIError      ErrUnauthorized
//	402                                        *APIError      ErrInsufficientCredits
//	403                                        *APIError      ErrForbidden
//	404                                        *APIError      ErrNotFound
//	422 (Errors lists loc, msg, type)          *APIError      ErrValidation
//	429                                        *APIError      ErrTooManyRequests
//	any 5xx                                    *APIError      ErrServer
//	200 with "success": false                  *SkillError    ErrSkillFailed
//	2xx that is not the documented success     *APIError      (Err says why)
//	body over WithMaxResponseBytes             wrapped        ErrResponseTooLarge
//	redirect to another origin                 wrapped        ErrCrossOriginRedirect
//
// For example:
//
//	var apiErr *browseruse.APIError
//	var skillErr *browseruse.SkillError
//	switch {
//	case errors.As(err, &skillErr):
//		// The skill ran and failed: skillErr.Message, skillErr.Stderr.
//	case errors.Is(err, browseruse.ErrInsufficientCredits):
//		// Top up credits.
//	case errors.As(err, &apiErr):
//		log.Printf("status %d: %s (request id %s)", apiErr.StatusCode, apiErr.Detail, apiErr.RequestID)
//	case err != nil:
//		// Network failure, timeout or cancellation: no answer from the API.
//	}
//
// A skill failure is not an API failure: the request reached the API, the
// skill ran (and was charged), and its own error and stderr say why it
// failed. Anything else that is not an [*APIError] or a [*SkillError] means
// no usable answer arrived: the connection failed, or the context or
// [WithTimeout] ran out.
//
// # Retries
//
// The client sends a request again only when that cannot run a skill twice:
//
//   - a request that provably never reached the server (DNS failure,
//     failed dial, refused connection, TLS handshake failure, HTTP/2
//     REFUSED_STREAM) is retried, whatever its method;
//   - a 429 of an operation that starts a session is waited out, not
//     retried (see "Concurrency limit" below);
//   - 408, 500, 502, 503 and 504, and failures after the server may have
//     seen the request, are retried only for methods that are safe to repeat
//     (GET, PUT, DELETE ...). Execute Skill is a POST: it is never repeated
//     after it may have run, and any failure the client cannot place before
//     sending counts as "may have run". Nor can the transport repeat it:
//     the client hands it over in a form net/http cannot re-send itself.
//     A request the server answered with a redirect has reached it: a 429
//     or a refused dial of the request that follows the redirect does not
//     make a POST unsent.
//
// Between attempts the client waits for the server's Retry-After when it
// sends one, else an exponential backoff with full jitter, at most
// [WithMaxRetryWait]. A Retry-After longer than that cap, or a wait that would
// pass the context's deadline, ends the call at once with the last error
// instead of sleeping into a timeout. A 429 on an operation that starts a
// session waits in the gate instead (see "Concurrency limit"): its
// Retry-After is a minimum wait there whatever WithMaxRetryWait says, and
// only one that would pass the deadline or [WithMaxSlotWait] ends the call at
// once. Failures that would repeat the same way
// (an untrusted certificate, a refused redirect, an oversized body) are not
// retried. [WithMaxRetries]
// sets how many times a request may be sent again ([DefaultMaxRetries]); 0
// turns retries off. [APIError.Attempts] says how many were sent.
//
// Retries draw on a budget shared by the whole client, as in the AWS SDK's
// standard retryer: each retry spends tokens, each success puts some back.
// During an outage the budget runs dry and each call sends one request, not
// 1 + WithMaxRetries; such a call fails at once with an error that also
// matches [ErrRetryBudgetExhausted], which is the client's own limit, not an
// answer from the server.
//
// # Concurrency limit (429)
//
// The API's 429 means the account runs as many browser sessions as its plan
// allows (10 to 1,000, shared by every key of the project); it is not a rate
// limit. Every operation whose spec documents a 429 (Execute Skill among
// them) passes a gate shared by the whole client, which learns the limit
// without being told the plan: it starts at 10 and, while calls wait, grows
// continuously, doubling every 110 ms (a call not refused within a few
// refusal round trips holds a session), so a plan of 1,000 is full within
// about 0.8 s; the first 429 sets it to what the API held of its calls, and
// it then probes upward now and then. A refused call was not run, so it is
// sent again, even a POST: it waits in line for a session freed by one of
// the client's own calls, or, when the client has nothing in flight (the
// sessions are held elsewhere), probes again just after the next half
// second of the clock at least a quarter of the time it has been shut out
// from now (at most 3 s), whatever [WithMaxRetryWait] says. Refusals do not count against
// WithMaxRetries. The wait ends with the context, or after [WithMaxSlotWait]
// without progress while the API refuses, with an error matching
// [ErrTooManyRequests] that says how long it waited and how many refusals it
// saw. [WithMaxConcurrency] sets the limit outright for those who know their
// plan; [WithStartingLimit] starts from a plan remembered from an earlier
// run ([GateStats].Plan), with no ramp and no overshoot; [WithoutSlotWait] returns a 429 at once (and, past
// WithMaxConcurrency, fails a call unsent); [Client.GateStats] reports the
// gate. Clients of one account share its plan without knowing of each
// other: one holding its whole limit leaves a session free just after
// each half second of the wall clock (each second for skills under 2 s,
// for one that keeps 10 calls or more in flight with none waiting, as a
// batch capped at or below the plan does), when a shut-out client probes,
// and
// gives way when refusals show others holding sessions; [WithoutSharing]
// turns that off. Each refusal is logged at debug level with in_flight, limit and
// refusals_so_far (this call's, this one included).
//
// # Running many skills
//
// [Client.ExecuteSkillBatch] runs one skill over many inputs through the
// gate and yields each result as it completes, with its input's index. An
// input's own failure does not stop the batch; a 401, a 402, or the skill's
// 400 or 404 does, and the inputs left are reported as not attempted
// ([ErrNotAttempted]). [ExecuteSkillBatchAs] is the same batch with each
// result decoded into the caller's type, as [ExecuteSkillAs] does.
//
// # Timeouts and limits
//
// The context bounds the whole call, retries included. [WithTimeout] bounds
// each attempt, from sending the request to reading the last byte
// ([DefaultTimeout]: skills can run for minutes). [WithMaxResponseBytes]
// caps a response body, so a runaway result fails with [ErrResponseTooLarge]
// instead of exhausting memory.
//
// # Logging
//
// [WithLogger] takes a [log/slog.Logger] and logs one record per HTTP
// attempt, with the method, path, status, attempt number and duration, all
// at debug level: a failure that will be retried carries retry_in (after how
// long), failures carry the error. What the client handles itself (a
// refusal waited out, a retry) is no news to the application, and the
// failure a call returns is its error, for the caller to report once: so a
// logger at info level gets nothing from the client. The API key is never logged, nor printed by %v of any value of this
// package.
//
// # Telemetry
//
// The module github.com/browser-use/browseruse-go/otelbrowseruse records
// OpenTelemetry traces and metrics of every call, its attempts, refusals,
// waits for a slot and retries:
//
//	c, err := browseruse.New(otelbrowseruse.WithTelemetry())
//
// It is a module of its own, so this one takes no OpenTelemetry dependency;
// it is built on [WithObserver], which anything else can use too.
//
// # Testing
//
// Package browserusetest runs a fake of the API in-process, like
// net/http/httptest. It checks every request against the spec (a bad
// parameter gets the API's 422), answers Execute Skill with a valid default
// that echoes the parameters, and lets a test script any reply, from a 402 to
// a dropped connection:
//
//	srv := browserusetest.New(t)
//	c, _ := srv.Client()
//	srv.Enqueue(browserusetest.Reply{Status: 402, JSON: map[string]any{"detail": "Insufficient credits"}})
//	_, err := c.ExecuteSkill(ctx, skillID, req) // errors.Is(err, browseruse.ErrInsufficientCredits)
//
// Scripted replies are themselves checked against the spec, so a test cannot
// rely on an answer the real API would never give, unless it says so with
// Reply.OffSpec.
//
// # Command line
//
// The browseruse command (cmd/browseruse) runs a skill from a shell, with
// exit codes a script can branch on; --fake runs it against the fake server,
// offline. From a checkout of this module:
//
//	go run ./cmd/browseruse skills execute --fake 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10 -p X=10
//
// # Other operations
//
// Every operation of the spec is reachable through [Client.API], the
// generated client, which sends through the same policy: the same key
// handling, retries, limits and errors. Each ...WithResponse method returns
// the operation's documented success payload or an error, never a response
// with every field nil.
//
// # Regenerating
//
// When the API changes, replace openapi/v2.json with the spec as upstream
// publishes it and run go generate ./... . Names and Go types are adjusted in
// api/overlay.yaml, never in the spec or in gen/. Which statuses count as
// success for each operation, and which bodies are JSON, is read from the
// embedded spec at run time, and so is the shape of each JSON success body
// (its top-level type, its required properties and their types), so new
// operations need no code here.
package browseruse
