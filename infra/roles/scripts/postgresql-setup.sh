#!/bin/bash
# PostgreSQL role, run by cloud-init on first boot (and safe to re-run by hand): PostgreSQL from the
# pinned module stream, its config and the nightly backup. The microservices' role and database come
# after boot, with the password on stdin (GuestRoles.reconcile: fmc-postgresql-app-role), so no
# password is in the VM's user-data.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/flatcarmicrocloud/postgresql.env

pgdata=/var/lib/pgsql/data
staged=/etc/flatcarmicrocloud/postgresql

# Rocky 9's default PostgreSQL is 13; the pinned stream comes from the AppStream module.
if ! rpm -q postgresql-server >/dev/null 2>&1; then
  dnf -y module enable "postgresql:$PG_MODULE_STREAM"
  dnf -y install postgresql-server
fi
installed=$(rpm -q --qf '%{VERSION}' postgresql-server)
if [ "${installed%%.*}" != "$PG_MODULE_STREAM" ]; then
  echo "fmc-postgresql-setup: postgresql-server $installed is installed, the stack pins $PG_MODULE_STREAM" >&2
  exit 1
fi

# Initialise only an empty data directory: a re-run must never touch existing data.
[ -s "$pgdata/PG_VERSION" ] || postgresql-setup --initdb

changed=false
# put SRC DEST: install a staged file owned by postgres, noting whether anything changed.
put() {
  if ! cmp -s "$1" "$2"; then
    install -m 0600 -o postgres -g postgres "$1" "$2"
    changed=true
  fi
}
install -d -m 0700 -o postgres -g postgres "$pgdata/conf.d"
put "$staged/10-flatcarmicrocloud.conf" "$pgdata/conf.d/10-flatcarmicrocloud.conf"
put "$staged/pg_hba.conf" "$pgdata/pg_hba.conf"
if ! grep -qxF "include_dir = 'conf.d'" "$pgdata/postgresql.conf"; then
  echo "include_dir = 'conf.d'" >>"$pgdata/postgresql.conf"
  changed=true
fi
restorecon -R "$pgdata" || true

systemctl enable postgresql
# listen_addresses only changes with a restart; an unchanged config leaves the server alone.
if [ "$changed" = true ] || ! systemctl is-active --quiet postgresql; then
  systemctl restart postgresql
fi
for _ in $(seq 1 60); do
  runuser -u postgres -- pg_isready -q && break
  sleep 1
done
runuser -u postgres -- pg_isready -q

install -d -m 0700 -o postgres -g postgres "$PG_BACKUP_DIR"
systemctl daemon-reload
systemctl enable --now fmc-postgresql-backup.timer
