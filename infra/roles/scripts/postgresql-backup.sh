#!/bin/bash
# Nightly dump, run as postgres by fmc-postgresql-backup.service: the microservices database in
# pg_dump's compressed custom format plus the cluster's roles, kept PG_BACKUP_RETENTION_DAYS days.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/flatcarmicrocloud/postgresql.env

umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$PG_BACKUP_DIR/$PG_DATABASE-$stamp.dump"
globals="$PG_BACKUP_DIR/globals-$stamp.sql.gz"

# Each file is renamed into place only when complete: a listed dump is always a whole one.
pg_dump --format=custom --compress=6 --file="$dump.partial" "$PG_DATABASE"
mv "$dump.partial" "$dump"
pg_dumpall --globals-only | gzip -9 >"$globals.partial"
mv "$globals.partial" "$globals"

find "$PG_BACKUP_DIR" -maxdepth 1 -type f \( -name "$PG_DATABASE-*.dump" -o -name 'globals-*.sql.gz' \) \
  -mtime +"$PG_BACKUP_RETENTION_DAYS" -delete
find "$PG_BACKUP_DIR" -maxdepth 1 -type f -name '*.partial' -mmin +1440 -delete
echo "backup written: $dump"
