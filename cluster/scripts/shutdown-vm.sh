#!/bin/bash
# Runs on the machine that runs Pulumi, over the libvirt provider's own URI, right before the
# provider deletes a K3s node's domain (re-created on its disks, a new root disk, or removed): by
# then the node is drained and everything Pulumi runs on it is done. terraform-provider-libvirt
# 0.8.3 destroys a running domain (virDomainDestroy, a hard power-off) and only undefines a shut
# off one, so the guest is asked to power off first (virsh shutdown: the guest agent or the ACPI
# power button, which systemd-logind turns into `systemctl poweroff` on Flatcar and Rocky) and
# this waits, bounded, until the domain is shut off. When it is not, this fails: `pulumi up` stops
# with the VM still running; it is never powered off hard here.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

LIBVIRT_URI=@LIBVIRT_URI@
DOMAIN=@DOMAIN@
TIMEOUT_SECONDS=@TIMEOUT_SECONDS@
INTERVAL_SECONDS=@INTERVAL_SECONDS@

log() { printf '[%s shutdown] %s\n' "$DOMAIN" "$*" >&2; }
die() { log "$*"; exit 1; }
# stdin closed: an SSH transport that wants a password fails instead of waiting.
virt() { timeout 60 virsh --quiet --connect "$LIBVIRT_URI" "$@" </dev/null; }

if ! state="$(virt domstate "$DOMAIN" 2>&1)"; then
  # Gone already (deleted outside Pulumi): nothing runs that could be cut off.
  if [[ "$state" == *"failed to get domain"* || "$state" == *"Domain not found"* ]]; then
    log "no domain $DOMAIN at $LIBVIRT_URI: nothing to shut down"
    exit 0
  fi
  die "cannot ask libvirt at $LIBVIRT_URI for the state of $DOMAIN: ${state//$'\n'/ }"
fi

waited=0
asked=-1
while true; do
  case "$state" in
    "shut off" | crashed)
      if [ "$asked" -lt 0 ]; then log "already $state"; else log "shut off cleanly after ${waited}s"; fi
      exit 0
      ;;
  esac
  [ "$waited" -lt "$TIMEOUT_SECONDS" ] || break
  # Asked again every minute: a power button pressed while the guest was still booting is lost.
  if [ "$asked" -lt 0 ] || [ $((waited - asked)) -ge 60 ]; then
    log "asking the guest to power off (state: $state)"
    virt shutdown "$DOMAIN" >/dev/null 2>&1 || log "virsh shutdown $DOMAIN failed; still waiting"
    asked=$waited
  fi
  sleep "$INTERVAL_SECONDS"
  waited=$((waited + INTERVAL_SECONDS))
  state="$(virt domstate "$DOMAIN" 2>&1)" || die "cannot ask libvirt at $LIBVIRT_URI for the state of $DOMAIN: ${state//$'\n'/ }"
done
die "$DOMAIN did not power off within ${TIMEOUT_SECONDS}s (state: $state): it still runs and was not destroyed. Look at its console (virsh console $DOMAIN); once it is shut off (virsh shutdown, or virsh destroy if you accept a hard power-off), run pulumi up again"
