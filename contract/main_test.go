package contract

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// prismURL is the base URL of the running Prism, or "" with skipReason set.
var prismURL, skipReason string

// Counted by the pair tests and printed after the run: without -v the
// testing package prints nothing of a passing run, and the count is the
// evidence that the suite covered the spec.
var (
	operationsSeen        atomic.Int64
	prismPairs, fakePairs pairCount
	shapePairs            pairCount // (operation, status, body) triples
)

type pairCount struct{ checked, failed atomic.Int64 }

func TestMain(m *testing.M) {
	flag.Parse()
	prismURL, skipReason = findPrism()
	if skipReason != "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			fmt.Fprintf(os.Stderr, "contract: %s; CI=true, where the contract suite must run (make contract starts Prism)\n", skipReason)
			os.Exit(1)
		}
		fmt.Printf("contract: skipping the Prism contract suite: %s; run `make contract` to start Prism and run it\n", skipReason)
	}
	code := m.Run()
	if n := operationsSeen.Load(); n > 0 {
		prism := fmt.Sprintf("%d (operation, status) pairs checked against Prism, %d failed",
			prismPairs.checked.Load(), prismPairs.failed.Load())
		if skipReason != "" {
			prism = "Prism skipped"
		}
		fmt.Printf("contract: %d operations, %s; %d against the in-process fake, %d failed; "+
			"%d undocumented success bodies, %d not refused as *APIError\n",
			n, prism, fakePairs.checked.Load(), fakePairs.failed.Load(), shapePairs.checked.Load(), shapePairs.failed.Load())
	}
	os.Exit(code)
}

// findPrism reads PRISM_URL and checks that something answers HTTP there.
func findPrism() (base, whyNot string) {
	raw := os.Getenv("PRISM_URL")
	if raw == "" {
		return "", "PRISM_URL is not set"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Sprintf("PRISM_URL=%q is not a URL", raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return "", fmt.Sprintf("PRISM_URL=%q: %v", raw, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Sprintf("Prism is not reachable at %s: %v", raw, err)
	}
	resp.Body.Close()
	return raw, ""
}

func needPrism(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}
