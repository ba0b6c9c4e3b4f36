package otelbrowseruse

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/browser-use/browseruse-go"
)

// opAttrs is what every call of one operation on one server shares: the
// span's name and first attributes, and the metrics' attributes. Built once
// per operation, it saves each call building them again.
type opAttrs struct {
	name      string               // "{method} {url.template}"
	span      []attribute.KeyValue // method, template, server.address, server.port
	base      []attribute.KeyValue // the metrics' attributes: the same
	set       attribute.Set        // base as a set
	metricOpt metric.MeasurementOption
	skillSeg  int // index of the {skill_id} segment in the template; -1 for none
}

type opKey struct {
	method, template, host string
	port                   int
}

// opCache maps each operation to its opAttrs. Its keys are few: the spec's
// operations times the servers the program talks to.
type opCache struct{ m sync.Map }

func (c *opCache) get(info browseruse.CallInfo) *opAttrs {
	host, port := serverOf(info.URL)
	k := opKey{info.Method, info.Template, host, port}
	if v, ok := c.m.Load(k); ok {
		return v.(*opAttrs)
	}
	v, _ := c.m.LoadOrStore(k, newOpAttrs(k))
	return v.(*opAttrs)
}

func newOpAttrs(k opKey) *opAttrs {
	o := &opAttrs{name: k.method, skillSeg: -1}
	o.base = []attribute.KeyValue{
		attribute.String("http.request.method", k.method),
		attribute.String("server.address", k.host),
		attribute.Int("server.port", k.port),
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
	o.span = o.base
	o.set = attribute.NewSet(o.base...)
	o.metricOpt = metric.WithAttributeSet(o.set)
	return o
}

// skillID is the {skill_id} segment of path, "" when the operation has none.
func (o *opAttrs) skillID(path string) string {
	if o.skillSeg < 0 {
		return ""
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if o.skillSeg >= len(segs) {
		return ""
	}
	id, err := url.PathUnescape(segs[o.skillSeg])
	if err != nil {
		return ""
	}
	return id
}

// serverOf is the host and port a URL names, the port made explicit.
func serverOf(u *url.URL) (string, int) {
	if u == nil {
		return "", 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = 443
		if u.Scheme == "http" {
			port = 80
		}
	}
	return u.Hostname(), port
}

// fullURL is the request's URL without its query and fragment: the API's
// queries are filters, and nothing here needs them.
func fullURL(info browseruse.CallInfo) string {
	if info.URL == nil {
		return ""
	}
	u := url.URL{Scheme: info.URL.Scheme, Host: info.URL.Host, Path: info.URL.Path, RawPath: info.URL.RawPath}
	return u.String()
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
