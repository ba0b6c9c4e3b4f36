package browseruse

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// DefaultBaseURL is the production API, used when neither [WithBaseURL] nor
// $BROWSER_USE_BASE_URL says otherwise.
const DefaultBaseURL = "https://api.browser-use.com/api/v2"

// Defaults for the limits an [Option] can change.
const (
	DefaultMaxRetries       = 2
	DefaultTimeout          = 10 * time.Minute // per attempt: skills can run for minutes
	DefaultMaxResponseBytes = 64 << 20
	DefaultMaxRetryWait     = 60 * time.Second
	DefaultMaxSlotWait      = 10 * time.Minute
)

// An Option configures a [Client] in [New]. Options are checked there, so a
// bad value fails at construction, not at the first call.
type Option func(*settings) error

type settings struct {
	apiKey        secret
	apiKeySet     bool
	baseURL       string
	baseURLSet    bool
	httpClient    *http.Client
	netHTTPOnly   bool // httpClient's transport is net/http's own code (tests: export_test.go)
	maxRetries    int
	timeout       time.Duration
	maxBody       int64
	maxRetryWait  time.Duration
	allowInsecure bool
	logger        *slog.Logger
	maxConcurrent int
	startLimit    int
	maxSlotWait   time.Duration
	noSlotWait    bool
	noSharing     bool
	unmarshal     func([]byte, any) error
	observer      *Observer
}

// WithAPIKey sets the key sent as X-Browser-Use-API-Key. By default [New]
// reads $BROWSER_USE_API_KEY.
func WithAPIKey(key string) Option {
	return func(s *settings) error {
		if key == "" {
			return errors.New("browseruse: WithAPIKey: empty key")
		}
		s.apiKey, s.apiKeySet = secret(key), true
		return nil
	}
}

// WithBaseURL sets the API's base URL, such as a fake server's. By default it
// is $BROWSER_USE_BASE_URL, or [DefaultBaseURL]. A plain http:// URL is only
// accepted for a loopback host unless [WithInsecureHTTP] is also given: the
// key would travel in clear text.
func WithBaseURL(rawURL string) Option {
	return func(s *settings) error {
		s.baseURL, s.baseURLSet = rawURL, true
		return nil
	}
}

// WithHTTPClient makes the client send its requests through hc. The caller's
// client, transport and timeout are kept; the client's policy (key, redirects,
// retries, limits) wraps them. hc itself is not modified.
//
// hc's transport must send each request it is given at most once: one that
// fails over or hedges a POST between servers runs a skill on each that
// accepts it, and the client, which sees only the answer it returns, takes
// a 429 from the second for the first's (README: Retries).
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("browseruse: WithHTTPClient: nil client")
		}
		s.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how many times a request that cannot have executed is
// sent again (default [DefaultMaxRetries]); 0 disables retries.
func WithMaxRetries(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return fmt.Errorf("browseruse: WithMaxRetries: %d is negative", n)
		}
		s.maxRetries = n
		return nil
	}
}

// WithTimeout bounds each attempt, from sending the request to reading the
// whole response (default [DefaultTimeout]). The call's context bounds the
// whole call, retries included; 0 leaves only the context.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("browseruse: WithTimeout: %v is negative", d)
		}
		s.timeout = d
		return nil
	}
}

// WithMaxResponseBytes caps how much of a response body is read (default
// [DefaultMaxResponseBytes]), after any transparent decompression. A larger
// body fails the call with a clear error instead of exhausting memory.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return fmt.Errorf("browseruse: WithMaxResponseBytes: %d is not positive", n)
		}
		s.maxBody = n
		return nil
	}
}

// WithMaxRetryWait caps how long the client waits before one retry, whatever
// the server's Retry-After says (default [DefaultMaxRetryWait]). A server
// asking for longer ends the call with its error instead.
func WithMaxRetryWait(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("browseruse: WithMaxRetryWait: %v is not positive", d)
		}
		s.maxRetryWait = d
		return nil
	}
}

// WithMaxConcurrency caps how many calls that start a browser session (every
// operation whose spec documents a 429, Execute Skill among them) the client
// runs at once. Give your plan's limit of concurrent sessions and, with no
// other process using the account, the API never refuses a call. Without it
// the client starts at the smallest plan's limit (10) and learns the limit
// from the API's 429s, up to the largest plan's (1,000): a plan above that
// must be named here. See the package documentation, "Concurrency limit".
func WithMaxConcurrency(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return fmt.Errorf("browseruse: WithMaxConcurrency: %d is not positive", n)
		}
		s.maxConcurrent = n
		return nil
	}
}

// WithStartingLimit starts the gate at n calls at once instead of the
// smallest plan's 10, for a program that remembers the plan a client
// learned in an earlier run ([GateStats].Plan) or knows it roughly: the plan
// is used from the first call, with no ramp and no overshoot. Unlike
// [WithMaxConcurrency], n is not a ceiling: past it the client probes one
// call at a time for more sessions, as after a refusal, and a first refusal
// below it sets the limit to what the API held. So a remembered n that is
// too low costs a few probes and a ramp, one too high one overshoot by the
// difference. n above the largest plan (1,000) is cut to it.
func WithStartingLimit(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return fmt.Errorf("browseruse: WithStartingLimit: %d is not positive", n)
		}
		s.startLimit = n
		return nil
	}
}

// WithMaxSlotWait bounds how long a call waits for a session slot while the
// client makes no progress (default [DefaultMaxSlotWait]): no call of the
// client succeeds and the API keeps refusing. The call then fails with an
// error matching [ErrTooManyRequests]. A call queued behind the client's own
// calls with no refusal in the window (they keep finishing, or are all still
// running) waits as long as its context allows.
func WithMaxSlotWait(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("browseruse: WithMaxSlotWait: %v is not positive", d)
		}
		s.maxSlotWait = d
		return nil
	}
}

// WithoutSlotWait makes a call the API refused for the concurrency limit
// (429) fail at once, and lets every call go out without waiting for a slot:
// for callers with their own queue. The error matches [ErrTooManyRequests].
// With [WithMaxConcurrency] too, a call made while that many are in flight
// fails the same way at once, without being sent.
func WithoutSlotWait() Option {
	return func(s *settings) error {
		s.noSlotWait = true
		return nil
	}
}

// WithoutSharing makes the client keep every session of the account's
// plan it can get. By default a client holding its whole limit with calls
// waiting leaves a session free for a moment twice a second (one that keeps
// 10 calls or more in flight with none waiting, as a batch capped at or
// below the plan does, once a second for skills under 2 s), so that
// another client of the
// account (a service beside a batch) is not shut out,
// and gives way when refusals show others holding sessions (see the package
// documentation, "Concurrency limit"). For a batch that must have the whole
// plan, and knows nothing else needs it.
func WithoutSharing() Option {
	return func(s *settings) error {
		s.noSharing = true
		return nil
	}
}

// WithInsecureHTTP allows a plain http:// base URL on a host that is not
// loopback. The API key then crosses the network unencrypted.
func WithInsecureHTTP() Option {
	return func(s *settings) error {
		s.allowInsecure = true
		return nil
	}
}

// WithLogger logs one record per HTTP attempt with its method, path, status,
// attempt number and duration, at debug level (with retry_in, the wait, for
// a failure that will be retried): the client logs nothing at info or above,
// since what it handles itself is no news and what it does not is the
// call's error, for the caller to report. The key is never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithJSONUnmarshal makes [ExecuteSkillAs] and [SkillResult.Decode] decode
// with unmarshal, which has the signature of json.Unmarshal, instead of the
// client's own decoder (encoding/json's semantics, several times faster; see
// the README). unmarshal decodes the whole response, envelope included, and
// must be safe for concurrent use. The generated client of [Client.API]
// decodes with encoding/json whatever this option says.
func WithJSONUnmarshal(unmarshal func(data []byte, v any) error) Option {
	return func(s *settings) error {
		if unmarshal == nil {
			return errors.New("browseruse: WithJSONUnmarshal: nil function")
		}
		s.unmarshal = unmarshal
		return nil
	}
}

// secret holds the API key. It prints as [redacted] whatever the verb, so a
// key cannot reach a log through fmt.
type secret string

func (secret) String() string                  { return "[redacted]" }
func (secret) GoString() string                { return `"[redacted]"` }
func (s secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, "[redacted]") }
func (s secret) LogValue() slog.Value          { return slog.StringValue("[redacted]") }
