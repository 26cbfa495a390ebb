#!/bin/bash
# Restore the microservices database from a dump of fmc-postgresql-backup (procedure: README,
# "Restoring PostgreSQL"). All or nothing: one transaction, stopped at the first error.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/flatcarmicrocloud/postgresql.env

if [ $# -ne 1 ]; then
  echo "usage: fmc-postgresql-restore DUMP   (e.g. $PG_BACKUP_DIR/$PG_DATABASE-20260101T023000Z.dump)" >&2
  exit 2
fi
dump=$1
if [ "$(id -u)" -ne 0 ]; then
  echo "fmc-postgresql-restore: run as root (sudo)" >&2
  exit 1
fi
# Read the archive's table of contents first: a truncated or foreign file stops here, untouched.
pg_restore --list "$dump" >/dev/null

# The role exists on every VM that finished first boot; the database may have been dropped.
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -v role="$PG_ROLE" -v db="$PG_DATABASE" -d postgres <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL

# Objects are recreated as the application role. The dump is read by root and streamed in, so a
# copy anywhere on the VM works.
runuser -u postgres -- pg_restore --clean --if-exists --no-owner --role="$PG_ROLE" \
  --single-transaction --exit-on-error --dbname="$PG_DATABASE" <"$dump"
echo "restored $dump into $PG_DATABASE"
