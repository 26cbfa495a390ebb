#!/bin/bash
# fmc-freeipa-restore: fetches a FreeIPA backup from the off-host target and decrypts it into
# ipa-backup's directory, ready for `ipa-restore` (docs/backups.md, "FreeIPA: restore"). It never
# runs ipa-restore itself: that asks for the Directory Manager password and replaces the server's
# data, which the operator starts on purpose.
#
#   fmc-freeipa-restore --list           # the backups in the bucket, oldest first
#   fmc-freeipa-restore --fetch-latest   # the newest one
#   fmc-freeipa-restore --fetch ipa-full-2026-12-06-02-00-31
set -euo pipefail
# shellcheck source=/dev/null
. "${FMC_FREEIPA_BACKUP_ENV:-/etc/flatcarmicrocloud/freeipa-backup.env}"

usage() {
  echo "usage: fmc-freeipa-restore --list | --fetch-latest | --fetch ipa-full-YYYY-MM-DD-HH-MM-SS" >&2
  exit 2
}
die() {
  echo "fmc-freeipa-restore: $*" >&2
  exit 1
}
# @include freeipa-target.sh
backups() { objects | sed -n 's/^\(ipa-full-[0-9]\{4\}\(-[0-9]\{2\}\)\{5\}\)\.tar\.gpg$/\1/p' | sort; }

[ $# -ge 1 ] || usage
case "$1" in
  --list)
    [ $# -eq 1 ] || usage
    backups
    exit 0
    ;;
  --fetch-latest)
    [ $# -eq 1 ] || usage
    name=$(backups | tail -n 1)
    [ -n "$name" ] || die "no backup in $REMOTE"
    ;;
  --fetch)
    [ $# -eq 2 ] || usage
    name="$2"
    [[ "$name" =~ ^ipa-full-[0-9]{4}(-[0-9]{2}){5}$ ]] || die "'$name' is not a backup name like ipa-full-2026-12-06-02-00-31 (see --list)"
    ;;
  *) usage ;;
esac
[ -r "$PASSPHRASE_FILE" ] || die "no passphrase file $PASSPHRASE_FILE: run the backups command first (pulumi up with the same target and passphrase)"
[ ! -e "$IPA_BACKUP_DIR/$name" ] || die "$IPA_BACKUP_DIR/$name exists already: restore it with ipa-restore, or move it away first"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/fmc-freeipa-restore.XXXXXX")
cleanup() {
  gpgconf --homedir "$work/gnupg" --kill gpg-agent >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
install -d -m 0700 "$work/gnupg"
rc copyto "$REMOTE/$name.tar.gpg" "$work/$name.tar.gpg" || die "download of $name.tar.gpg failed"
install -d -m 0700 "$IPA_BACKUP_DIR"
# Decrypted first, unpacked second: a wrong passphrase or a damaged object leaves nothing behind.
gpg --homedir "$work/gnupg" --batch --no-symkey-cache --pinentry-mode loopback --passphrase-file "$PASSPHRASE_FILE" \
  --decrypt --output "$work/$name.tar" "$work/$name.tar.gpg" || die "decryption failed: another passphrase, or a damaged object"
tar -C "$IPA_BACKUP_DIR" -xpf "$work/$name.tar" "$name"
echo "$IPA_BACKUP_DIR/$name"
echo "next: ipa-restore $IPA_BACKUP_DIR/$name (asks for the Directory Manager password; docs/backups.md)" >&2
