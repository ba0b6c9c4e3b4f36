#!/usr/bin/env bash
# The regeneration drill: would replacing openapi/v2.json by SPEC need any
# hand edit, and what would it change for Go callers?
#
#   scripts/drill.sh path/to/newer/v2.json      (or: make drill SPEC=...)
#   scripts/drill.sh --self                     (or: make drill-self)
#
# Copies the module (tracked files plus untracked ones git does not ignore)
# to a temporary folder, records the exported Go API of gen/ and of every
# package that imports it (the root package aliases generated types), puts
# SPEC in place of openapi/v2.json there, and runs go generate, go build,
# go vet, the unit tests and the Prism contract suite on that copy. After
# the build it compares the Go API before and after (apidiff) and the old
# spec with the new (oasdiff). The working tree is never touched.
#
# Exits non-zero on an incompatible Go change or a breaking spec change
# unless ALLOW_BREAKING=1 (a deliberate major version).
#
# --self compares the vendored spec with itself and stops after the
# comparison: no build of the commands, vet, tests or Prism. It fails on any change at all, so CI
# notices when the comparison itself stops working.
set -euo pipefail

self=0
if [[ $# -eq 1 && "$1" == --self ]]; then
	self=1
elif [[ $# -ne 1 || ! -f "$1" ]]; then
	echo "usage: $0 path/to/newer/v2.json | --self" >&2
	exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ $self -eq 1 ]]; then
	spec="$root/openapi/v2.json"
else
	spec="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi
GO="${GO:-go}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/browseruse-drill.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The drill's own files; go ./... skips folders whose names start with a dot.
state="$tmp/.drill"

cd "$root"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[[ -f "$f" ]] && cp --parents -- "$f" "$tmp" # a deleted tracked file is skipped
done
cd "$tmp"
mkdir -p "$state/api"

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

# The packages whose exported API a spec change can alter: gen/ itself and
# every library package that imports it, since an alias or a signature
# there carries the generated type to the caller.
mod="$(GOWORK=off "$GO" list -m)" # the library; go.work would list its nested modules too
# shellcheck disable=SC2016 # a Go template, not a shell expansion
pkgs="$mod/gen$("$GO" list -f '{{if ne .Name "main"}}{{range .Imports}}{{if eq . "'"$mod"'/gen"}}{{" "}}{{$.ImportPath}}{{end}}{{end}}{{end}}' ./... | tr -d '\n')"
export_api() { # export_api DIR: apidiff's export data of each package, into DIR
	mkdir -p "$1"
	for p in $pkgs; do
		"$GO" tool apidiff -w "$1/$(echo "$p" | tr / _)" "$p" || return
	done
}

step "record the Go API before regenerating" export_api "$state/api/old"
cp -- openapi/v2.json "$state/old-v2.json"
cp -- "$spec" openapi/v2.json

step "go generate ./..." "$GO" generate ./...
# --self leaves the build to apidiff, which type-checks the packages it
# compares; a full build of a fresh copy costs a minute here.
[[ $self -eq 1 ]] || step "go build ./..." "$GO" build ./...

# compare_go: apidiff per package; each change goes to incompatible.txt or
# compatible.txt, named as a caller spells it (gen.ExecuteSkillResponse.Stderr).
compare_go() {
	export_api "$state/api/new" || return
	: >"$state/incompatible.txt"
	: >"$state/compatible.txt"
	local p name out
	for p in $pkgs; do
		name="$("$GO" list -f '{{.Name}}' "$p")"
		out="$("$GO" tool apidiff "$state/api/old/$(echo "$p" | tr / _)" "$state/api/new/$(echo "$p" | tr / _)")" || return
		# apidiff prints "Incompatible changes:" and "Compatible changes:",
		# each followed by "- IDENT: what changed" lines.
		awk -v pkg="$name" -v dir="$state" '
			/^Incompatible changes:/ { f = dir "/incompatible.txt"; next }
			/^Compatible changes:/ { f = dir "/compatible.txt"; next }
			# A method added to one of the generated client interfaces
			# (ClientInterface, ClientWithResponsesInterface) is how every new
			# operation shows up. It breaks only code that implements those
			# interfaces, not code that calls them, so it is listed with the
			# compatible changes, marked, rather than failing every spec that
			# grows.
			/^- / && f && pkg == "gen" && /^- [A-Za-z0-9_]*Interface\.[A-Za-z0-9_]+: added$/ {
				sub(/^- /, ""); print "  " pkg "." $0 " (method of a generated interface: breaks only implementations of it)" >> (dir "/compatible.txt"); next
			}
			/^- / && f { sub(/^- /, ""); print "  " pkg "." $0 >> f; next }
			NF { print "drill: unexpected apidiff output: " $0 > "/dev/stderr"; bad = 1 }
			END { exit bad }' <<<"$out" || return
	done
}
# compare_spec: oasdiff's breaking changes (with rule ids) and changelog.
# Its first line is "N changes: E error, W warning, I info" or "No ...".
spec_count() { sed -nE '1s/^([0-9]+) changes?: .*/\1/p; 1s/^No .*/0/p' "$1"; }
compare_spec() {
	local flags=(--allow-external-refs=false --color never)
	"$GO" tool oasdiff breaking "${flags[@]}" "$state/old-v2.json" openapi/v2.json >"$state/breaking.txt" || return
	"$GO" tool oasdiff changelog "${flags[@]}" "$state/old-v2.json" openapi/v2.json >"$state/changelog.txt" || return
	[[ -n "$(spec_count "$state/breaking.txt")" && -n "$(spec_count "$state/changelog.txt")" ]] || {
		echo "drill: unexpected oasdiff output:" >&2
		head -3 "$state/breaking.txt" "$state/changelog.txt" >&2
		return 1
	}
}
step "compare the Go API (apidiff)" compare_go
step "compare the specs (oasdiff)" compare_spec

incompatible=$(wc -l <"$state/incompatible.txt")
compatible=$(wc -l <"$state/compatible.txt")
breaking=$(spec_count "$state/breaking.txt")
changes=$(spec_count "$state/changelog.txt")
echo
echo "go api: incompatible changes ($(echo "$pkgs" | wc -w) packages compared: $pkgs)"
if [[ $incompatible -gt 0 ]]; then cat "$state/incompatible.txt"; else echo "  none"; fi
echo "go api: compatible changes"
if [[ $compatible -gt 0 ]]; then cat "$state/compatible.txt"; else echo "  none"; fi
# oasdiff names the files it compared: our copies, which are gone when the
# drill ends, so it is told what they stand for.
show_spec() {
	sed -e "s|$state/old-v2.json|openapi/v2.json (vendored)|g" -e "s|at openapi/v2.json|at $spec|g" "$1" |
		awk 'NF { for (; b > 0; b--) print ""; print "  " $0; next } { b++ }' # no trailing blank lines
}
echo "spec: breaking changes (oasdiff breaking)"
show_spec "$state/breaking.txt"
echo "spec: every change (oasdiff changelog)"
show_spec "$state/changelog.txt"
echo

status=0
summary=""
if [[ $self -eq 0 ]]; then
	step "go vet ./..." "$GO" vet ./...
	step "unit tests" units

	out="$state/contract.out"
	echo "drill: contract suite against Prism on the new spec" >&2
	# Run in its own folder, `go test` passes on the suite's summary line.
	PRISM_PREFIX="$root/.prism" "$root/scripts/prism.sh" "$tmp/openapi/v2.json" \
		bash -c 'cd contract && "$0" test -count=1' "$GO" 2>&1 | tee "$out" || status=$?
	summary="$(grep -E '^contract: [0-9]+ operations' "$out" | tail -1 || true)"
fi

plural() { [[ $1 -eq 1 ]] && echo "$1 $2" || echo "$1 $3"; }
echo
echo "drill summary for $spec:"
if [[ $self -eq 1 ]]; then
	echo "  generate, type-check of the compared packages: ok (--self: no build, vet, tests or contract)"
else
	echo "  generate, build, vet, unit tests: ok"
	echo "  ${summary:-contract: no summary (the suite did not run to the end)}"
fi
echo "  go api: $incompatible incompatible, $compatible compatible changes"
echo "  spec: $(plural "$breaking" "breaking change" "breaking changes"), $changes in all"

breaks="$(plural "$incompatible" "incompatible Go change" "incompatible Go changes"), $(plural "$breaking" "breaking spec change" "breaking spec changes")"
if [[ $self -eq 1 ]]; then
	if [[ $((incompatible + compatible + changes)) -ne 0 ]]; then
		echo "  result: FAILED: the vendored spec compared with itself shows changes; the comparison is broken"
		exit 1
	fi
	echo "  result: ok, the comparison finds no change between the vendored spec and itself"
	exit 0
fi
if [[ $status -ne 0 ]]; then
	echo "  result: FAILED: the contract suite failed ($breaks)"
	exit "$status"
fi
if [[ $((incompatible + breaking)) -ne 0 ]]; then
	if [[ "${ALLOW_BREAKING:-}" != 1 ]]; then
		echo "  result: FAILED: $breaks; set ALLOW_BREAKING=1 if this is a deliberate major version"
		exit 1
	fi
	echo "  result: ok with no hand edits, breaking changes allowed by ALLOW_BREAKING=1: $breaks"
	exit 0
fi
echo "  result: ok, with no hand edits and no breaking changes"
