# syncd: make build | make test | make run | make bench
GO       ?= go
BIN      ?= bin
TESTFLAGS ?=

.PHONY: build test vet services run demo-seed clean bench bench-smoke

build:
	$(GO) build -o $(BIN)/syncd ./cmd/syncd
	$(GO) build -o $(BIN)/syncd-demo ./cmd/syncd-demo
	$(GO) build -o $(BIN)/syncd-bench ./cmd/syncd-bench

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
# synced into the local MariaDB every 5 s until Ctrl-C.
run: build services
	$(BIN)/syncd-demo seed
	$(BIN)/syncd check --connect || true
	@trap 'kill $$churn 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/syncd-demo churn & churn=$$!; \
	  $(BIN)/syncd sync --all --every 5s

# The benchmark (docs/benchmarks.md): 1,000,000 rows from the local
# PostgreSQL into the local MariaDB, side by side with LOAD DATA and the
# hand-written loops; databases syncd_bench on both servers, dropped after.
BENCHFLAGS ?=
bench: build services
	$(BIN)/syncd-bench -syncd $(BIN)/syncd -out docs/benchmarks.md $(BENCHFLAGS)

# The benchmark's smoke mode, a few seconds, to keep it from rotting (CI).
bench-smoke: build services
	$(BIN)/syncd-bench -syncd $(BIN)/syncd -rows 10000 -runs 1 -skip-4n

clean:
	rm -rf $(BIN)
