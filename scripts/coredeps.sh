#!/usr/bin/env bash
# Checks what a program that imports only the library costs its build: it
# builds such a program's go.mod in a temporary folder (outside the
# workspace) and fails if `go list -m all` lists a module of FORBIDDEN, a
# regular expression: by default OpenTelemetry's, which only otelbrowseruse
# may bring in, and those of the developer tools (tools/go.mod: the code
# generator, the drill's diff tools, benchstat) and of the command (cobra,
# mpb). Prints the module count. Also fails if a nested module's go.mod has
# a replace directive.
#
#   scripts/coredeps.sh [ROOT]    ROOT: another checkout to count (default: this one)
#   WITH_TEST=1 scripts/coredeps.sh    the program imports browserusetest too
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
tools='^github\.com/oapi-codegen/oapi-codegen/|^github\.com/oasdiff/|^github\.com/getkin/kin-openapi |^golang\.org/x/exp |^golang\.org/x/perf |^github\.com/yuin/goldmark '
cli='^github\.com/spf13/(cobra|viper) |^github\.com/vbauerster/'
forbidden=${FORBIDDEN:-"^go\.opentelemetry\.io/|$tools|$cli"}
root=$(realpath "${1:-$PWD}")
# The nested modules must carry no replace: `go install ...@version` refuses
# a module that does, and go.work holds the ones development needs.
for m in "$root"/otelbrowseruse/go.mod "$root"/cmd/browseruse/go.mod; do
	if [[ -f $m ]] && grep -Eq '^[[:space:]]*replace([[:space:]]|\(|$)' "$m"; then
		echo "$m has a replace directive: go install ...@latest would refuse the module; put it in go.work" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${WITH_TEST:-} ]]; then
	cat >"$tmp/main.go" <<'GO'
package main

import (
	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

func main() { s := browserusetest.NewServer(); defer s.Close(); _, _ = browseruse.New() }
GO
else
	cat >"$tmp/main.go" <<'GO'
package main

import "github.com/browser-use/browseruse-go"

func main() { _, _ = browseruse.New() }
GO
fi
cat >"$tmp/go.mod" <<GOMOD
module example.com/coreonly

go 1.26.0

require github.com/browser-use/browseruse-go v0.0.0-00010101000000-000000000000

replace github.com/browser-use/browseruse-go => $root
GOMOD
cd "$tmp"
export GOWORK=off GOFLAGS=-mod=mod
"$go" mod tidy >/dev/null 2>&1 || "$go" mod tidy
mods=$("$go" list -m all)
what="only the library"
[[ -n ${WITH_TEST:-} ]] && what="the library and browserusetest"
echo "a program importing $what: $(echo "$mods" | wc -l) modules in go list -m all"
if bad=$(echo "$mods" | grep -E "$forbidden"); then
	echo "it lists modules it must not ($forbidden):" >&2
	echo "$bad" >&2
	exit 1
fi
