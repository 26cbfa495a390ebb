# shellcheck shell=bash
# Shared start of the scripts Pulumi runs on a Rocky VM after its first boot (GuestRoles.reconcile).
# infra/roles/reconcile.ts puts the settings (FMC_VM_NAME, FMC_BOOT_TIMEOUT_SECONDS, the role's own
# data) above this part and the role's script below it.

# Tests point ROOT at a scratch directory; on a VM it is empty.
ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$FMC_VM_NAME" "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# The command connects as soon as sshd answers, while cloud-init may still be running. Wait for all
# of its stages, then make sure this address really is the expected VM before anything changes on
# it. cloud-init reports an error of its run (exit 1; 2: recoverable, >= 23.4) until the next boot,
# even once fixed by hand: that is a warning here. What stops here is a timeout (124) and a failed
# first-boot step (check_first_boot_steps: fmc-first-boot's record, with the step's log).
wait_for_first_boot() {
  local rc=0 actual
  timeout "$FMC_BOOT_TIMEOUT_SECONDS" cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" -eq 124 ]; then
    die "first boot did not finish within ${FMC_BOOT_TIMEOUT_SECONDS}s (see /var/log/cloud-init-output.log)"
  elif [ "$rc" -ne 0 ]; then
    log "warning: cloud-init reported errors in first boot (exit $rc; see /var/log/cloud-init-output.log); continuing"
  fi
  check_first_boot_steps "$FMC_VM_NAME"
  actual="$(cat "$ROOT/proc/sys/kernel/hostname")"
  [ "${actual%%.*}" = "$FMC_VM_NAME" ] || die "expected VM $FMC_VM_NAME at this address but found '$actual'; refusing to continue"
}

# FreeIPA's commands (records, ACME), after wait_for_first_boot: IPA installed and every service up. After
# a reboot the services need a while; waiting here (rather than retrying kinit) also keeps failed
# logins from counting towards admin's lockout.
wait_for_freeipa() {
  local waited=0
  [ -f "$ROOT/etc/ipa/default.conf" ] || die "FreeIPA is not installed: its install command (fmc-freeipa-install) failed or has not run (see journalctl -u fmc-freeipa-setup.service and /var/log/ipaserver-install.log)"
  until ipactl status >/dev/null 2>&1; do
    [ "$waited" -lt "$FMC_BOOT_TIMEOUT_SECONDS" ] || die "the FreeIPA services are not all running after ${waited}s (ipactl status)"
    sleep 5
    waited=$((waited + 5))
  done
}
