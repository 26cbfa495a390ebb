#!/bin/bash
# fmc-freeipa-backup: one FreeIPA backup to the off-host target (docs/backups.md, "FreeIPA"), run by
# fmc-freeipa-backup.timer. A full ipa-backup (files, LDAP data and the CA's keys; IPA's services
# stop while it runs, which only a full backup allows and only a full backup can rebuild a lost
# server from), then on this VM: tar | gpg --symmetric (AES-256, the stack's passphrase), the
# ciphertext uploaded with rclone, and retention over this VM's own prefix: only objects named as
# this script names them (ipa-full-<UTC time>.tar.gpg) and older than the retention are deleted,
# never the one just written. The plain backup directory is removed from the VM when the run ends.
set -euo pipefail
# shellcheck source=/dev/null
. "${FMC_FREEIPA_BACKUP_ENV:-/etc/flatcarmicrocloud/freeipa-backup.env}"

log() { echo "fmc-freeipa-backup: $*" >&2; }
die() {
  log "$*"
  exit 1
}
# @include freeipa-target.sh

[ -r "$PASSPHRASE_FILE" ] || die "no passphrase file $PASSPHRASE_FILE (backups are off, or the backups command did not finish)"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/fmc-freeipa-backup.XXXXXX")
created=""
cleanup() {
  gpgconf --homedir "$work/gnupg" --kill gpg-agent >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ -n "$created" ]; then rm -rf "${IPA_BACKUP_DIR:?}/$created"; fi
}
trap cleanup EXIT

list_local() { find "$IPA_BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'ipa-full-*' -printf '%f\n' 2>/dev/null | sort; }
before=$(list_local)
status=0
ipa-backup || status=$?
# ipa-backup stops every IPA service (DNS and the CA included) and starts them again; a run that
# failed half-way may not have: never leave the server down.
if ! ipactl status >/dev/null 2>&1; then
  log "IPA services not all running after ipa-backup: ipactl start"
  ipactl start >&2 || log "ipactl start failed: see ipactl status"
fi
created=$(comm -13 <(printf '%s\n' "$before") <(list_local) | tail -n 1)
[ "$status" -eq 0 ] || die "ipa-backup failed (exit $status; see /var/log/ipabackup.log)"
[[ "$created" =~ ^ipa-full-[0-9]{4}(-[0-9]{2}){5}$ ]] || die "ipa-backup wrote no new ipa-full-* directory in $IPA_BACKUP_DIR"

object="$created.tar.gpg"
install -d -m 0700 "$work/gnupg"
tar -C "$IPA_BACKUP_DIR" -cf - "$created" |
  gpg --homedir "$work/gnupg" --batch --yes --no-symkey-cache --pinentry-mode loopback --passphrase-file "$PASSPHRASE_FILE" \
    --symmetric --cipher-algo AES256 --output "$work/$object"
rc copyto "$work/$object" "$REMOTE/$object" || die "upload of $object to the target failed"
log "uploaded $object ($(stat -c %s "$work/$object") bytes)"

# Retention: this VM's prefix, this script's names, older than RETENTION_DAYS; anything else stays.
cutoff=$(date -u -d "-$RETENTION_DAYS days" +%Y-%m-%d-%H-%M-%S)
listing=$(objects) || die "listing $REMOTE for retention failed (the backup itself is uploaded)"
while IFS= read -r name; do
  [[ "$name" =~ ^ipa-full-([0-9]{4}(-[0-9]{2}){5})\.tar\.gpg$ ]] || continue
  [ "$name" != "$object" ] || continue
  if [[ "${BASH_REMATCH[1]}" < "$cutoff" ]]; then
    rc deletefile "$REMOTE/$name"
    log "retention: deleted $name (older than $RETENTION_DAYS days)"
  fi
done <<<"$listing"
