package browseruse

import (
	"net/http"
	"runtime"
	"runtime/debug"
)

// modulePath is this module's path, to find its version in the build
// information of whatever program links it.
const modulePath = "github.com/browser-use/browseruse-go"

// userAgent names this client on every request, so the API's operators can
// tell it, and its version, from any other Go program when a user asks for
// support: browseruse-go/VERSION (goX.Y.Z; GOOS/GOARCH).
var userAgent = "browseruse-go/" + moduleVersion(debug.ReadBuildInfo) +
	" (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"

// userAgentValue is the header value when the caller set none. It is shared
// by every request: net/http only reads it, and Header.Set and Add replace or
// grow the slice rather than write into it, so one value saves an allocation
// per call.
var userAgentValue = []string{userAgent}

// moduleVersion is this module's version as the build recorded it: the
// main module's when this is the program being built (its own command or its
// tests), else the dependency's. "devel" when the build knows none.
func moduleVersion(read func() (*debug.BuildInfo, bool)) string {
	bi, ok := read()
	if !ok {
		return "devel"
	}
	v := ""
	if bi.Main.Path == modulePath {
		v = bi.Main.Version
	} else {
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
				break
			}
		}
	}
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}

// userAgentFor is the User-Agent a request goes out with: ours, after the
// caller's own when they set one, as products are listed in RFC 9110
// (most significant first), so their application still names itself.
func userAgentFor(h http.Header) []string {
	if theirs := h.Get("User-Agent"); theirs != "" {
		return []string{theirs + " " + userAgent}
	}
	return userAgentValue
}
