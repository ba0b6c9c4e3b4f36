#!/usr/bin/env bash
# go mod tidy for every module of the repository. The nested modules
# (otelbrowseruse, cmd/browseruse) require this repository's modules at a
# placeholder version that go.work points at the tree; `go mod tidy` reads
# no go.work, so for its run each gets the same replaces in its own go.mod,
# taken out again after: a module installed with @latest may carry none.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
placeholder=v0.0.0-00010101000000-000000000000
root=github.com/browser-use/browseruse-go

GOWORK=off $go mod tidy
# The tools require nothing of this repository.
(cd tools && GOWORK=off $go mod tidy)
for dir in otelbrowseruse cmd/browseruse; do
	[[ -f $dir/go.mod ]] || continue
	(
		cd "$dir"
		up=$(realpath --relative-to=. ..)
		[[ $dir == cmd/browseruse ]] && up=../..
		reps=(-replace "$root@$placeholder=$up")
		[[ $dir != otelbrowseruse ]] && reps+=(-replace "$root/otelbrowseruse@$placeholder=$up/otelbrowseruse")
		trap '$go mod edit -dropreplace "$root@$placeholder" -dropreplace "$root/otelbrowseruse@$placeholder" 2>/dev/null || true' EXIT
		$go mod edit "${reps[@]}"
		GOWORK=off $go mod tidy
	)
done
