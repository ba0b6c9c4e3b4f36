#!/usr/bin/env bash
# What telemetry costs a call, for the README: BenchmarkTelemetry of
# otelbrowseruse (the client through an in-memory RoundTripper without the
# option, with it on no-op providers, and with the SDK recording) measured
# in CPU time, user plus system, not wall time, which a shared machine
# makes swing by 3x. Each figure is the difference between a run of N+5000
# calls and one of 5000, so start-up cancels; the three are interleaved,
# ROUNDS times. `time` counts in 10 ms steps: 0.3 us a call at N=30000.
#
#   scripts/otelbench.sh            # N=30000, 6 rounds, about a minute
#   N=60000 ROUNDS=10 scripts/otelbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
n=${N:-30000}
rounds=${ROUNDS:-6}
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
"$go" test -c -o "$bin" ./otelbrowseruse/
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 1; }

cpu() { # CPU seconds of one run of impl $1 for $2 calls
	{ /usr/bin/time -f '%U %S' "$bin" -test.run '^$' -test.bench "BenchmarkTelemetry/impl=$1\$" \
		-test.benchtime "${2}x" >/dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}'
}
per() { # CPU seconds a call of impl $1
	local hi lo
	hi=$(cpu "$1" $((n + 5000)))
	lo=$(cpu "$1" 5000)
	awk -v h="$hi" -v l="$lo" -v n="$n" 'BEGIN { print (h - l) / n }'
}
"$bin" -test.run '^$' -test.bench BenchmarkTelemetry -test.benchtime 2000x -test.benchmem |
	awk '/impl=/ { print $1, $5, "B/op", $7, "allocs/op" }'
for _ in $(seq "$rounds"); do
	a=$(per none) b=$(per noop) c=$(per sdk)
	awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
		printf "cpu/call: none %.1f us, noop %.1f us (%.2fx), sdk %.1f us (%.2fx)\n", a * 1e6, b * 1e6, b / a, c * 1e6, c / a }'
done
