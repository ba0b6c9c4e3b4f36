package browseruse_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/browser-use/browseruse-go"
)

// TestMain fails the run if any goroutine outlives the tests: a call,
// retried or cancelled, must not leave a reader, a timer or a connection
// behind. Idle keep-alive connections of the shared transport are closed
// first, since their goroutines are a pool, not a leak.
func TestMain(m *testing.M) {
	code := m.Run()
	browseruse.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
