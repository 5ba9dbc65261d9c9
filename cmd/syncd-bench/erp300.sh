#!/usr/bin/env bash
# erp300.sh: a 300-table ERP-like schema on a T-SQL server (SQL Server or
# Babelfish) declared and first-synced into MariaDB with three commands,
# `syncd discover`, `syncd check --connect`, `syncd run`, then checked with
# `syncd verify --all`; it prints the time of each command and every table
# discover skipped with its reason, and drops everything it made on exit.
#
#   cmd/syncd-bench/erp300.sh                 # 250 keyed tables + 50 others, 1,000 rows each
#   KEYED=25 UNITS=1 ROWS=200 cmd/syncd-bench/erp300.sh   # small: UNITS groups of 10 others (default 5)
#
# Environment: SYNCD_TEST_MSSQL_DSN (the T-SQL server, an admin login),
# MYSQL (the mysql client command, default `mysql -uroot -h127.0.0.1`),
# MYSQL_DSN (its DSN for syncd), REDIS_ADDR, SYNCD (the syncd binary,
# default bin/syncd, built when missing), KEEP=1 (keep it all to look at).
set -euo pipefail
cd "$(dirname "$0")/.."

MSSQL_DSN=${SYNCD_TEST_MSSQL_DSN:-sqlserver://babelfish_user:12345678@127.0.0.1:1433?database=master&encrypt=disable}
MYSQL=${MYSQL:-mysql -uroot -h127.0.0.1 -P3306}
MYSQL_DSN=${MYSQL_DSN:-root@tcp(127.0.0.1:3306)/}
REDIS_ADDR=${REDIS_ADDR:-127.0.0.1:6379}
KEYED=${KEYED:-250} UNITS=${UNITS:-5} ROWS=${ROWS:-1000}
SYNCD=${SYNCD:-bin/syncd}
CONCURRENCY=${CONCURRENCY:-4}
WAIT=${WAIT:-1800}   # seconds run may take to sync every table once

NAME=erp300_$$_$(date +%s)
WORK=$(mktemp -d "/tmp/$NAME.XXXX")
DB_DSN=$(sed -E "s/([?&])database=[^&]*/\1database=$NAME/" <<<"$MSSQL_DSN")
[[ $DB_DSN == *"database=$NAME"* ]] || DB_DSN="$MSSQL_DSN&database=$NAME"
RUN_PID=

[[ -x $SYNCD ]] || go build -o "$SYNCD" ./cmd/syncd
go build -o "$WORK/tsql" ./cmd/syncd-tsql
tsql() { "$WORK/tsql" -dsn "$1" "${@:2}"; }

cleanup() {
	local rc=$?
	if [[ -n $RUN_PID ]] && kill -0 "$RUN_PID" 2>/dev/null; then
		kill -TERM "$RUN_PID" 2>/dev/null || true
		wait "$RUN_PID" 2>/dev/null || true
	fi
	if [[ ${KEEP:-} == 1 ]]; then
		echo "kept: T-SQL database $NAME, MariaDB database $NAME, queue $NAME, $WORK" >&2
		exit "$rc"
	fi
	local try
	for try in 1 2 3 4 5; do # the last connections of syncd may still be closing
		tsql "$MSSQL_DSN" -query "DROP DATABASE IF EXISTS $NAME" >/dev/null 2>&1 && break
		((try == 5)) && echo "erp300: could not drop T-SQL database $NAME" >&2
		sleep 2
	done
	$MYSQL -e "DROP DATABASE IF EXISTS \`$NAME\`" 2>/dev/null ||
		echo "erp300: could not drop MariaDB database $NAME" >&2
	local host=${REDIS_ADDR%:*} port=${REDIS_ADDR##*:}
	redis-cli -h "$host" -p "$port" --scan --pattern "asynq:{$NAME}:*" 2>/dev/null |
		xargs -r redis-cli -h "$host" -p "$port" del >/dev/null 2>&1 || true
	redis-cli -h "$host" -p "$port" srem asynq:queues "$NAME" >/dev/null 2>&1 || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# timed LABEL CMD...: runs CMD with its output in $WORK/LABEL.out, keeps
# its exit status in RC_LABEL and its wall time in T_LABEL.
timed() {
	local label=$1 t0 t1 rc=0
	shift
	t0=$(date +%s.%N)
	"$@" >"$WORK/$label.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	printf -v "T_$label" '%.1f' "$(echo "$t1 - $t0" | bc)"
	printf -v "RC_$label" '%s' "$rc"
}

# schema_sql KEYED UNITS ROWS prints the T-SQL that makes the source: KEYED
# tables with a key and a NOT NULL indexed modification column (the key an
# int, bigint, nvarchar or two columns, a primary key or a unique index;
# the cursor FMODIFYDATE, updated_at, LastModified, modify_time or a
# rowversion), then UNITS groups of ten others: two without a key, one
# without a cursor candidate, one whose only unique index has a nullable
# column, two with odd names (spaces, brackets, quotes, unicode) but a key
# and a cursor, one whose cursor column's name has a space, one append-only
# log with an identity, two views. Rows come from a numbers table, set-based.
schema_sql() {
	local keyed=$1 units=$2 rows=$3 i u kind cur t keycols keydef vals curcol curval curtype
	local prefixes=(t_ICStockBill SAL_Order po_line Material GL_Voucher t_Item ARInvoice wms_Bin HR_Employee StockMove)
	local odd=("Order Lines" "Bracket]Name" "Lieferschein_äöü" "客户订单" "sales.order" "Mixed Case-Name" "1st table" "café crème" "O'Brien" "pct%50")
	cat <<SQL
CREATE TABLE erp300_nums (n int NOT NULL PRIMARY KEY)
GO
INSERT INTO erp300_nums (n) SELECT TOP ($rows) ROW_NUMBER() OVER (ORDER BY a.v) FROM
 (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) a(v) CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) b(v)
 CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) c(v) CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) d(v)
GO
SQL
	local common="name nvarchar(50) NOT NULL, amount decimal(12,2) NOT NULL, qty int NOT NULL, note nvarchar(100) NULL, created_at datetime2 NOT NULL"
	local commonvals="N'Name ' + CAST(n AS nvarchar(10)) + CASE WHEN n % 7 = 0 THEN N' Müller' ELSE N'' END, n * 1.25, n % 97, CASE WHEN n % 3 = 0 THEN NULL ELSE N'note ' + CAST(n AS nvarchar(10)) END, DATEADD(minute, n, '2025-01-01')"
	for ((i = 1; i <= keyed; i++)); do
		t=$(printf '%s_%03d' "${prefixes[i % 10]}" "$i")
		kind=$((i % 4)) cur=$((i % 5))
		case $kind in
		0) keycols="id int NOT NULL" keydef="id" vals="n" ;;
		1) keycols="id bigint NOT NULL" keydef="id" vals="CAST(n AS bigint) + 10000000000" ;;
		2) keycols="code nvarchar(20) NOT NULL" keydef="code" vals="N'K' + RIGHT('000000' + CAST(n AS varchar(6)), 6)" ;;
		3) keycols="bill_id int NOT NULL, line_no nvarchar(10) NOT NULL" keydef="bill_id, line_no" vals="n / 10, N'L' + CAST(n % 10 AS nvarchar(2))" ;;
		esac
		case $cur in
		0) curcol=FMODIFYDATE curtype=datetime ;;
		1) curcol=updated_at curtype=datetime2 ;;
		2) curcol=LastModified curtype="datetime2(3)" ;;
		3) curcol=modify_time curtype=datetime ;;
		4) curcol=rv curtype=rowversion ;;
		esac
		if ((cur == 4)); then
			echo "CREATE TABLE $t ($keycols, rv rowversion, $common)"
		else
			echo "CREATE TABLE $t ($keycols, $curcol $curtype NOT NULL, $common)"
		fi
		echo GO
		# Every seventh single-column key is a unique index, not a primary key.
		if ((i % 7 == 0 && kind < 3)); then
			echo "CREATE UNIQUE INDEX ux_$t ON $t ($keydef)"
		else
			echo "ALTER TABLE $t ADD CONSTRAINT pk_$t PRIMARY KEY ($keydef)"
		fi
		echo GO
		echo "CREATE INDEX ix_${t}_$curcol ON $t ($curcol)"
		echo GO
		if ((cur == 4)); then
			echo "INSERT INTO $t (${keydef}, name, amount, qty, note, created_at) SELECT $vals, $commonvals FROM erp300_nums"
		else
			echo "INSERT INTO $t (${keydef}, $curcol, name, amount, qty, note, created_at) SELECT $vals, DATEADD(second, n, '2026-01-01'), $commonvals FROM erp300_nums"
		fi
		echo GO
	done
	local ins="name, amount, qty, note, created_at"
	for ((u = 1; u <= units; u++)); do
		cat <<SQL
CREATE TABLE nokey_heap_$u (id int NOT NULL, updated_at datetime2 NOT NULL, $common)
GO
CREATE INDEX ix_nokey_heap_$u ON nokey_heap_$u (updated_at)
GO
INSERT INTO nokey_heap_$u (id, updated_at, $ins) SELECT n, DATEADD(second, n, '2026-01-01'), $commonvals FROM erp300_nums
GO
CREATE TABLE nokey_dup_$u (item nvarchar(20) NOT NULL, LastModified datetime NOT NULL, $common)
GO
INSERT INTO nokey_dup_$u (item, LastModified, $ins) SELECT N'I' + CAST(n % 10 AS nvarchar(2)), DATEADD(second, n, '2026-01-01'), $commonvals FROM erp300_nums
GO
CREATE TABLE nocursor_$u (id int NOT NULL PRIMARY KEY, $common)
GO
INSERT INTO nocursor_$u (id, $ins) SELECT n, $commonvals FROM erp300_nums
GO
CREATE TABLE nullkey_$u (code nvarchar(20) NULL, updated_at datetime2 NOT NULL, $common)
GO
CREATE UNIQUE INDEX ux_nullkey_$u ON nullkey_$u (code)
GO
CREATE INDEX ix_nullkey_$u ON nullkey_$u (updated_at)
GO
INSERT INTO nullkey_$u (code, updated_at, $ins) SELECT N'C' + CAST(n AS nvarchar(10)), DATEADD(second, n, '2026-01-01'), $commonvals FROM erp300_nums
GO
CREATE TABLE [odd cursor $u] (id int NOT NULL PRIMARY KEY, [Last Modified] datetime2 NOT NULL, $common)
GO
CREATE INDEX ix_odd_cursor_$u ON [odd cursor $u] ([Last Modified])
GO
INSERT INTO [odd cursor $u] (id, [Last Modified], $ins) SELECT n, DATEADD(second, n, '2026-01-01'), $commonvals FROM erp300_nums
GO
CREATE TABLE app_log_$u (id int IDENTITY(1,1) NOT NULL PRIMARY KEY, msg nvarchar(100) NOT NULL, logged datetime2 NOT NULL)
GO
INSERT INTO app_log_$u (msg, logged) SELECT N'event ' + CAST(n AS nvarchar(10)), DATEADD(second, n, '2026-01-01') FROM erp300_nums
GO
CREATE VIEW v_order_report_$u AS SELECT id, name, amount FROM nocursor_$u WHERE qty > 10
GO
CREATE VIEW v_stock_$u AS SELECT id, updated_at, name FROM nokey_heap_$u
GO
SQL
		local k
		for k in 0 1; do
			t=${odd[(2 * (u - 1) + k) % 10]}
			t="$t $u" # double quotes: Babelfish takes no ]] inside brackets
			cat <<SQL
CREATE TABLE "$t" (id int NOT NULL PRIMARY KEY, updated_at datetime2 NOT NULL, $common)
GO
CREATE INDEX ix_odd_${u}_$k ON "$t" (updated_at)
GO
INSERT INTO "$t" (id, updated_at, $ins) SELECT n, DATEADD(second, n, '2026-01-01'), $commonvals FROM erp300_nums
GO
SQL
		done
	done
	echo "DROP TABLE erp300_nums"
	echo GO
}

echo "== schema: $KEYED keyed tables, $((UNITS * 10)) others, $ROWS rows each: T-SQL database $NAME"
t0=$(date +%s)
tsql "$MSSQL_DSN" -query "CREATE DATABASE $NAME" >/dev/null
schema_sql "$KEYED" "$UNITS" "$ROWS" >"$WORK/schema.sql"
tsql "$DB_DSN" <"$WORK/schema.sql"
$MYSQL -e "CREATE DATABASE \`$NAME\`"
echo "   made in $(($(date +%s) - t0))s"

mkdir -p "$WORK/tables"
cat >"$WORK/syncd.yaml" <<YAML
connections:
  erp:
    driver: sqlserver
    dsn: "$DB_DSN"
  wms:
    driver: mysql
    dsn: "$MYSQL_DSN$NAME"
target: wms
tables_dir: tables
defaults:
  # run enqueues a table at its schedule's first tick, not at start.
  schedule: "@every 10s"
  queue: $NAME
redis:
  addr: $REDIS_ADDR
  db: 0
worker:
  concurrency: $CONCURRENCY
  queues:
    $NAME: 1
log:
  level: warn
  format: json
YAML
S() { "$SYNCD" -c "$WORK/syncd.yaml" "$@"; }

echo "== syncd discover erp"
timed discover S discover erp
tail -n 1 "$WORK/discover.out"
[[ $RC_discover == 0 ]] || { cat "$WORK/discover.out"; exit 1; }

echo "== syncd check --connect"
timed check S check --connect
tail -n 3 "$WORK/check.out"

echo "== syncd run (until every declared table has a successful run)"
declared=$(find "$WORK/tables" -name '*.yaml' | wc -l)
t0=$(date +%s.%N)
# Not through S: a function put in the background is a subshell, and the
# TERM below must reach syncd itself.
"$SYNCD" -c "$WORK/syncd.yaml" run --listen "" >"$WORK/run.out" 2>&1 &
RUN_PID=$!
done_n=0 valid=$declared
for ((i = 0; i < WAIT / 2; i++)); do
	sleep 2
	kill -0 "$RUN_PID" 2>/dev/null || { echo "syncd run exited:"; tail -n 20 "$WORK/run.out"; exit 1; }
	# A file check refused is "broken" in status and never runs: wait for the others.
	S status --json >"$WORK/status.json" 2>/dev/null || continue
	read -r valid done_n < <(jq -r '[([.[] | select(.broken != true)] | length), ([.[] | select(.last_success != null)] | length)] | @tsv' "$WORK/status.json")
	((valid > 0 && done_n >= valid)) && break
done
T_run=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
kill -TERM "$RUN_PID"
wait "$RUN_PID" || true
RUN_PID=
S status --json >"$WORK/status.json"

echo "== syncd verify --all"
timed verify S verify --all

echo
echo "== erp300 summary ($KEYED keyed + $((UNITS * 10)) other source tables, $ROWS rows each)"
S discover erp --dry-run --json >"$WORK/discover.json"
jq -r '[group_by(.outcome)[] | "\(.[0].outcome): \(length)"] | join(", ")' "$WORK/discover.json" |
	sed 's/^/discover (again, dry run): /'
echo "discover: $(tail -n 1 "$WORK/discover.out")"
echo "skipped, with the reason:"
jq -r '.[] | select(.outcome == "skipped") | "  \(.table)\t\(.skipped_because)"' "$WORK/discover.json" | sort
echo "warnings beside a written table (discover's first run):"
grep -E ': (cursor nullable|cursor not indexed|large: snapshot|append-only): ' "$WORK/discover.out" | sed 's/^/  /' || echo "  none"
echo "declaration files: $declared; valid: $valid; synced at least once: $done_n"
jq -r '.[] | select(.last_success == null) | "  not synced: \(.name): \(.last_error // .task_error // (.problems // [] | join("; ")) // "-")"' "$WORK/status.json"
echo "verify --all: exit $RC_verify; $(grep -c ': equal: ' "$WORK/verify.out" || true) equal, $(grep -c ': DIFFERENT: ' "$WORK/verify.out" || true) different"
[[ $RC_verify == 0 ]] || grep -v ': equal: ' "$WORK/verify.out" | head -n 40
awk '/^  source [0-9]+ rows, target [0-9]+ rows/ {s += $2; t += $5} END {printf "rows compared: source %d, target %d\n", s, t}' "$WORK/verify.out"
echo "check --connect: exit $RC_check; its warnings, by kind:"
sed -nE '/: warning: /{s/^[^ ]+: warning: //; s/^(no index on) \(.*/\1 (cursor, key)/; s/^(target table) .* (does not exist yet).*/\1 \2/; s/[:;].*//; p}' "$WORK/check.out" |
	sort | uniq -c | sed 's/^ */  /'
[[ $RC_check == 0 ]] || grep -v ': warning: ' "$WORK/check.out" | head -n 40
printf 'times: discover %ss, check --connect %ss, run (to every table synced once) %ss, verify --all %ss\n' \
	"$T_discover" "$T_check" "$T_run" "$T_verify"
[[ $RC_check == 0 && $RC_verify == 0 && $done_n -ge $declared ]]
