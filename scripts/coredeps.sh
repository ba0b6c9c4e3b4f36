#!/usr/bin/env bash
# Checks what a program that imports only the library costs its build: it
# builds such a program's go.mod in a temporary folder (outside the
# workspace) and fails if `go list -m all` lists a module of FORBIDDEN, a
# regular expression: by default OpenTelemetry's, which only otelbrowseruse
# may bring in. Prints the module count. Also fails if a nested module's
# go.mod has a replace directive.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
forbidden=${FORBIDDEN:-'^go\.opentelemetry\.io/'}
root=$PWD
# The nested modules must carry no replace: `go install ...@version` refuses
# a module that does, and go.work holds the ones development needs.
for m in otelbrowseruse/go.mod cmd/browseruse/go.mod; do
	if grep -Eq '^[[:space:]]*replace([[:space:]]|\(|$)' "$m"; then
		echo "$m has a replace directive: go install ...@latest would refuse the module; put it in go.work" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/main.go" <<'GO'
package main

import "github.com/browser-use/browseruse-go"

func main() { _, _ = browseruse.New() }
GO
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
echo "a program importing only the library: $(echo "$mods" | wc -l) modules in go list -m all"
if bad=$(echo "$mods" | grep -E "$forbidden"); then
	echo "it lists modules it must not ($forbidden):" >&2
	echo "$bad" >&2
	exit 1
fi
