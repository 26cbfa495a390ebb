#!/bin/bash
# Restore PostgreSQL from the pgBackRest repository to a point in time (or to the end of the
# archived WAL), the restore drill of docs/backups.md. It refuses to touch a running server: stop
# PostgreSQL first, on purpose. The current data directory is kept, renamed, never deleted.
#
#   fmc-postgresql-pitr --time '2026-12-06 15:04:05+00'   # the state at that moment
#   fmc-postgresql-pitr --latest                          # everything archived
#   fmc-postgresql-pitr --list                            # the backups in the repository
set -euo pipefail
# shellcheck source=/dev/null
. "${FMC_PITR_ENV:-/etc/flatcarmicrocloud/postgresql-pitr.env}"

usage() {
  echo "usage: fmc-postgresql-pitr --time 'YYYY-MM-DD HH:MM:SS+00' | --latest | --list" >&2
  exit 2
}
die() {
  echo "fmc-postgresql-pitr: $*" >&2
  exit 1
}

[ $# -ge 1 ] || usage
mode="$1"
target=""
case "$mode" in
  --time)
    [ $# -eq 2 ] || usage
    target="$2"
    [[ "$target" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}(:?[0-9]{2})?)$ ]] ||
      die "'$target' is not a time like '2026-12-06 15:04:05+00' (give the zone: the VM's clock is UTC)"
    ;;
  --latest | --list) [ $# -eq 1 ] || usage ;;
  *) usage ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"

pgbr() { runuser -u postgres -- pgbackrest --config="$PGBR_CONFIG" --stanza="$PGBR_STANZA" "$@"; }

if [ "$mode" = --list ]; then
  pgbr info
  exit 0
fi

# A running server (or one that crashed and left its pid file with a live process) is refused: the
# restore replaces its data directory.
if runuser -u postgres -- pg_ctl status -D "$PG_DATA" >/dev/null 2>&1; then
  die "PostgreSQL is running on $PG_DATA: stop it first (systemctl stop postgresql), after stopping its clients; nothing was changed"
fi
pgbr info >/dev/null || die "the repository cannot be read (pgbackrest info): check the target and $PGBR_CONFIG"

# Keep what is there: renamed next to it, for the operator to delete once the restore is right.
if [ -e "$PG_DATA" ] && [ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]; then
  kept="$PG_DATA.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$PG_DATA" "$kept"
  echo "fmc-postgresql-pitr: the previous data directory is kept at $kept"
fi
install -d -m 0700 -o postgres -g postgres "$PG_DATA"
# conf.d and pg_hba.conf come back with the backup (they live in the data directory).
if [ "$mode" = --time ]; then
  pgbr --type=time "--target=$target" --target-action=promote restore
else
  pgbr restore
fi
"${PG_START[@]}"
for _ in $(seq 1 300); do
  if [ "$(runuser -u postgres -- psql -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; then
    echo "fmc-postgresql-pitr: restored ($mode${target:+ $target}) and open for writes"
    exit 0
  fi
  sleep 1
done
die "PostgreSQL did not finish recovery within 300 s (see its log)"
