#!/bin/bash
# The demo's SQL Server side, run by docker-compose.yml in the SQL Server
# image (which ships sqlcmd): "init" creates the ERP schema, its rows and
# the syncd login; "churn" keeps changing rows every CHURN_EVERY seconds.
set -euo pipefail
sqlcmd() {
  /opt/mssql-tools18/bin/sqlcmd -C -b -S "${MSSQL_HOST:-mssql}" -U sa -P "$MSSQL_SA_PASSWORD" "$@"
}
case "${1:-}" in
  init)
    sqlcmd -v SYNCD_PASSWORD="$SYNCD_MSSQL_PASSWORD" -i /demo/init.sql
    echo "demo ERP ready"
    ;;
  churn)
    while true; do
      sqlcmd -i /demo/churn.sql
      sleep "${CHURN_EVERY:-2}"
    done
    ;;
  *)
    echo "usage: demo.sh init|churn" >&2
    exit 2
    ;;
esac
