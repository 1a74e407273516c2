# Packline. `make demo` runs the whole station on simulators; `make test` runs
# every test. Both install their system dependencies first (Debian).

export PATH := /usr/local/go/bin:$(PATH)
export LANG := en_US.UTF-8
GO ?= go
BIN := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all deps build agent station demo demo-headless test race vet fuzz bench screenshots packages verify-packages clean

all: build

deps:
	@installer/scripts/deps.sh

build: agent station

agent:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/packline-agent ./cmd/packline-agent

station: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/packline-station ./cmd/packline-station

# demo runs the agent against the TikTok Shop simulator with a simulated scale
# and printer (labels land as PNG files in the demo directory), and opens the
# station app on it.
demo: deps build
	$(BIN)/packline-agent demo --station $(BIN)/packline-station

# demo-headless packs a few orders end to end without a window.
demo-headless: agent
	$(BIN)/packline-agent demo --headless

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }

# test runs every test verbosely into $(BIN)/test.log, shows all but the
# passing tests' own lines, and ends with the count of tests that passed,
# failed and were skipped.
test: deps vet
	@mkdir -p $(BIN)
	@bash -o pipefail -c '$(GO) test -count=1 -timeout 40m -v ./... 2>&1 | tee $(BIN)/test.log | grep -vE "^(=== (RUN|PAUSE|CONT|NAME)|[[:space:]]*--- (PASS|SKIP)|PASS$$)"'; rc=$$?; \
	echo "tests: $$(grep -cE '^[[:space:]]*--- PASS' $(BIN)/test.log) passed, $$(grep -cE '^[[:space:]]*--- FAIL' $(BIN)/test.log) failed, $$(grep -cE '^[[:space:]]*--- SKIP' $(BIN)/test.log) skipped"; \
	exit $$rc

race: deps
	$(GO) test -race -count=1 -timeout 60m ./...

# fuzz runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
		done; \
	done

# bench prints the figures DESIGN.md budgets (see README, "Figures").
BENCHTIME ?= 1x
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./... 2>&1 | grep -E '^(Benchmark|ok|FAIL|---|pkg:)' | grep -v 'no test files'

screenshots: deps
	$(GO) run ./cmd/packline-station --screenshots docs-screens

# packages builds dist/packline_<version>_amd64.deb and dist/packline.msi,
# installing wixl, msitools and mingw-w64 first; verify-packages checks them
# (Wine runs the Windows agent).
packages:
	installer/scripts/build-packages.sh

verify-packages: packages
	installer/scripts/verify-packages.sh

clean:
	rm -rf $(BIN) dist
