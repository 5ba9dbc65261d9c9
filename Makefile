# syncd: make build | make test | make run | make bench
GO       ?= go
BIN      ?= bin
TESTFLAGS ?=

.PHONY: build test vet services run demo-seed clean

build:
	$(GO) build -o $(BIN)/syncd ./cmd/syncd
	$(GO) build -o $(BIN)/syncd-demo ./cmd/syncd-demo

# Everything, against the real servers on loopback (started if down).
test: services vet
	SYNCD_TEST_REQUIRE_SERVERS=1 $(GO) test -race -count=1 $(TESTFLAGS) ./...

vet:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

services:
	@.ci/services

# The demo: ERP-like tables in the local PostgreSQL that keep changing,
# synced into the local MariaDB by `syncd run` (worker, scheduler and the
# web UI at http://127.0.0.1:8080/monitor) until Ctrl-C.
run: build services
	$(BIN)/syncd-demo seed
	$(BIN)/syncd check --connect || true
	@trap 'kill $$churn 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/syncd-demo churn & churn=$$!; \
	  $(BIN)/syncd run

# The Docker quick start's demo without Docker: the same kind of ERP tables,
# in the local PostgreSQL, synced into the local MariaDB.
.PHONY: demo
demo: run

clean:
	rm -rf $(BIN)
