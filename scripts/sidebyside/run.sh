#!/usr/bin/env bash
# `make sidebyside`: one fake Execute Skill server (main.go serve), driven in
# turn by this client (main.go drive) and by the official TypeScript SDK
# pinned in package.json (drive.mjs, Node 20 or later), with a small and a
# 1 MB result, one caller and 16 concurrent callers. Prints, for each of
# RUNS runs (default 3), calls/s and the driver process's CPU time per call
# of each, the bytes Go allocated per call, and the ratios; then, per row,
# the range and median of the ratios over the runs. Go and TypeScript run
# back to back for each row, Go first in odd runs and second in even ones,
# so both see about the same load; the load average is printed before each
# run. DUR=seconds per drive (default 5).
#
# A measurement, not a test (CI does not run it), but it exits 1 when Go is
# behind the TypeScript SDK on a row: fewer calls/s or more CPU per call, in
# the median of the runs.
set -euo pipefail
cd "$(dirname "$0")"

go=${GO:-go}
dur=${DUR:-5}
runs=${RUNS:-3}

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
	echo "sidebyside: Node 20 or later needed, found $(node --version)" >&2
	exit 1
fi
# Installs the pinned SDK into the git-ignored node_modules/ on first use.
if [[ ! -d node_modules/browser-use-sdk ]]; then
	npm ci --no-audit --no-fund --silent
fi

bin=$(mktemp)
out=$(mktemp)
rows=$(mktemp)
server=
cleanup() {
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
	rm -f "$bin" "$out" "$rows"
}
trap cleanup EXIT
"$go" build -o "$bin" .

"$bin" serve -addr 127.0.0.1:0 >"$out" &
server=$!
for _ in $(seq 50); do
	[[ -s $out ]] && break
	sleep 0.1
done
url=$(head -n1 "$out")
[[ -n $url ]] || { echo "sidebyside: the server did not start" >&2; exit 1; }

field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }

echo "server $url; $runs runs of $dur s a drive; Go $("$go" env GOVERSION), Node $(node --version), browser-use-sdk $(node -p 'require("./node_modules/browser-use-sdk/package.json").version')"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)"
for ((run = 1; run <= runs; run++)); do
	echo
	echo "run $run of $runs, load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
	printf '%-6s %-5s | %10s %9s %11s | %10s %9s | %8s %8s\n' \
		size conc "Go calls/s" "Go CPU ms" "Go KB/call" "TS calls/s" "TS CPU ms" "calls/s" "CPU"
	for size in small large; do
		for conc in 1 16; do
			if ((run % 2)); then
				g=$("$bin" drive -url "$url" -size "$size" -conc "$conc" -dur "${dur}s")
				t=$(node drive.mjs "$url" "$size" "$conc" "$dur")
			else
				t=$(node drive.mjs "$url" "$size" "$conc" "$dur")
				g=$("$bin" drive -url "$url" -size "$size" -conc "$conc" -dur "${dur}s")
			fi
			gc=$(field callsPerSec "$g") gm=$(field cpuMsPerCall "$g") ga=$(field allocKBPerCall "$g")
			tc=$(field callsPerSec "$t") tm=$(field cpuMsPerCall "$t")
			rc=$(awk "BEGIN { printf \"%.2f\", $gc / $tc }") rm=$(awk "BEGIN { printf \"%.2f\", $gm / $tm }")
			printf '%-6s %-5s | %10s %9s %11s | %10s %9s | %7sx %7sx\n' \
				"$size" "$conc" "$gc" "$gm" "$ga" "$tc" "$tm" "$rc" "$rm"
			echo "$size $conc $rc $rm $ga" >>"$rows"
		done
	done
done
echo
echo "(calls/s and CPU are Go over TypeScript: calls/s, then CPU per call; KB/call is what Go allocated per call)"
echo
echo "over $runs runs, min to max (median):"
# Exits 1 if a row's median has Go behind: calls/s under 1x or CPU over 1x.
sort -s -k1,1r -k2,2n "$rows" | awk '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	function flush(   mc, mm) {
		if (n == 0) return
		mc = median(c, n); mm = median(m, n)
		printf "%-6s %-5s | calls/s %5.2fx to %5.2fx (%5.2fx) | CPU %5.2fx to %5.2fx (%5.2fx) | Go %s to %s KB/call%s\n",
			size, conc, c[1], c[n], mc, m[1], m[n], mm, amin, amax,
			(mc < 1 || mm > 1) ? "  <- Go behind" : ""
		if (mc < 1 || mm > 1) behind = 1
		n = 0
	}
	$1 != size || $2 != conc { flush(); size = $1; conc = $2; amin = $5; amax = $5 }
	{ n++; c[n] = $3; m[n] = $4; if ($5 + 0 < amin + 0) amin = $5; if ($5 + 0 > amax + 0) amax = $5 }
	END { flush(); exit behind }
'
