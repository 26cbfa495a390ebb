# shellcheck shell=bash
# Included by the after-boot scripts that wait for a Rocky VM's first boot (host-settings.sh, the
# roles' reconcile prelude). Needs ROOT, log and die. cloud-init's own status does not tell a failed
# role script (runcmd runs as one /bin/sh script without `set -e`): fmc-first-boot
# (infra/roles/scripts/first-boot.sh) records the first failing step, and the marker it writes last.

# check_first_boot_steps VM: after `cloud-init status --wait`, stops with the failed step and its
# log's last lines, or when the steps never finished.
check_first_boot_steps() {
  local vm="$1" state="$ROOT/var/lib/flatcarmicrocloud" step steplog status
  if [ -f "$state/first-boot.failed" ]; then
    read -r step steplog status <"$state/first-boot.failed"
    log "first boot failed at step '$step' (exit $status); the last lines of $steplog:"
    tail -n 30 "$ROOT$steplog" >&2 || true
    die "first boot step '$step' of $vm failed (log: $steplog on the VM); fix its cause and run 'sudo fmc-first-boot' on the VM (finished steps are skipped), or give the VM a new root disk"
  fi
  [ -f "$state/first-boot.done" ] ||
    die "first boot of $vm did not finish its steps (no /var/lib/flatcarmicrocloud/first-boot.done; see /var/log/cloud-init-output.log on the VM)"
}
