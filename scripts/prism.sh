#!/usr/bin/env bash
# Runs a command against a Stoplight Prism mock of an OpenAPI spec:
#
#   scripts/prism.sh SPEC COMMAND [ARGS...]
#   scripts/prism.sh --install
#
# Installs the pinned Prism into .prism/ (git-ignored, kept between runs) if
# it is not there yet, starts `prism mock` on a free loopback port, waits
# until it answers, runs COMMAND with PRISM_URL set to its base URL, and stops
# Prism by its PID however COMMAND ends. --install only installs.
#
# PRISM_PORT picks the port, PRISM_PREFIX the install folder, and
# PRISM_LOG_ON_FAILURE=1 prints Prism's log when COMMAND fails.
set -euo pipefail

PRISM_VERSION=5.16.0
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${PRISM_PREFIX:-$root/.prism}"
bin="$prefix/node_modules/.bin/prism"

install_only=
if [[ "${1:-}" == --install ]]; then
	install_only=1
elif [[ $# -lt 2 ]]; then
	echo "usage: $0 SPEC COMMAND [ARGS...] | $0 --install" >&2
	exit 2
else
	spec="$1"
	shift
	[[ -f "$spec" ]] || { echo "prism.sh: no spec at $spec" >&2; exit 2; }
fi

installed_version() {
	local pkg="$prefix/node_modules/@stoplight/prism-cli/package.json"
	[[ -f "$pkg" ]] && node -p "require(process.argv[1]).version" "$pkg" 2>/dev/null
}

mkdir -p "$prefix"
if command -v flock >/dev/null; then
	# Two runs installing into one folder at once (make drill beside make
	# contract) would corrupt it: the second waits for the first.
	exec 9>"$prefix/.install.lock"
	flock 9
fi
if [[ "$(installed_version || true)" != "$PRISM_VERSION" || ! -x "$bin" ]]; then
	command -v npm >/dev/null || { echo "prism.sh: npm not found: install Node 20 with npm" >&2; exit 1; }
	echo "prism.sh: installing @stoplight/prism-cli@$PRISM_VERSION into $prefix" >&2
	# Scarf is an install-time analytics hook in Prism's dependencies: no
	# reason to phone home from CI.
	SCARF_ANALYTICS=false npm install --prefix "$prefix" --save-exact --no-audit --no-fund \
		--loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >&2
	[[ "$(installed_version || true)" == "$PRISM_VERSION" ]] || { echo "prism.sh: install failed" >&2; exit 1; }
fi
exec 9>&- # the lock is for the install only
if [[ -n "$install_only" ]]; then
	echo "prism.sh: Prism $PRISM_VERSION is installed in $prefix" >&2
	exit 0
fi

# Asking the kernel for a free port keeps parallel runs (make contract next to
# make drill, or several checkouts on one machine) from colliding.
port="${PRISM_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"

log="$(mktemp "${TMPDIR:-/tmp}/prism.XXXXXX.log")"
"$bin" mock -h 127.0.0.1 -p "$port" "$spec" >"$log" 2>&1 &
pid=$!
stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Prism's first answer to GET / is a 404 (no such path): any HTTP status line
# means it is up.
answers() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	IFS= read -r -t 2 line <&3 || true
	exec 3<&- 3>&-
	[[ "$line" == HTTP/* ]]
}
for ((i = 0; ; i++)); do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "prism.sh: Prism exited before answering:" >&2
		cat "$log" >&2
		exit 1
	fi
	answers 2>/dev/null && break
	if ((i >= 300)); then
		echo "prism.sh: Prism did not answer on port $port within 30s:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done

set +e
PRISM_URL="http://127.0.0.1:$port" "$@"
status=$?
set -e
if [[ $status -ne 0 && -n "${PRISM_LOG_ON_FAILURE:-}" ]]; then
	echo "prism.sh: Prism log:" >&2
	cat "$log" >&2
fi
exit "$status"
