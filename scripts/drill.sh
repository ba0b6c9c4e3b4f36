#!/usr/bin/env bash
# The regeneration drill: would replacing openapi/v2.json by SPEC need any
# hand edit?
#
#   scripts/drill.sh path/to/newer/v2.json      (or: make drill SPEC=...)
#
# Copies the module (tracked files plus untracked ones git does not ignore)
# to a temporary folder, puts SPEC in place of openapi/v2.json there, and runs
# go generate, go build, go vet, the unit tests and the Prism contract suite
# on that copy. The working tree is never touched.
set -euo pipefail

if [[ $# -ne 1 || ! -f "$1" ]]; then
	echo "usage: $0 path/to/newer/v2.json" >&2
	exit 2
fi
spec="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
root="$(cd "$(dirname "$0")/.." && pwd)"
GO="${GO:-go}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/browseruse-drill.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cd "$root"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[[ -f "$f" ]] && cp --parents -- "$f" "$tmp" # a deleted tracked file is skipped
done
cp -- "$spec" "$tmp/openapi/v2.json"
cd "$tmp"

step() { # step NAME COMMAND...: runs COMMAND, stops the drill if it fails
	local name="$1"
	shift
	echo "drill: $name" >&2
	if ! "$@"; then
		echo "drill: FAILED at $name with $spec" >&2
		exit 1
	fi
}
# Every package but the contract suite, which needs Prism and runs last.
units() { "$GO" test -count=1 $("$GO" list ./... | grep -v '/contract$'); }

step "go generate ./..." "$GO" generate ./...
step "go build ./..." "$GO" build ./...
step "go vet ./..." "$GO" vet ./...
step "unit tests" units

out="$tmp/contract.out"
echo "drill: contract suite against Prism on the new spec" >&2
# Run in its own folder, `go test` passes on the suite's summary line.
status=0
PRISM_PREFIX="$root/.prism" "$root/scripts/prism.sh" "$tmp/openapi/v2.json" \
	bash -c 'cd contract && "$0" test -count=1' "$GO" 2>&1 | tee "$out" || status=$?

summary="$(grep -E '^contract: [0-9]+ operations' "$out" | tail -1 || true)"
echo
echo "drill summary for $spec:"
echo "  generate, build, vet, unit tests: ok"
echo "  ${summary:-contract: no summary (the suite did not run to the end)}"
if [[ $status -ne 0 ]]; then
	echo "  result: FAILED"
	exit "$status"
fi
echo "  result: ok, with no hand edits"
