package browseruse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go/gen"
)

// Client calls the Browser Use API. It is safe for concurrent use; build one
// with [New] and share it.
type Client struct {
	policy *policy
	api    *gen.ClientWithResponses
	// skillsURL is the base URL resolved against "./skills/" as the generated
	// request builder resolves it, kept so that a call does not parse and
	// resolve URLs again: ExecuteSkill appends "{skill_id}/execute".
	skillsURL string
}

// New returns a client for the Browser Use API.
//
// With no options it reads the key from $BROWSER_USE_API_KEY (as the official
// Browser Use SDKs do) and the base URL from $BROWSER_USE_BASE_URL, falling
// back to [DefaultBaseURL]. It fails if there is no key, or if an option's
// value is invalid.
func New(opts ...Option) (*Client, error) {
	s, err := resolveSettings(opts)
	if err != nil {
		return nil, err
	}
	base, err := parseBaseURL(s.baseURL, s.allowInsecure)
	if err != nil {
		// The URL is quoted to say what was wrong, and a key pasted into
		// it (?api_key=...) is the mistake where that would leak it.
		return nil, redactError(string(s.apiKey), err)
	}
	// A key too short to be one (a test's "k") would be found in any URL.
	// The URL as printed too: a key with a % in it shows in the escaped
	// path, not in the decoded one.
	if key := string(s.apiKey); len(key) >= 8 && (urlShowsKey(base, key) || showsKey(base.String(), key) || containsFold(base.Host, key)) {
		// It would be printed wherever the URL is: %v of the client, log
		// lines' paths, spans' url.full.
		return nil, errors.New("browseruse: the base URL holds the API key; pass the key with WithAPIKey or BROWSER_USE_API_KEY, not in the URL")
	}
	rt, err := specRoutes()
	if err != nil {
		return nil, err
	}
	p := &policy{
		hc:           httpClient(s.httpClient, base, s.httpClient != nil && !s.netHTTPOnly),
		key:          &s.apiKey,
		base:         base,
		routes:       rt,
		maxRetries:   s.maxRetries,
		timeout:      s.timeout,
		maxBody:      s.maxBody,
		maxRetryWait: s.maxRetryWait,
		logger:       s.logger,
		gate:         newGate(s.maxConcurrent, s.startLimit, !s.noSharing),
		maxSlotWait:  s.maxSlotWait,
		noSlotWait:   s.noSlotWait,
		budget:       newRetryBudget(),
		unmarshal:    s.unmarshal,
		observer:     s.observer,
	}
	server := base.String() + "/"
	api, err := gen.NewClientWithResponses(server, gen.WithHTTPClient(p))
	if err != nil {
		return nil, fmt.Errorf("browseruse: %w", err)
	}
	skills, err := url.Parse(server)
	if err == nil {
		skills, err = skills.Parse("./skills/")
	}
	if err != nil {
		return nil, fmt.Errorf("browseruse: %w", err)
	}
	c := &Client{policy: p, api: api, skillsURL: skills.String()}
	p.observer.attached(c)
	return c, nil
}

// resolveSettings applies the options over the defaults, then the
// environment for the key and the base URL where no option gave them.
func resolveSettings(opts []Option) (*settings, error) {
	s := &settings{
		maxRetries:   DefaultMaxRetries,
		timeout:      DefaultTimeout,
		maxBody:      DefaultMaxResponseBytes,
		maxRetryWait: DefaultMaxRetryWait,
		maxSlotWait:  DefaultMaxSlotWait,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if !s.apiKeySet {
		s.apiKey = secret(os.Getenv("BROWSER_USE_API_KEY"))
		if s.apiKey == "" {
			return nil, errors.New("browseruse: no API key: set BROWSER_USE_API_KEY or pass WithAPIKey")
		}
	}
	// Keys are printable ASCII. One with spaces or control characters
	// could inject headers; one with other characters would go out as
	// UTF-8 in a header, and a server echoing it JSON-escaped (\u00e9)
	// spells it in a way the redaction does not read.
	if strings.ContainsFunc(string(s.apiKey), func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, errors.New("browseruse: the API key contains spaces, control characters or characters outside ASCII; keys are printable ASCII")
	}
	if !s.baseURLSet {
		s.baseURL = os.Getenv("BROWSER_USE_BASE_URL")
		if s.baseURL == "" {
			s.baseURL = DefaultBaseURL
		}
	}
	return s, nil
}

// parseBaseURL checks the base URL. Its errors name the origin at most: a
// key pasted into the path, query or fragment (?api_key=...) is the
// mistake where quoting the URL would print it, and it need not be the
// configured key, which New redacts besides.
func parseBaseURL(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL
		}
		return nil, fmt.Errorf("browseruse: base URL: %w", err)
	}
	origin := u.Scheme + "://" + u.Host
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("browseruse: base URL: scheme %q, want https (or http for loopback)", u.Scheme)
	case u.Host == "":
		return nil, errors.New("browseruse: base URL has no host")
	case u.User != nil:
		return nil, errors.New("browseruse: base URL must not carry credentials; use WithAPIKey")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("browseruse: base URL %s...: must not have a query or fragment (not shown)", origin)
	case u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("browseruse: base URL %s... is plain http to a host that is not loopback: "+
			"the API key would cross the network unencrypted (use https, or WithInsecureHTTP to insist)", origin)
	}
	if !strings.Contains(u.Host, "%") { // an IPv6 zone is case-sensitive
		// Host names are not: lower case makes net/http's proxy exemption
		// for "localhost" apply to "LOCALHOST" too, so a loopback URL never
		// sends the key in clear text to $HTTP_PROXY.
		u.Host = strings.ToLower(u.Host)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// API returns the generated client for every operation of the spec, sending
// through the same policy as [Client.ExecuteSkill]: the key, retries, limits
// and error conversion. Each ...WithResponse method returns either the
// operation's documented success payload (JSON200, JSON201, ...) or an error:
// an [*APIError] for any other status or a body that is not what the spec
// promises.
func (c *Client) API() *gen.ClientWithResponses { return c.api }

// GateStats reports the client's gate on calls that start a browser session:
// its current limit, the calls in flight and waiting, and the 429s seen.
func (c *Client) GateStats() GateStats { return c.policy.gate.stats() }

// RetryBudget reports how many tokens the client's retry budget holds, of
// 500: a retry of a failure spends 5 (10 after a timeout), and a call that
// gets an answer puts back what its retries spent, or 1. Below 5 the client
// stops retrying (see [ErrRetryBudgetExhausted]).
func (c *Client) RetryBudget() int { return c.policy.budget.available() }

// BaseURL returns the API base URL the client sends to.
func (c *Client) BaseURL() string { return c.policy.base.String() }

// String describes the client without its key; a zero Client (a field not
// yet set) as browseruse.Client{}.
func (c Client) String() string {
	if c.policy == nil {
		return "browseruse.Client{}"
	}
	return "browseruse.Client{" + c.BaseURL() + "}"
}

// Format prints the client as [Client.String] whatever the verb, so that
// no verb reveals the key, of a Client or of a pointer to one.
func (c Client) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// ExecuteSkillRequest is the body of an Execute Skill call: the parameters
// for the skill's handler and, optionally, a session to reuse for IP
// persistence (SessionID; nil for none).
type ExecuteSkillRequest = gen.ExecuteSkillRequest

// SkillResult is a successful skill execution.
type SkillResult struct {
	// Result is the skill's output as raw JSON ("null" when it returned
	// nothing). Decode it with [SkillResult.Decode].
	Result json.RawMessage
	// LatencyMs is the execution time the API reported, 0 if it reported none.
	LatencyMs int
	// Stderr is the skill's standard error output, if any.
	Stderr string

	unmarshal func([]byte, any) error // the client's WithJSONUnmarshal
}

// Decode unmarshals the skill's result into v, which may be any type that
// JSON can fill: a struct, slice, map, scalar, or pointer (null leaves it nil).
// It decodes as json.Unmarshal does, value and error alike, only faster
// (see the README's Performance section), or with the decoder given to
// [WithJSONUnmarshal]. After an error, v may have been partly filled.
func (r *SkillResult) Decode(v any) error {
	raw := r.Result
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	unmarshal := r.unmarshal
	if unmarshal == nil {
		unmarshal = unmarshalJSON
	}
	if err := unmarshal(raw, v); err != nil {
		return fmt.Errorf("browseruse: decoding skill result into %T: %w", v, err)
	}
	return nil
}

// Result is a successful skill execution whose output was decoded into T
// during the call, by [ExecuteSkillAs].
type Result[T any] struct {
	// Value is the skill's output.
	Value T
	// LatencyMs is the execution time the API reported, 0 if it reported none.
	LatencyMs int
	// Stderr is the skill's standard error output, if any.
	Stderr string
}

// ExecuteSkill runs a skill and returns its raw result.
//
// It returns an error matching [ErrSkillFailed] (a [*SkillError]) when the
// skill ran and reported failure, and an [*APIError] for every API failure;
// see the package documentation for how statuses map to errors.
//
// Operation: POST /skills/{skill_id}/execute.
func (c *Client) ExecuteSkill(ctx context.Context, skillID uuid.UUID, req ExecuteSkillRequest) (*SkillResult, error) {
	r, err := ExecuteSkillAs[json.RawMessage](ctx, c, skillID, req)
	if err != nil {
		return nil, err
	}
	return c.skillResult(r), nil
}

func (c *Client) skillResult(r *Result[json.RawMessage]) *SkillResult {
	return &SkillResult{Result: r.Value, LatencyMs: r.LatencyMs, Stderr: r.Stderr, unmarshal: c.policy.unmarshal}
}

// ExecuteSkillAs runs a skill like [Client.ExecuteSkill] and decodes its result
// straight into T while reading the response, with no intermediate copy:
// the fast path for large results. A result that does not fit T is an
// [*APIError] wrapping the decode error.
func ExecuteSkillAs[T any](ctx context.Context, c *Client, skillID uuid.UUID, req ExecuteSkillRequest) (*Result[T], error) {
	r, _, err := executeCounted[T](ctx, c, skillID, req, nil)
	return r, err
}

// The zero UUID names no skill and no session: it is what an ID that was
// never set holds, so it is refused before anything is sent.
var (
	errNilSkillID   = errors.New("browseruse: ExecuteSkill: the skill ID is uuid.Nil (all zeros), which names no skill: pass a skill's ID, such as uuid.MustParse(\"3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10\")")
	errNilSessionID = errors.New("browseruse: ExecuteSkill: the session ID is uuid.Nil (all zeros), which names no session: leave SessionID nil for none")
)

func checkIDs(skillID uuid.UUID, req ExecuteSkillRequest) error {
	switch {
	case skillID == uuid.Nil:
		return errNilSkillID
	case req.SessionID != nil && *req.SessionID == uuid.Nil:
		return errNilSessionID
	}
	return nil
}

// newExecuteSkillRequest builds the request gen.NewExecuteSkillRequest builds
// (a test holds them equal), from the URL resolved once in [New]: parsing and
// resolving it on every call cost a third of the client's per-call overhead.
func (c *Client) newExecuteSkillRequest(ctx context.Context, skillID uuid.UUID, req ExecuteSkillRequest) (*http.Request, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.skillsURL+skillID.String()+"/execute", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	return hreq, nil
}

// skillEnvelope mirrors the ExecuteSkillResponse schema with the result typed
// as the caller wants it, so one json pass does all the work. Only success is
// a pointer, to tell a missing field from false: the others read the same
// absent, null or zero, and each pointer costs an allocation.
type skillEnvelope[T any] struct {
	Success   *bool  `json:"success"`
	Result    T      `json:"result"`
	Error     string `json:"error"`
	Stderr    string `json:"stderr"`
	LatencyMs int    `json:"latencyMs"`
}

func decodeSkillResponse[T any](p *policy, s sent) (*Result[T], error) {
	if reusesBody[T](p) {
		// What this returns, value or error, holds copies of what it needs
		// from the body, so the body can serve a later call.
		defer giveBody(s.body)
	}
	if err := p.checkSuccess(s, false); err != nil {
		return nil, err
	}
	unmarshal := p.jsonUnmarshal()
	var env skillEnvelope[T]
	if err := decodeEnvelope(p, s.body, &env); err != nil {
		// A failed skill's result need not have the shape of a good one.
		var raw skillEnvelope[json.RawMessage]
		if unmarshal(s.body, &raw) == nil && raw.Success != nil && !*raw.Success {
			return nil, skillError(raw)
		}
		return nil, p.rejected(s, fmt.Errorf("decoding ExecuteSkill response: %w", err))
	}
	if env.Success == nil {
		return nil, p.rejected(s, errors.New(`decoding ExecuteSkill response: required field "success" is missing`))
	}
	if !*env.Success {
		var raw skillEnvelope[json.RawMessage]
		_ = unmarshal(s.body, &raw) // it decoded once already
		return nil, skillError(raw)
	}
	return &Result[T]{Value: env.Result, LatencyMs: env.LatencyMs, Stderr: env.Stderr}, nil
}

func skillError(env skillEnvelope[json.RawMessage]) *SkillError {
	return &SkillError{
		Message:   env.Error,
		Stderr:    env.Stderr,
		LatencyMs: env.LatencyMs,
		Result:    env.Result,
	}
}
