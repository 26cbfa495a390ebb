# shellcheck shell=bash
# PostgreSQL, after first boot (and on every change of the backup target, schedules or retention):
# pgBackRest's config, WAL archiving, the full/differential timers and the restore drill; or, with
# backups off, their removal (the repository in the bucket is never touched). put, drop and the
# metrics exporter are scripts/backup-common.sh's. The settings are above
# (infra/roles/pgbackrest.ts); with backups on, stdin holds three lines: the access key id, the
# secret key and the encryption passphrase. They are written into a 0600 file only, never printed,
# never an argument.
wait_for_first_boot

unit_dir="$ROOT/etc/systemd/system"
timers=(fmc-pgbackrest-full.timer fmc-pgbackrest-diff.timer)

as_postgres() { runuser -u postgres -- "$@"; }
pg_setting() { as_postgres psql -X -At -d postgres -c "SHOW $1"; }

# Applies the archiving settings: archive_mode takes a restart, archive_command a reload. A run that
# changes nothing restarts nothing.
apply_archiving() {
  local want_mode="$1"
  [ "$(pg_setting archive_mode)" = "$want_mode" ] && { as_postgres psql -X -q -d postgres -c 'SELECT pg_reload_conf()' >/dev/null; return 0; }
  log "archive_mode is now $want_mode: restarting PostgreSQL"
  systemctl restart postgresql
  local _
  for _ in $(seq 1 60); do
    as_postgres pg_isready -q && break
    sleep 1
  done
  as_postgres pg_isready -q || die "PostgreSQL did not come back after the restart (journalctl -u postgresql)"
  [ "$(pg_setting archive_mode)" = "$want_mode" ] || die "archive_mode is still $(pg_setting archive_mode) after the restart"
}

if [ "$BACKUPS_ON" != 1 ]; then
  for timer in "${timers[@]}"; do
    if [ -f "$unit_dir/$timer" ]; then systemctl disable --now "$timer" >/dev/null 2>&1 || true; fi
  done
  drop "$PG_DATA/$PG_ARCHIVE_CONF"
  if [ ${#changed[@]} -gt 0 ]; then apply_archiving off; fi
  # The credentials leave the VM's disk; the repository in the bucket is left as it is.
  for path in "$PGBR_CONFIG" "$PGBR_CA_FILE" /etc/systemd/system/fmc-pgbackrest-full.service /etc/systemd/system/fmc-pgbackrest-full.timer \
    /etc/systemd/system/fmc-pgbackrest-diff.service /etc/systemd/system/fmc-pgbackrest-diff.timer; do
    drop "$path"
  done
  exporter_off postgresql
  systemctl daemon-reload
  log "backups off: ${#changed[@]} changes (${changed[*]:-none}); the repository in the bucket is untouched"
  exit 0
fi

# The credentials, from stdin: never on a command line, never printed.
read_credentials

# pgBackRest from EPEL (the bastion's fail2ban comes from there too); EPEL keeps only its newest
# build, so the floor is checked rather than an exact release pinned.
epel_install pgbackrest
version=$(rpm -q --qf '%{VERSION}' pgbackrest)
if [ "${version%%.*}" != "${PGBR_MIN_VERSION%%.*}" ] || [ "$(printf '%s\n%s\n' "$PGBR_MIN_VERSION" "$version" | sort -V | head -n1)" != "$PGBR_MIN_VERSION" ]; then
  die "pgbackrest $version is installed; this role needs ${PGBR_MIN_VERSION%%.*}.x from $PGBR_MIN_VERSION on"
fi

install -d -m 0750 -o root -g postgres "$ROOT$(dirname "$PGBR_CONFIG")"
install -d -m 0770 -o postgres -g postgres "$ROOT/var/log/pgbackrest" "$ROOT/var/lib/pgbackrest" "$ROOT/var/spool/pgbackrest"
if [ -n "$PGBR_CA_PEM" ]; then put "$PGBR_CA_FILE" 0644 root:root "$PGBR_CA_PEM"; else drop "$PGBR_CA_FILE"; fi
put "$PGBR_CONFIG" 0600 postgres:postgres "$(printf '%s\nrepo1-s3-key=%s\nrepo1-s3-key-secret=%s\nrepo1-cipher-pass=%s' "$PGBR_CONF_BODY" "$key_id" "$key_secret" "$passphrase")"
key_id="" key_secret="" passphrase=""

stanza() { as_postgres pgbackrest --config="$ROOT$PGBR_CONFIG" --stanza="$PGBR_STANZA" --log-level-console=warn "$@"; }

# The stanza before archiving starts: archive-push needs it. A repository written with another
# passphrase (or by another cluster) stops here, untouched: pgBackRest refuses it.
stanza stanza-create || die "pgbackrest stanza-create failed: a repository at this path encrypted with another passphrase, or of another cluster? (it is left as it is)"

before=${#changed[@]}
put "$PG_DATA/$PG_ARCHIVE_CONF" 0600 postgres:postgres "$PG_ARCHIVE_SETTINGS"
if ! grep -qxF "include_dir = 'conf.d'" "$ROOT$PG_DATA/postgresql.conf"; then die "$PG_DATA/postgresql.conf does not include conf.d (fmc-postgresql-setup did not finish)"; fi
if [ ${#changed[@]} -gt "$before" ] || [ "$(pg_setting archive_mode)" != on ]; then apply_archiving on; fi

put /etc/systemd/system/fmc-pgbackrest-full.service 0644 root:root "$UNIT_FULL_SERVICE"
put /etc/systemd/system/fmc-pgbackrest-full.timer 0644 root:root "$UNIT_FULL_TIMER"
put /etc/systemd/system/fmc-pgbackrest-diff.service 0644 root:root "$UNIT_DIFF_SERVICE"
put /etc/systemd/system/fmc-pgbackrest-diff.timer 0644 root:root "$UNIT_DIFF_TIMER"
put "$PITR_ENV" 0644 root:root "$PITR_ENV_BODY"
put "$PITR_SCRIPT" 0755 root:root "$PITR_SCRIPT_BODY"
systemctl daemon-reload
for timer in "${timers[@]}"; do systemctl enable --now "$timer" >/dev/null; done
# Each backup's end is recorded for Prometheus (ExecStopPost= of the services); the exporter serves it.
exporter_on

# A WAL segment pushed and found in the repository: archiving really works.
stanza check || die "pgbackrest check failed: WAL archiving does not reach the repository (see $ROOT/var/log/pgbackrest)"

# Point-in-time recovery needs a full backup to start from: take the first one now, in the background.
if ! stanza info --output=json | grep -q '"label"'; then
  log "the repository has no backup yet: starting the first full backup (fmc-pgbackrest-full.service)"
  systemctl start --no-block fmc-pgbackrest-full.service
fi
log "backups on: ${#changed[@]} changes (${changed[*]:-none})"
