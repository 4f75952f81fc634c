# Two commands matter: `go run ./examples/basic` (no AWS account needed) and
# `make test` (everything, against the fake and against DynamoDB Local).
#
# The repository holds several modules, tied together for development by
# go.work: the library (this directory), the CLI (cmd/dynamosession), the
# examples (examples), and two test modules (scsstore/scstest, e2e) that
# keep scs and chromedp out of the library's go.mod. `go test ./...` in one
# module does not reach the others, so every target here runs each module.
SHELL       := bash
GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 3s
BENCHTIME   ?= 1s

# MODULES are the directories of the workspace's modules, from go.work.
MODULES = $(shell $(GO) list -m -f '{{.Dir}}')
# NORACE are the modules tested without the race detector: e2e drives a
# browser through a built binary, so instrumenting the test process buys
# nothing and slows it down.
NORACE  = $(CURDIR)/e2e

.PHONY: test unit fuzz check fmt vet staticcheck bench bench-all costmodel readme download tidy

# test runs every test of every module with the race detector in shuffled
# order, with DynamoDB Local started for the contract suite
# (scripts/dynamodb-local fetches it from Maven Central once and caches
# it), then every fuzz target briefly.
test:
	scripts/dynamodb-local run -- $(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory fuzz

# unit runs the Go tests of every module against whatever
# DYNAMODB_ENDPOINT says (the real-DynamoDB tests skip without it, except
# under CI=true). The verbose log goes to a file of this run's own
# (TESTLOG, default a fresh temporary file, kept when a test fails), so
# concurrent runs never mix their logs. What is printed is filtered to the
# verdicts, the skips and the contract suite's per-backend lines; on
# failure the whole log (less the RUN noise) follows. e2e skips without
# Chromium, except under CI=true.
unit:
	@log=$${TESTLOG:-$$(mktemp "$${TMPDIR:-/tmp}/dynamosession-test.XXXXXX")} || exit 1; \
	echo "go test -race -shuffle=on -count=1 ./... in every module   (full log: $$log)"; \
	: >"$$log"; status=0; \
	for m in $(MODULES); do \
		race=-race; [ "$$m" = "$(NORACE)" ] && race=; \
		echo "=== module .$${m#$(CURDIR)}" >>"$$log"; \
		(cd "$$m" && $(GO) test $$race -shuffle=on -count=1 -v ./...) >>"$$log" 2>&1 || status=1; \
	done; \
	grep -E '^(ok|FAIL|panic:|--- FAIL)|--- SKIP|contract suite:|^!!!' "$$log"; \
	if [ $$status -ne 0 ]; then echo "---- failures (full log: $$log) ----"; grep -vE '^ *(=== RUN|=== PAUSE|=== CONT|--- PASS)' "$$log" | tail -400; \
	elif [ -z "$${TESTLOG:-}" ]; then rm -f "$$log"; fi; \
	exit $$status

fuzz:
	scripts/fuzz-briefly $(FUZZTIME)

check: fmt vet staticcheck test

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do echo "go vet ./...   (in .$${m#$(CURDIR)})"; (cd "$$m" && $(GO) vet ./...); done

staticcheck:
	@set -e; for m in $(MODULES); do echo "staticcheck ./...   (in .$${m#$(CURDIR)})"; (cd "$$m" && $(STATICCHECK) ./...); done

# download fetches every module's dependencies (CI runs it first).
download:
	@set -e; for m in $(MODULES); do echo "go mod download   (in .$${m#$(CURDIR)})"; (cd "$$m" && $(GO) mod download); done

# tidy runs go mod tidy in every module. `go mod tidy` ignores go.work, and
# the modules other than the library require it at the version it will be
# tagged with, which does not exist yet: tidy points them at this checkout
# for the duration, then removes the replace again, so no go.mod that users
# build keeps one.
LIB := github.com/dynamosession/dynamosession
tidy:
	@set -e; for m in $(MODULES); do \
		echo "go mod tidy   (in .$${m#$(CURDIR)})"; \
		reps=; \
		for dep in "$(LIB)=$(CURDIR)" "$(LIB)/gorillastore=$(CURDIR)/gorillastore"; do \
			mod=$${dep%%=*}; dir=$${dep#*=}; \
			if [ "$$m" != "$$dir" ] && grep -qE "(^|[[:space:]])$$mod v" "$$m/go.mod"; then \
				reps="$$reps $$mod"; (cd "$$m" && $(GO) mod edit -replace=$$mod=$$(realpath --relative-to="$$m" "$$dir")); \
			fi; \
		done; \
		(cd "$$m" && { GOWORK=off $(GO) mod tidy; s=$$?; for mod in $$reps; do $(GO) mod edit -dropreplace=$$mod; done; exit $$s; }); \
	done

# bench runs the CPU ratio benchmarks (the repository against the raw SDK
# on a stub client, alternated in one run) and prints their table, which it
# also writes to benchmarks/ratios.md and into the README.
bench:
	GO=$(GO) scripts/bench-table

# bench-all runs every benchmark of the library module, DynamoDB Local's
# latency benchmarks included.
bench-all:
	scripts/dynamodb-local run -- $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

# readme regenerates the README's computed figures (the cost table) and
# the chart, from the command that computes them.
readme:
	scripts/readme-figures

# costmodel prints the cost table and draws the chart.
costmodel:
	$(GO) run ./cmd/dynamosession cost -svg docs/cost.svg
