# shellcheck shell=bash
# FreeIPA, after its install (and on every change of the backup target, schedule or retention): the
# scheduled backup to the off-host target (fmc-freeipa-backup and its timer), the restore helper,
# rclone's config and the passphrase; or, with backups off, their removal (nothing in the bucket is
# touched). The settings are above (infra/roles/freeipa-backup.ts); with backups on, stdin holds
# three lines: the access key id, the secret key and the encryption passphrase, written into 0600
# files only, never printed, never an argument. put, drop and the metrics exporter are
# scripts/backup-common.sh's.
wait_for_first_boot
wait_for_freeipa

timer=fmc-freeipa-backup.timer

if [ "$BACKUPS_ON" != 1 ]; then
  if [ -f "$ROOT$UNIT_TIMER" ]; then systemctl disable --now "$timer" >/dev/null 2>&1 || true; fi
  # The credentials and the passphrase leave the VM's disk; the backups in the bucket stay.
  for path in "$UNIT_TIMER" "$UNIT_SERVICE" "$RCLONE_CONFIG" "$PASSPHRASE_FILE" "$CA_FILE" "$BACKUP_ENV" "$BACKUP_SCRIPT" "$RESTORE_SCRIPT"; do
    drop "$path"
  done
  exporter_off freeipa
  systemctl daemon-reload
  log "backups off: ${#changed[@]} changes (${changed[*]:-none}); the backups in the bucket are untouched"
  exit 0
fi

# The credentials, from stdin: never on a command line, never printed.
read_credentials

# rclone from EPEL (as pgBackRest on the database VM); gpg and tar are in the base image.
epel_install rclone
command -v gpg >/dev/null 2>&1 || dnf -y install gnupg2 || die "could not install gnupg2"

install -d -m 0700 -o root -g root "$ROOT$(dirname "$RCLONE_CONFIG")"
if [ -n "$CA_PEM" ]; then put "$CA_FILE" 0644 root:root "$CA_PEM"; else drop "$CA_FILE"; fi
put "$RCLONE_CONFIG" 0600 root:root "$(printf '%s\naccess_key_id = %s\nsecret_access_key = %s' "$RCLONE_CONF_BODY" "$key_id" "$key_secret")"
put "$PASSPHRASE_FILE" 0600 root:root "$passphrase"
key_id="" key_secret="" passphrase=""
put "$BACKUP_ENV" 0644 root:root "$BACKUP_ENV_BODY"
put "$BACKUP_SCRIPT" 0755 root:root "$BACKUP_SCRIPT_BODY"
put "$RESTORE_SCRIPT" 0755 root:root "$RESTORE_SCRIPT_BODY"
put "$UNIT_SERVICE" 0644 root:root "$UNIT_SERVICE_BODY"
put "$UNIT_TIMER" 0644 root:root "$UNIT_TIMER_BODY"
systemctl daemon-reload
systemctl enable --now "$timer" >/dev/null
exporter_on

# The target answers with these credentials (a listing of this VM's prefix): a wrong key, bucket or
# CA stops the command here rather than at the first scheduled run. No backup is started now: it
# stops IPA's services (DNS, the CA) for minutes, which belongs to the schedule, not to a deploy.
FMC_FREEIPA_BACKUP_ENV="$ROOT$BACKUP_ENV" "$ROOT$RESTORE_SCRIPT" --list >/dev/null || die "the backup target cannot be listed with these settings (fmc-freeipa-restore --list)"
log "backups on: ${#changed[@]} changes (${changed[*]:-none}); next run: $(systemctl show -P NextElapseUSecRealtime "$timer" 2>/dev/null || echo unknown)"
