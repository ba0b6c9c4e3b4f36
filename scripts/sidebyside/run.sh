#!/usr/bin/env bash
# `make sidebyside`: one fake Execute Skill server (main.go serve), driven in
# turn by this client (main.go drive) and by the official TypeScript SDK
# pinned in package.json (drive.mjs, Node 20 or later), with a small and a
# 1 MB result, one caller and 16 concurrent callers. Prints calls/s and the
# driver process's CPU time per call for each. A measurement, not a test:
# CI does not run it. DUR=seconds per run (default 5).
set -euo pipefail
cd "$(dirname "$0")"

go=${GO:-go}
dur=${DUR:-5}

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
server=
cleanup() {
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
	rm -f "$bin" "$out"
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

echo "server $url; $dur s a run; Go $("$go" env GOVERSION), Node $(node --version), browser-use-sdk $(node -p 'require("./node_modules/browser-use-sdk/package.json").version')"
printf '%-6s %-5s | %12s %12s | %12s %12s | %8s %8s\n' size conc "Go calls/s" "Go CPU ms" "TS calls/s" "TS CPU ms" "calls/s" "CPU"
for size in small large; do
	for conc in 1 16; do
		g=$("$bin" drive -url "$url" -size "$size" -conc "$conc" -dur "${dur}s")
		t=$(node drive.mjs "$url" "$size" "$conc" "$dur")
		gc=$(field callsPerSec "$g") gm=$(field cpuMsPerCall "$g")
		tc=$(field callsPerSec "$t") tm=$(field cpuMsPerCall "$t")
		printf '%-6s %-5s | %12s %12s | %12s %12s | %7.2fx %7.2fx\n' "$size" "$conc" "$gc" "$gm" "$tc" "$tm" \
			"$(awk "BEGIN { print $gc / $tc }")" "$(awk "BEGIN { print $gm / $tm }")"
	done
done
echo "(the last two columns are Go over TypeScript: calls/s, then CPU per call)"
