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
# of its stages (exit 2: done with recoverable errors, cloud-init >= 23.4), then make sure this
# address really is the expected VM before anything changes on it.
wait_for_first_boot() {
  local rc=0 actual
  timeout "$FMC_BOOT_TIMEOUT_SECONDS" cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    die "first boot did not finish (cloud-init status exit $rc; see /var/log/cloud-init-output.log)"
  fi
  actual="$(cat "$ROOT/proc/sys/kernel/hostname")"
  [ "${actual%%.*}" = "$FMC_VM_NAME" ] || die "expected VM $FMC_VM_NAME at this address but found '$actual'; refusing to continue"
}
