package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestCommandVersion_ModuleVersionElseRevision(t *testing.T) {
	t.Parallel()
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "8ae31f6c0ffee0123456789abcdef0123456789a"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tc := range []struct {
		name    string
		main    string
		setting []debug.BuildSetting
		want    string
	}{
		{"go install @tag", "v1.2.3", nil, "browseruse v1.2.3"},
		{"stamped checkout", "v0.0.0-20261129111117-363d4029a3c4", []debug.BuildSetting{rev}, "browseruse v0.0.0-20261129111117-363d4029a3c4"},
		{"revision only", "(devel)", []debug.BuildSetting{rev}, "browseruse devel (8ae31f6c0ffe)"},
		{"modified tree", "(devel)", []debug.BuildSetting{rev, dirty}, "browseruse devel (8ae31f6c0ffe, modified)"},
		{"nothing recorded", "(devel)", nil, "browseruse devel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bi := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: tc.main}, Settings: tc.setting}
			got := commandVersion(func() (*debug.BuildInfo, bool) { return bi, true })
			want := tc.want + "\ngo1.99 " + runtime.GOOS + "/" + runtime.GOARCH
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if got := commandVersion(func() (*debug.BuildInfo, bool) { return nil, false }); !strings.HasPrefix(got, "browseruse devel\n") {
		t.Errorf("without build info: %q", got)
	}
}
