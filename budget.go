package browseruse

import (
	"errors"
	"sync"
)

// ErrRetryBudgetExhausted is joined to a failure the client did not retry
// because its own retry budget was spent: many calls of this client failed
// in a short time, so it stopped multiplying the load on a server that is
// down. It is not an answer from the server.
var ErrRetryBudgetExhausted = errors.New("browseruse: not retried: this client's own retry budget is exhausted " +
	"(too many of its recent calls failed); it refills as calls succeed")

// The retry budget is a token bucket shared by every call of a client, as in
// the AWS SDK v2 standard retryer and gRPC's retry throttling: a retry spends
// tokens and a success puts them back, so that during an outage each call
// sends one request, not 1 + WithMaxRetries, once the bucket is empty. 429s
// of gated operations do not spend from it: the gate handles those.
const (
	budgetTokens      = 500
	retryCost         = 5
	timeoutRetryCost  = 10
	successNoRetryAdd = 1
)

type retryBudget struct {
	mu     sync.Mutex
	tokens int
}

func newRetryBudget() *retryBudget { return &retryBudget{tokens: budgetTokens} }

// spend takes cost tokens for one retry, or reports that there are not
// enough.
func (b *retryBudget) spend(cost int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// refund ends a call that got an answer (a success, or an error the server
// chose to give, which proves it up): the tokens its retries spent come
// back, or one token if it spent none, so the bucket refills while the
// server is healthy.
func (b *retryBudget) refund(spent int) {
	if spent == 0 {
		spent = successNoRetryAdd
	}
	b.mu.Lock()
	b.tokens = min(b.tokens+spent, budgetTokens)
	b.mu.Unlock()
}

// available is how many tokens the bucket holds.
func (b *retryBudget) available() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}
