package browseruse

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// log writes one line per attempt, at debug level whatever its outcome:
// what the client handles itself (a refusal waited out, a retry) is no news
// to the application, and the failure a call returns reaches the caller as
// its error, to report once, not twice. retryIn < 0 means no retry follows.
// Only the method, the path, the status and the transport's error go in:
// never a header or a body.
func (p *policy) log(ctx context.Context, req *http.Request, status, attempt int, start time.Time, err error, retryIn time.Duration, extra ...slog.Attr) {
	if p.logger == nil {
		return
	}
	const level = slog.LevelDebug
	if !p.logger.Enabled(ctx, level) {
		return // a service logging at info pays nothing for the client's lines
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("duration", time.Since(start)),
	}
	if retryIn >= 0 {
		attrs = append(attrs, slog.Duration("retry_in", retryIn))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	attrs = append(attrs, extra...)
	p.logger.LogAttrs(ctx, level, "browseruse request", attrs...)
}
