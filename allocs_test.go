package browseruse_test

import (
	"context"
	"testing"

	"github.com/browser-use/browseruse-go"
)

// maxCallAllocs is what one in-memory ExecuteSkillAs call of a ~200-byte
// result allocates today (the hand-written net/http floor: 45). A change to
// the request path that allocates more per call must say why, here.
const maxCallAllocs = 48

// The request path's allocations are a budget: every call of every
// operation pays them. The canned transport answers without a network, so
// what is counted is the client's own cost.
func TestExecuteSkillAs_AllocationsDoNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("counts allocations over many calls")
	}
	c := newBenchClient(t, browseruse.WithBaseURL(benchBase), inMemory(smallBody))
	ctx := context.Background()
	call := func() {
		r, err := browseruse.ExecuteSkillAs[listing](ctx, c, benchSkill, benchInput)
		if err != nil || !r.Value.InStock {
			t.Fatalf("call: %v, %+v", err, r)
		}
	}
	call() // the first call builds what later calls share
	got := testing.AllocsPerRun(200, call)
	t.Logf("%v allocations per call", got)
	if got > maxCallAllocs+raceAllocs {
		t.Errorf("an in-memory ExecuteSkillAs call allocates %v times, want at most %d", got, maxCallAllocs+raceAllocs)
	}
}
