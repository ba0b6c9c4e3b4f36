#!/usr/bin/env bash
# Measures the "Running many skills" table of the README: each scenario
# against one fake process (scripts/manyskills/fake: limit 8 concurrent
# sessions, 100 ms skills), driven by
#   - this client as of BEFORE (default: the last main before the gate),
#   - this client as of the working tree,
#   - the official TypeScript SDK (scripts/manyskills/ts, pinned), when
#     node and npm are on PATH (SKIP_TS=1 to skip).
# Prints one line per run: failures, refusals the fake sent, wall time and
# its ratio to the ideal (256 calls / 8 at once x 100 ms = 3.2 s).
# REPEAT=n runs each scenario n times (the two-client row varies by run).
# Not part of `make test`: it takes about a minute and measures time.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BEFORE=${BEFORE:-173d8c3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$GO build -o "$tmp/fake" ./scripts/manyskills/fake
$GO build -o "$tmp/after" ./scripts/manyskills/godriver
mkdir "$tmp/before"
git archive "$BEFORE" | tar -x -C "$tmp/before"
mkdir -p "$tmp/before/scripts/manyskills"
cp -r scripts/manyskills/godriver "$tmp/before/scripts/manyskills/"
(cd "$tmp/before" && $GO build -o "$tmp/beforebin" ./scripts/manyskills/godriver)

ts=
if [[ -z "${SKIP_TS:-}" ]] && command -v node >/dev/null && command -v npm >/dev/null; then
	(cd scripts/manyskills/ts && { [[ -d node_modules ]] || npm ci --silent --no-audit --no-fund; }) && ts=1
fi

# run NAME FAKEFLAGS -- DRIVER ARGS...: one fake, one driver, one line.
run() {
	local name=$1 fakeflags=$2; shift 3
	coproc FAKE { "$tmp/fake" $fakeflags; }
	local url
	read -r url <&"${FAKE[0]}"
	local out
	out=$("$@" -url "$url")
	exec {FAKE[1]}>&-
	local stats
	read -r stats <&"${FAKE[0]}"
	wait "$FAKE_PID" || true
	printf '%-34s %s %s\n' "$name" "$out" "$stats"
}

drivers=(before after)
[[ -n $ts ]] && drivers+=(ts)
for d in "${drivers[@]}"; do
	case $d in
	before) bin=("$tmp/beforebin") ;;
	after) bin=("$tmp/after") ;;
	ts) bin=(node scripts/manyskills/ts/driver.mjs) ;;
	esac
	for _ in $(seq "${REPEAT:-1}"); do
		run "$d one client 64x256" "-limit 8 -latency 100ms" -- "${bin[@]}" -clients 1 -goroutines 64 -calls 256
		run "$d two clients 2x32x128" "-limit 8 -latency 100ms" -- "${bin[@]}" -clients 2 -goroutines 32 -calls 128
		run "$d limit held 3 s, one call" "-limit 8 -latency 100ms -hold 8 -hold-for 3s" -- "${bin[@]}" -clients 1 -goroutines 1 -calls 1
	done
done
