# lychd — build, demo, test, bench.
#
#   make demo    build lychd and the example extensions, then bind a built-in
#                example Codex into a throwaway HOME and show the result
#   make test    install test prerequisites (scripts/ensure-deps.sh), lint,
#                and run every test of both modules, the booted-systemd e2e
#                tests included
#   make bench   run the benchmarks and print medians and ratios

GO       ?= go
BIN      := $(CURDIR)/bin
EXT_BIN  := $(BIN)/extensions
EXAMPLES := vision-organ tts-organ portal-organ
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

PREFIX   ?= $(HOME)/.local

.PHONY: all build install examples demo test test-go lint deps bench fuzz proto clean

all: build examples

# One binary: `go build ./cmd/lychd` (or go install) gives the whole program.
build:
	$(GO) build -o $(BIN)/lychd ./cmd/lychd

install: build
	install -d $(PREFIX)/bin
	install -m 0755 $(BIN)/lychd $(PREFIX)/bin/

examples:
	@mkdir -p $(EXT_BIN)
	@for e in $(EXAMPLES); do \
		echo "go build -o bin/extensions/$$e ./plugins/examples/$$e"; \
		$(GO) build -o $(EXT_BIN)/$$e ./plugins/examples/$$e || exit 1; \
	done

demo: build examples
	@bash scripts/demo.sh

deps:
	@bash scripts/ensure-deps.sh

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: the files above need formatting" >&2; exit 1; }
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	$(STATICCHECK) ./...
	cd sdk && $(STATICCHECK) ./...

test-go:
	$(GO) test -timeout 45m ./...
	cd sdk && $(GO) test -timeout 10m ./...

test: deps lint test-go

bench: build examples
	@bash scripts/bench.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 60s ./internal/codex
	$(GO) test -run '^$$' -fuzz FuzzRoundTrip -fuzztime 60s ./internal/unitfile

proto:
	bash scripts/gen-proto.sh

clean:
	rm -rf $(BIN)
