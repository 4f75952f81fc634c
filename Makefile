# Two commands matter: `go run ./examples/basic` (no AWS account needed) and
# `make test` (everything, against the fake and against DynamoDB Local).
SHELL       := bash
GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 3s
BENCHTIME   ?= 1s

.PHONY: test unit scs e2e fuzz check fmt vet staticcheck bench costmodel

# test runs every test with the race detector in shuffled order, with
# DynamoDB Local started for the contract suite (scripts/dynamodb-local
# fetches it from Maven Central once and caches it), then every fuzz
# target briefly.
test:
	scripts/dynamodb-local run -- $(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory fuzz

# unit runs the Go tests against whatever DYNAMODB_ENDPOINT says (the
# real-DynamoDB tests skip without it, except under CI=true). The verbose
# log is filtered to the verdicts, the skips and the contract suite's
# per-backend lines; on failure the whole log (less the RUN noise) follows.
TESTLOG ?= $(or $(TMPDIR),/tmp)/dynamosession-test.log
unit:
	@echo "go test -race -shuffle=on -count=1 ./...   (full log: $(TESTLOG))"
	@$(GO) test -race -shuffle=on -count=1 -v ./... >$(TESTLOG) 2>&1; status=$$?; \
	grep -E '^(ok|FAIL|panic:|--- FAIL)|--- SKIP|contract suite:|^!!!' $(TESTLOG); \
	if [ $$status -ne 0 ]; then echo "---- failures ----"; grep -vE '^ *(=== |--- PASS)' $(TESTLOG) | tail -400; fi; \
	exit $$status
	@$(MAKE) --no-print-directory scs e2e

# scs runs alexedwards/scs itself on scsstore, in a module of its own
# (scsstore/scstest) so that the library's go.mod does not depend on scs.
scs:
	cd scsstore/scstest && $(GO) test -race -shuffle=on -count=1 ./...

# e2e drives examples/webapp in headless Chromium (Debian package chromium),
# in a module of its own so the library does not depend on chromedp. It
# skips without Chromium, except under CI=true.
e2e:
	cd e2e && $(GO) test -shuffle=on -count=1 ./...

fuzz:
	scripts/fuzz-briefly $(FUZZTIME)

check: fmt vet staticcheck test

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd scsstore/scstest && $(GO) vet ./...
	cd e2e && $(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...
	cd scsstore/scstest && $(STATICCHECK) ./...
	cd e2e && $(STATICCHECK) ./...

bench:
	scripts/dynamodb-local run -- $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

# costmodel regenerates the README's cost table (printed) and chart.
costmodel:
	$(GO) run ./examples/costmodel -svg docs/cost.svg
