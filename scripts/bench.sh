#!/usr/bin/env bash
# Runs the benchmarks of bench_test.go, each client variant beside its
# hand-written net/http floor, and prints benchstat's comparison followed by
# the ratios to the floor (medians).
#
#   scripts/bench.sh                 # -count 10, about 3 minutes on 2 cores
#   COUNT=3 scripts/bench.sh         # quicker, noisier
#   scripts/bench.sh results.txt     # keep the raw `go test -bench` output
#   scripts/bench.sh --report results.txt   # only print the tables of a kept run
#
# A ratio is only as good as the machine is quiet: on a shared machine, read
# benchstat's ± and p= columns before believing a difference of a few percent.
set -euo pipefail
cd "$(dirname "$0")/.."

go=${GO:-go}
count=${COUNT:-10}
run=1
if [[ ${1:-} == --report ]]; then
	run=
	shift
fi
raw=${1:-}
raw_is_temp=
if [[ -z $raw ]]; then
	raw=$(mktemp)
	raw_is_temp=1
	trap 'rm -f "$raw"' EXIT
fi

if [[ -n $run ]]; then
	bin=$(mktemp)
	trap 'rm -f "$bin" ${raw_is_temp:+"$raw"}' EXIT
	"$go" test -c -o "$bin" .
	# One pass of every benchmark at a time, rather than -count 10 of each in
	# a row, so that a floor and its client see the same load on a shared
	# machine. The concurrency benchmark's unit of work is a whole round of
	# 64 x 200 calls, so it gets a fixed number of rounds, not a time budget.
	: >"$raw"
	for ((i = 1; i <= count; i++)); do
		echo "pass $i of $count" >&2
		"$bin" -test.run '^$' -test.benchmem -test.bench '^Benchmark(Small|Large|RetryMachinery)$' -test.benchtime "${BENCHTIME:-0.5s}" >>"$raw"
		"$bin" -test.run '^$' -test.bench '^BenchmarkConcurrency$' -test.benchtime "${ROUNDS:-2}x" >>"$raw"
	done
fi

"$go" tool benchstat -table .name -col /impl "$raw"

echo
echo "Ratios to the first column (the floor; noretries for RetryMachinery), medians:"
"$go" tool benchstat -format csv -table .name -col /impl "$raw" 2>/dev/null | awk -F, '
	function num(s) { return s + 0 }
	/^\.name: / { table = substr($0, 8); next }
	/^$/ { header = ""; next }
	# The first header row names the variants, the second the unit.
	/^,/ && header == "" { header = $0; n = split($0, h, ","); next }
	/^,/ { unit = $2; next }
	/^geomean/ { next }
	{
		row = $1; sub(/-[0-9]+$/, "", row); sub(/^\*/, "", row)
		name = table row
		base = num($2); basecol = 2
		for (i = 3; i <= n; i++) {
			if (h[i] == "" || $i == "") continue
			key = name "\t" h[i] " vs " h[basecol]
			if (!(key in seen)) { seen[key] = 1; order[++keys] = key }
			v = num($i)
			if (unit == "sec/op")
				cell = sprintf("time %.2fx", base ? v / base : 0)
			else if (unit == "allocs/op")
				cell = sprintf("allocs %+d", v - base)
			else if (unit == "B/op")
				cell = sprintf("bytes %.2fx", base ? v / base : 0)
			else if (unit == "B/s")
				continue
			else
				cell = sprintf("%s %g (%s %g)", unit, v, h[basecol], base)
			out[key] = out[key] "  " cell
		}
	}
	END { for (k = 1; k <= keys; k++) printf "%s\t%s\n", order[k], substr(out[order[k]], 3) }
' | column -t -s $'\t'
