package browseruse

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"Sat, 28 Nov 2026 12:01:30 GMT", 90 * time.Second, true},
		{"Saturday, 28-Nov-26 12:00:10 GMT", 10 * time.Second, true}, // RFC 850, still valid
		{"Sat, 28 Nov 2026 11:00:00 GMT", 0, true},                   // in the past: now
		// Beyond what a Duration holds: it must stay huge, never wrap
		// negative and turn into "retry at once".
		{"99999999999999999", maxRetryAfter, true},
		{"9223372036854775807", maxRetryAfter, true},
		{"", 0, false},
		{"-1", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999999", maxRetryAfter, true}, // overflows int64 too
	} {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoff_IsFullJitterUnderAGrowingCeiling(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt <= 12; attempt++ {
		ceil := min(backoffBase<<(attempt-1), backoffMax)
		var lo, hi int
		for range 400 {
			d := backoff(attempt)
			if d < 0 || d >= ceil {
				t.Fatalf("backoff(%d) = %v, outside [0, %v)", attempt, d, ceil)
			}
			if d < ceil/2 {
				lo++
			} else {
				hi++
			}
		}
		// Uniform over the whole range: both halves are hit (the chance that
		// 400 draws all miss one half is 2^-399).
		if lo == 0 || hi == 0 {
			t.Errorf("backoff(%d): %d draws below %v, %d above: not uniform over [0, ceil)", attempt, lo, ceil/2, hi)
		}
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	p := &policy{maxRetryWait: time.Minute}
	bg := context.Background()
	soon, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()

	if d, ok := p.delay(bg, 1, 30*time.Second); !ok || d != 30*time.Second {
		t.Errorf("Retry-After 30s: delay = %v, %v; want exactly the server's 30s", d, ok)
	}
	if _, ok := p.delay(bg, 1, 2*time.Minute); ok {
		t.Error("Retry-After past WithMaxRetryWait: want no retry")
	}
	if _, ok := p.delay(soon, 1, 10*time.Second); ok {
		t.Error("Retry-After past the deadline: want no retry")
	}
	if d, ok := p.delay(bg, 3, 0); !ok || d < 0 || d >= 2*time.Second {
		t.Errorf("backoff for attempt 3 = %v, %v; want a jittered wait under 2s", d, ok)
	}
	capped := &policy{maxRetryWait: time.Millisecond}
	for range 100 {
		if d, ok := capped.delay(bg, 5, 0); !ok || d > time.Millisecond {
			t.Fatalf("backoff with a 1ms cap = %v, %v; want a wait shortened to the cap, not a refusal", d, ok)
		}
	}
}

func TestRetryableStatus(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"} {
		idempotent := isIdempotent(method)
		if want := method != "POST" && method != "PATCH"; idempotent != want {
			t.Errorf("isIdempotent(%s) = %v", method, idempotent)
		}
		for _, status := range []int{400, 401, 402, 403, 404, 409, 422, 501, 505} {
			if retryableStatus(status, idempotent) {
				t.Errorf("%s %d is retried: the answer will not change", method, status)
			}
		}
		if !retryableStatus(429, idempotent) {
			t.Errorf("%s 429 is not retried: the request was refused, so it is safe", method)
		}
		for _, status := range []int{408, 500, 502, 503, 504} {
			if retryableStatus(status, idempotent) != idempotent {
				t.Errorf("%s %d: retried = %v, want %v", method, status, !idempotent, idempotent)
			}
		}
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://api.browser-use.com/api/v2")
	for _, tt := range []struct {
		target string
		want   bool
	}{
		{"https://api.browser-use.com/api/v2/skills", true},
		{"https://API.Browser-Use.com:443/other", true},
		{"http://api.browser-use.com/api/v2/skills", false},     // downgrade to plain text
		{"http://api.browser-use.com:443/api/v2/skills", false}, // same port, other scheme
		{"https://api.browser-use.com:8443/api/v2", false},      // other port
		{"https://api.browser-use.com.evil.com/api/v2", false},  // other host
		{"https://evil.com/api.browser-use.com", false},         // host in the path
		{"https://api.browser-use.com@evil.com/api/v2", false},  // host in userinfo
		{"https://xn--api-browser-use-com.evil.com/api", false}, // look-alike
		{"https://api.browser-use.com./api/v2", false},          // trailing dot: refused, not guessed
		{"https://[::1]:443/api/v2", false},
	} {
		u, err := url.Parse(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := sameOrigin(u, base); got != tt.want {
			t.Errorf("sameOrigin(%s) = %v, want %v", tt.target, got, tt.want)
		}
	}
}

func TestRedactKey(t *testing.T) {
	t.Parallel()
	key := secret("bu_secret/1")
	p := &policy{key: &key}
	resp := &http.Response{StatusCode: 401, Status: "401 bu_secret/1", Header: http.Header{
		"Content-Type": {"application/json"}, "X-Request-Id": {"bu_secret/1"}, "X-Bu_Secret/1": {"x"}}}
	// Literal, \u-escaped and \/-escaped spellings, which JSON decodes to the key.
	body := p.redactResponse(resp, []byte(`{"detail":"bad key \u0062u_s\u0065cret\/1","x":"bu_secret/1","y":"a\nbu_secret\/1"}`))
	if want := `{"detail":"bad key [redacted]","x":"[redacted]","y":"a\n[redacted]"}`; string(body) != want {
		t.Errorf("body = %s, want %s", body, want)
	}
	e := newAPIError(resp, body, nil)
	if e.Detail != "bad key [redacted]" || e.RequestID != "[redacted]" || resp.Status != "401 [redacted]" {
		t.Errorf("Detail, RequestID, Status = %q, %q, %q; want the key redacted", e.Detail, e.RequestID, resp.Status)
	}
	if _, ok := resp.Header["X-Bu_Secret/1"]; ok {
		t.Errorf("a header named for the key is kept: %v", resp.Header)
	}
	if clean := []byte(`{"a":"b\u0075"}`); &p.redactResponse(&http.Response{}, clean)[0] != &clean[0] {
		t.Error("a body without the key is copied")
	}
}
