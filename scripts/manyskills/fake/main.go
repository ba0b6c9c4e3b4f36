// Command fake serves browserusetest's fake API with a plan's limits, for
// scripts/manyskills.sh: one process that this client (built from any
// commit) and the TypeScript SDK can both be driven against.
//
// It prints its base URL on the first line of stdout, then, when stdin is
// closed, the fake's Stats as one JSON line, and exits.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/browser-use/browseruse-go/browserusetest"
)

func main() {
	limit := flag.Int("limit", 8, "concurrent sessions of the plan")
	latency := flag.Duration("latency", 100*time.Millisecond, "time each skill takes")
	hold := flag.Int("hold", 0, "sessions held by someone else from the start")
	holdFor := flag.Duration("hold-for", 0, "how long they are held (0: until exit)")
	flag.Parse()

	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(*limit)
	srv.SetLatency(*latency)
	if *hold > 0 {
		release := srv.HoldSessions(*hold)
		if *holdFor > 0 {
			time.AfterFunc(*holdFor, release)
		}
	}
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
	b, _ := json.Marshal(srv.Stats())
	fmt.Println(string(b))
}
