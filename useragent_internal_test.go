package browseruse

import (
	"runtime/debug"
	"testing"
)

func TestModuleVersion_FromBuildInfo(t *testing.T) {
	t.Parallel()
	info := func(bi *debug.BuildInfo) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) { return bi, bi != nil }
	}
	cases := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build information", nil, "devel"},
		{"this module's own command, released", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.3"}}, "v1.2.3"},
		{"this module's own command, from a checkout", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, "devel"},
		{"a program that depends on it", &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v9.0.0"},
			Deps: []*debug.Module{{Path: "golang.org/x/net", Version: "v0.1.0"}, {Path: modulePath, Version: "v0.4.1"}}}, "v0.4.1"},
		{"a program without it in its build list", &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v9.0.0"}}, "devel"},
	}
	for _, tc := range cases {
		if got := moduleVersion(info(tc.bi)); got != tc.want {
			t.Errorf("%s: version %q, want %q", tc.name, got, tc.want)
		}
	}
}
