package contract

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// TestFakeEveryDocumentedStatus runs the Prism checks against the
// in-process fake (no Prism needed), with a reply built from the spec for each documented
// status. It holds the fake to the same spec as Prism: the fake must accept
// every request Prism accepts, and every reply the spec allows, with every
// field set, must reach the caller as the payload or error Prism's did.
func TestFakeEveryDocumentedStatus(t *testing.T) {
	s := loadSpec(t)
	operationsSeen.Store(int64(len(s.ops)))
	srv := browserusetest.NewServer()
	t.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := srv.Client(
		browseruse.WithHTTPClient(&http.Client{Transport: recorder{next: tr}}),
		browseruse.WithMaxRetries(0),
		browseruse.WithoutSlotWait(), // a scripted 429 would be waited out
		browseruse.WithTimeout(callTimeout),
	)
	if err != nil {
		t.Fatal(err)
	}
	bindings, _ := bind(c, s) // TestEveryDocumentedStatus reports binding problems
	for _, op := range s.ops {
		for _, status := range op.Statuses {
			fakePairs.checked.Add(1)
			ok := t.Run(op.ID+"/"+strconv.Itoa(status), func(t *testing.T) {
				b := bindings[op]
				if b == nil {
					t.Fatalf("no generated method for %s %s", op.Method, op.Template)
				}
				reply := browserusetest.Reply{Status: status}
				if sch := op.Schemas[status]; sch != nil {
					body, err := s.instance(sch, every)
					if err != nil {
						t.Fatalf("building the %d reply: %v", status, err)
					}
					reply.JSON = body
				}
				before := len(srv.Violations())
				srv.Enqueue(reply)
				checkStatus(t, s, op, b, status)
				for _, v := range srv.Violations()[before:] {
					t.Errorf("the fake refused a reply built from the spec: %v", v)
				}
			})
			if !ok {
				fakePairs.failed.Add(1)
			}
		}
	}
}
