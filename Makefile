# Developer entry points. `make test` is what CI runs (through .ci/run).
SHELL := bash
GO ?= go

.PHONY: run test generate check-generated vet unit contract fuzz bench drill

run: ## execute a skill: the real API with BROWSER_USE_API_KEY set, else the built-in fake
	$(GO) run ./cmd/quickstart

test: check-generated vet unit contract ## everything CI checks

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
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

contract:
	@echo "contract: the Prism suite is not wired yet"
