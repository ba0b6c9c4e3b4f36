package otelbrowseruse

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/browser-use/browseruse-go"
)

// opAttrs is what every call of one operation on one server shares: the
// span's name and first attributes, and the metrics' attributes. Built once
// per operation, it saves each call building them again.
type opAttrs struct {
	name      string                  // "{method} {url.template}"
	start     []trace.SpanStartOption // kind client; method, template, server.address, server.port
	base      []attribute.KeyValue    // the metrics' attributes: the same four
	metricOpt metric.MeasurementOption
	skillSeg  int // index of the {skill_id} segment in the template; -1 for none

	mu       sync.RWMutex
	byStatus map[int]metric.MeasurementOption // base with http.response.status_code, for answers that are no error
}

type opKey struct {
	method, template, scheme, host string // host as in the URL, with its port if it has one
}

// opCache maps each operation to its opAttrs. Its keys are few: the spec's
// operations times the servers the program talks to.
type opCache struct{ m sync.Map }

func (c *opCache) get(info browseruse.CallInfo) *opAttrs {
	k := opKey{method: info.Method, template: info.Template}
	if info.URL != nil {
		k.scheme, k.host = info.URL.Scheme, info.URL.Host
	}
	if v, ok := c.m.Load(k); ok {
		return v.(*opAttrs)
	}
	v, _ := c.m.LoadOrStore(k, newOpAttrs(k))
	return v.(*opAttrs)
}

func newOpAttrs(k opKey) *opAttrs {
	o := &opAttrs{name: k.method, skillSeg: -1, byStatus: map[int]metric.MeasurementOption{}}
	host, port := serverOf(&url.URL{Scheme: k.scheme, Host: k.host})
	o.base = []attribute.KeyValue{
		attribute.String("http.request.method", k.method),
		attribute.String("server.address", host),
		attribute.Int("server.port", port),
	}
	if k.template != "" {
		o.name += " " + k.template
		o.base = append(o.base, attribute.String("url.template", k.template))
		for i, seg := range strings.Split(strings.Trim(k.template, "/"), "/") {
			if seg == "{skill_id}" {
				o.skillSeg = i
			}
		}
	}
	o.start = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(o.base...)}
	o.metricOpt = metric.WithAttributeSet(attribute.NewSet(o.base...))
	return o
}

// withStatus is the metrics' attributes of an answer with status that is
// no error, built once per status.
func (o *opAttrs) withStatus(status int) metric.MeasurementOption {
	o.mu.RLock()
	opt, ok := o.byStatus[status]
	o.mu.RUnlock()
	if ok {
		return opt
	}
	kvs := append(slices.Clip(o.base), attribute.Int("http.response.status_code", status))
	opt = metric.WithAttributeSet(attribute.NewSet(kvs...))
	o.mu.Lock()
	o.byStatus[status] = opt
	o.mu.Unlock()
	return opt
}

// measure is the metrics' attributes of an attempt or a call that ended
// with status (0 for none) and errType ("" for no error).
func (o *opAttrs) measure(status int, errType string) metric.MeasurementOption {
	switch {
	case errType == "" && status == 0:
		return o.metricOpt
	case errType == "":
		return o.withStatus(status)
	}
	kvs := append(slices.Clip(o.base), attribute.String("error.type", errType))
	if status > 0 {
		kvs = append(kvs, attribute.Int("http.response.status_code", status))
	}
	return metric.WithAttributes(kvs...)
}

// skillID is the {skill_id} segment of path, "" when the operation has none.
func (o *opAttrs) skillID(path string) string {
	if o.skillSeg < 0 {
		return ""
	}
	rest := strings.Trim(path, "/")
	var seg string
	for range o.skillSeg + 1 {
		seg, rest, _ = strings.Cut(rest, "/")
	}
	if id, err := url.PathUnescape(seg); err == nil {
		return id // no copy when nothing was escaped
	}
	return ""
}

// serverOf is the host and port a URL names, the port made explicit.
func serverOf(u *url.URL) (string, int) {
	if u == nil {
		return "", 0
	}
	if port, err := strconv.Atoi(u.Port()); err == nil {
		return u.Hostname(), port
	}
	if u.Scheme == "http" {
		return u.Hostname(), 80
	}
	return u.Hostname(), 443
}

// fullURL is the request's URL without its query and fragment: the API's
// queries are filters, and nothing here needs them.
func fullURL(info browseruse.CallInfo) string {
	if info.URL == nil {
		return ""
	}
	return info.URL.Scheme + "://" + info.URL.Host + info.URL.EscapedPath()
}

// errorType is the error.type of a failed call or attempt, from a fixed
// few values as the conventions ask: the status code when the API answered
// with an error, else what kind of failure it was.
func errorType(status int, err error) string {
	var apiErr *browseruse.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode > 0:
		return strconv.Itoa(apiErr.StatusCode)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case isTimeout(err):
		return "timeout"
	case errors.Is(err, browseruse.ErrTooManyRequests):
		return "no_slot" // the gate gave up before any refusal
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case status >= 400:
		return strconv.Itoa(status)
	}
	return "_OTHER"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
