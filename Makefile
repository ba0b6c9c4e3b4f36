# Developer entry points. `make test` is what CI runs (through .ci/run).
SHELL := bash
GO ?= go
# Every package of the repository's modules (see go.work): the library, its
# OpenTelemetry module and the command. In a workspace ./... stays in the
# module of the current folder, so the nested modules are named too.
PKGS := ./... ./otelbrowseruse/... ./cmd/browseruse/...

.PHONY: run test generate check-generated vet unit contract fuzz bench drill drill-self sidebyside manyskills tidy coredeps gatechart gatesim

run: ## execute a skill: the real API with BROWSER_USE_API_KEY set, else the built-in fake
	$(GO) run ./cmd/quickstart

test: check-generated vet unit coredeps contract ## everything CI checks

generate:
	$(GO) generate ./...

# Regenerates into a temporary copy of the tracked tree and compares, so a
# stale gen/ fails without touching the working tree.
check-generated:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	git ls-files -z | xargs -0 -I{} cp --parents {} "$$tmp"; \
	(cd "$$tmp" && $(GO) generate ./...) || exit 1; \
	if ! diff -r gen "$$tmp/gen"; then echo "gen/ is stale: run 'go generate ./...' and commit" >&2; exit 1; fi; \
	echo "gen/ is up to date"

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^gen/'); echo "gofmt needed" >&2; exit 1; }
	$(GO) vet $(PKGS)

# The contract suite is left to `contract`, which starts the Prism it needs.
unit:
	$(GO) test -race -count=1 $$($(GO) list $(PKGS) | grep -v '/contract$$')

# docs/gate.svg: the manyskills workload run in-process against the fake,
# each client's gate sampled every 10 ms and drawn. About 8 s.
gatechart:
	$(GO) run ./scripts/gatechart -o docs/gate.svg

# A program that imports only the library lists no OpenTelemetry module in
# `go list -m all`, nor one of the tools or of the command: those belong to
# the go.mods of otelbrowseruse, tools and cmd/browseruse. And the nested
# modules carry no replace, which go install ...@latest refuses.
coredeps:
	@GO=$(GO) scripts/coredeps.sh

# go mod tidy for each module; the nested ones need the replaces that
# go.work holds for them (see the script).
tidy:
	@GO=$(GO) scripts/tidy.sh

# Installs the pinned Prism into .prism/ on first use, mocks openapi/v2.json
# on a free loopback port, and runs the suite in its folder so that its
# summary line ("N (operation, status) pairs checked") is printed.
contract:
	@scripts/prism.sh openapi/v2.json bash -c 'cd contract && $(GO) test -count=1'

# Explores each fuzz target of the root package from its committed seeds
# (testdata/fuzz/<target>/) for FUZZTIME; a failing input is written there,
# to be committed as a regression seed once fixed. The budget is a count of
# executions (about 20 s a target here), not a duration: with a duration,
# Go 1.26's fuzz coordinator can report a spurious "context deadline
# exceeded" failure as the time runs out (golang/go#75804, fixed in 1.27),
# which we saw here and which would fail CI with no input to show.
FUZZTIME ?= 80000x
fuzz:
	@targets=$$($(GO) test -list '^Fuzz' . | grep '^Fuzz'); \
	test -n "$$targets" || { echo "no fuzz targets found" >&2; exit 1; }; \
	for f in $$targets; do \
		echo "fuzz: $$f for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime=$(FUZZTIME) . || exit 1; \
	done

# make drill SPEC=path/to/newer/v2.json: regenerates and tests a copy of the
# module with that spec, and lists what changes for Go callers (apidiff) and
# in the API (oasdiff); the working tree is not touched. Fails on an
# incompatible Go change or a breaking spec change unless ALLOW_BREAKING=1.
drill: ## SPEC=newer/v2.json: regenerate a copy with it; list Go API and spec changes; fail on breaking ones
	@test -n "$(SPEC)" || { echo "usage: make drill SPEC=path/to/newer/v2.json [ALLOW_BREAKING=1]" >&2; exit 2; }
	@GO=$(GO) scripts/drill.sh "$(SPEC)"

# The drill's comparison alone, of the vendored spec with itself: it must
# find no change, so CI notices when the comparison stops working. About
# 15 s once the tools are built (the first `go tool oasdiff` builds it,
# about 75 s here).
drill-self: ## the drill's comparison on the vendored spec against itself: must find no change
	@GO=$(GO) scripts/drill.sh --self

# Every benchmark of bench_test.go beside its hand-written net/http floor,
# -count 10 (about 3 minutes on 2 cores), then benchstat's table and the
# ratios to the floor. BENCH_OUT=file keeps the raw `go test` output.
bench:
	@GO=$(GO) scripts/bench.sh $(BENCH_OUT)

# This client beside the official TypeScript SDK (npm browser-use-sdk, pinned
# in scripts/sidebyside/package.json; needs Node 20) on one fake server:
# calls/s and CPU per call (and Go's bytes allocated per call), small and
# 1 MB results, 1 and 16 callers, RUNS times (default 3), then the range and
# median of each ratio. A measurement for the README, not a test (CI does not
# run it), but it exits 1 when Go is behind the SDK on a row (median of the
# runs). DUR=seconds a drive (default 5): about 2 minutes with the defaults.
sidebyside:
	@GO=$(GO) scripts/sidebyside/run.sh

# The README's "Running many skills" table: each scenario against one fake
# process, with this client before the gate (BEFORE=commit), as it is now,
# and with the TypeScript SDK pinned in scripts/manyskills/ts (skipped
# without node; SKIP_TS=1 to skip). About a minute; not part of `make test`.
manyskills:
	@GO=$(GO) scripts/manyskills.sh

# The README's tables for the gate (issues 20 and 24): plans of 10 to 1,000
# sessions, skills of 100 ms to a minute, and clients sharing a plan, played
# in virtual time through this client before the ramp (BEFORE=commit) and
# now, side by side. A few minutes; RTTS=30ms,300ms and QUEUE=1 vary the
# refusal round trip. Not part of `make test`: the tests assert the same
# behaviour (gate_sim_test.go).
gatesim:
	@GO=$(GO) scripts/gatesim.sh
