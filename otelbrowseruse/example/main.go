// Command example shows the spans of one call that the API refuses once for
// the account's concurrency limit (429) and then admits, as OpenTelemetry's
// stdout exporter prints them. It runs against the built-in fake, offline:
//
//	go run ./otelbrowseruse/example
//
// The call's span ("POST /skills/{skill_id}/execute") is a child of the
// program's own ("checkout"), and has a browseruse.refused event, a
// browseruse.gate.wait event for the backoff, and browseruse.attempts 2.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
	"github.com/browser-use/browseruse-go/otelbrowseruse"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	exp, err := stdouttrace.New(stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	// WithSyncer exports each span as it ends: right for a demonstration,
	// where a service would use WithBatcher.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	srv := browserusetest.NewServer()
	defer srv.Close()
	// The first answer: the account has no session free.
	srv.Enqueue(browserusetest.Reply{Status: http.StatusTooManyRequests,
		JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})

	c, err := srv.Client(otelbrowseruse.WithTelemetry(otelbrowseruse.WithTracerProvider(tp)))
	if err != nil {
		return err
	}
	ctx, span := tp.Tracer("example").Start(context.Background(), "checkout")
	defer span.End()
	skill := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	_, err = c.ExecuteSkill(ctx, skill, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"X": 10}})
	return err
}
