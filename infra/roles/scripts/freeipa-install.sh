# shellcheck shell=bash
# FreeIPA's install, after first boot: the two passwords arrive on stdin (admin, then Directory
# Manager, one per line), never in the VM's user-data nor on a command line; they go to root-only
# files on /run (tmpfs) that the setup removes when it ends. The setup script (FMC_SETUP_SCRIPT, as
# this program renders it, so a live VM runs the current one) runs as a transient systemd unit: the
# installer's 15+ minutes survive a dropped SSH connection, and a re-run waits for it.
secrets="$ROOT/run/flatcarmicrocloud"
setup="$ROOT/usr/local/sbin/fmc-freeipa-setup"
unit=fmc-freeipa-setup

wait_for_first_boot

admin_password=""
dm_password=""
IFS= read -r admin_password || true
IFS= read -r dm_password || true
for pw in "$admin_password" "$dm_password"; do
  case $pw in
    '' | *[!A-Za-z0-9]*) die "stdin must hold the admin and the Directory Manager password, one per line (letters and digits)" ;;
  esac
done
mkdir -p "$secrets"
chmod 0700 "$secrets"
# printf is a bash builtin: the passwords are in no process's arguments.
(
  umask 077
  printf '%s\n' "$admin_password" >"$secrets/freeipa-admin-password"
  printf '%s\n' "$dm_password" >"$secrets/freeipa-directory-manager-password"
)
admin_password=""
dm_password=""

if [ ! -f "$setup" ] || [ "$(cat "$setup")" != "$FMC_SETUP_SCRIPT" ]; then
  printf '%s\n' "$FMC_SETUP_SCRIPT" >"$setup.new"
  chmod 0755 "$setup.new"
  mv -f "$setup.new" "$setup"
fi

waited=0
while systemctl is-active --quiet "$unit.service"; do
  [ "$waited" -lt "$FMC_BOOT_TIMEOUT_SECONDS" ] || die "an earlier FreeIPA setup ($unit) is still running after ${waited}s"
  log "an earlier FreeIPA setup ($unit) is still running; waiting"
  sleep 10
  waited=$((waited + 10))
done
if ! systemd-run --unit="$unit" --wait --collect --quiet "${setup#"$ROOT"}"; then
  rm -f "$secrets/freeipa-admin-password" "$secrets/freeipa-directory-manager-password"
  log "the FreeIPA setup failed; the last lines of its journal:"
  journalctl -u "$unit.service" -n 40 --no-pager >&2 || true
  die "the FreeIPA setup failed (journalctl -u $unit.service and /var/log/ipaserver-install.log on the VM)"
fi
rm -f "$secrets/freeipa-admin-password" "$secrets/freeipa-directory-manager-password"
wait_for_freeipa
echo "FreeIPA on $FMC_VM_NAME is installed and running"
