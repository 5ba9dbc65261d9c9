# syncd: make build | make test | make run | make bench
GO       ?= go
BIN      ?= bin
TESTFLAGS ?=

.PHONY: build dist test test-faults vet lint services run demo demo-seed clean bench bench-smoke

build:
	$(GO) build -o $(BIN)/syncd ./cmd/syncd
	$(GO) build -o $(BIN)/syncd-demo ./cmd/syncd-demo
	$(GO) build -o $(BIN)/syncd-bench ./cmd/syncd-bench

# Release binaries: static (no cgo), one per platform, into dist/ with
# SHA256SUMS. The version, commit and time are stamped with -ldflags for
# builds outside a checkout; syncd version prefers the go command's own
# build information where there is some.
DIST_TARGETS ?= linux/amd64 linux/arm64 darwin/arm64 windows/amd64
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_TIME   ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
dist:
	rm -rf dist && mkdir -p dist
	for t in $(DIST_TARGETS); do os=$${t%/*}; arch=$${t#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath \
	    -ldflags "-s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildTime=$(BUILD_TIME)" \
	    -o dist/syncd-$(VERSION)-$$os-$$arch$$ext ./cmd/syncd || exit 1; \
	done
	cd dist && sha256sum syncd-* > SHA256SUMS

# Everything, against the real servers on loopback (started if down).
# SYNCD_TEST_REDIS_DB=N keeps the Redis tests in database N (default 0).
# The SQL Server tests run against SYNCD_TEST_MSSQL_DSN, or Babelfish from
# ../shared/babelfish (.ci/babelfish prints its DSN). With neither (never
# under CI) .ci/babelfish prints "none" and the SQL Server tests skip: "none"
# under SYNCD_TEST_REQUIRE_SERVERS or CI fails them, so it is not set then
# (the other servers were started by services, or make test stopped).
# The status page's browser tests need Chromium; without it they skip
# (said here, since go test hides skips), except under CI, where .ci/run
# installs it and a missing browser fails them. Nothing here installs it.
test: services vet
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || \
	  echo "make test: no chromium on PATH: the status page's browser tests skip (install it: apt-get install chromium)"
	dsn="$$(.ci/babelfish)" && require=1 && \
	  if [ "$$dsn" = none ]; then require=""; echo "make test: no T-SQL server: the SQL Server tests skip"; fi && \
	  SYNCD_TEST_MSSQL_DSN="$$dsn" SYNCD_TEST_REQUIRE_SERVERS=$$require $(GO) test -race -count=1 -timeout 30m $(TESTFLAGS) ./...

# The fault-injection suite: workers killed and frozen past their lease,
# the target and source servers killed and restarted, connections cut and
# stalled, Redis stopped and flushed, the source clock stepping back, the
# target's disk full, two workers and two schedulers, long source
# transactions, bad rows; every scenario ends with syncd verify finding the
# table equal with nothing pending. Scenarios that kill, stall or fill a
# server start private ones (mariadbd, PostgreSQL 15 run as postgres,
# redis-server) on free loopback ports; the shared servers only hold the
# scenarios' own databases, so it is safe to run beside make test. Its
# results are written to docs/reliability.md. SYNCD_FAULTS_DURATION sets
# how long the continuous-write scenarios run (default 2m).
test-faults: services
	dsn="$$(.ci/babelfish)" && require=1 && \
	  if [ "$$dsn" = none ]; then require=""; echo "make test-faults: no T-SQL server: its SQL Server scenarios skip"; fi && \
	SYNCD_TEST_MSSQL_DSN="$$dsn" SYNCD_TEST_REQUIRE_SERVERS=$$require SYNCD_FAULTS_REPORT=$(CURDIR)/docs/reliability.md \
	  $(GO) test -tags faults -count=1 -timeout 50m -v -run 'TestFaults' ./cmd/syncd

vet:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags faults ./cmd/syncd

# Errors nobody looks at: errcheck (pinned, run through the module proxy)
# over all the code, Close, Rollback and Fprint* excepted; in tests also
# errors assigned to _, which make a check pass when it should fail. A line
# that means it says //nolint:errcheck and why. The tests of sync/mssql
# join when they are reworked for a live SQL Server. The go command's
# "go: downloading" lines (errcheck fetched on a fresh machine) are no
# findings.
ERRCHECK ?= $(GO) run github.com/kisielk/errcheck@v1.9.0 -ignore '^(Close|Rollback|Fprint|Fprintf|Fprintln)$$'
lint:
	@all="$$($(ERRCHECK) ./... 2>&1)"; \
	  blank="$$($(ERRCHECK) -blank ./... 2>&1 | grep '_test\.go:')"; \
	  left="$$(printf '%s\n%s\n' "$$all" "$$blank" | grep -v -e 'nolint:errcheck' -e '^exit status' -e '^go: downloading ' -e '^sync/mssql/[^:]*_test\.go:' -e '^$$' | sort -u)"; \
	  if [ -n "$$left" ]; then echo "errcheck: errors left unchecked:"; echo "$$left"; exit 1; fi

services:
	@.ci/services

# The demo: ERP-like tables in the local PostgreSQL that keep changing,
# synced into the local MariaDB by `syncd run` (worker, scheduler and the
# web UI at http://127.0.0.1:8080/monitor) until Ctrl-C. The seed drops and
# recreates the database syncd_demo on both servers, and says so first.
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

# The benchmark (docs/benchmarks.md): 1,000,000 rows from the local
# PostgreSQL into the local MariaDB, side by side with LOAD DATA and the
# hand-written loops; then the ERP stage: a 15-column ERP table
# from PostgreSQL and from the T-SQL server of .ci/babelfish (or
# SYNCD_TEST_MSSQL_DSN) into the table target.create makes, first load
# against LOAD DATA and catch-up against a one-statement merge; then the
# T-SQL verify stage: verify and reconcile of 250,000 ERP rows
# in the T-SQL server against one read of them (-tsql-verify-rows, 0
# skips it). Databases syncd_bench on the servers, dropped after.
# The stages of many tables and of reconcile run alone:
# make bench BENCHFLAGS=-only-many (200 and 1,000 tables, about 20 minutes);
# make bench BENCHFLAGS="-only-reconcile -runs 2"; the ERP stage alone:
# make bench BENCHFLAGS=-only-erp.
BENCHFLAGS ?=
bench: build services
	dsn="$$(.ci/babelfish)" && $(BIN)/syncd-bench -syncd $(BIN)/syncd -mssql "$$dsn" -many '' -reconcile '' \
	  -out docs/benchmarks.md $(BENCHFLAGS)

# The benchmark's smoke mode, about a minute, to keep it from rotting (CI):
# every stage on 10,000 rows, the ERP stage's T-SQL source included (under
# CI a T-SQL server that cannot be had fails it, as it fails make test).
bench-smoke: build services
	dsn="$$(.ci/babelfish)" && $(BIN)/syncd-bench -syncd $(BIN)/syncd -mssql "$$dsn" -rows 10000 -runs 1 -skip-4n -rate 20000 -naive-sample 500 -fresh-changes 50 \
	  -snapshot-workers 1,2 -many 3 -many-rows 10 -many-every 1s -many-window 2s -many-history 1000 -many-baseline=false \
	  -reconcile 5000,2000 -tsql-verify-rows 5000

clean:
	rm -rf $(BIN)
