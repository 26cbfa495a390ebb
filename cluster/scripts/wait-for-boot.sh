#!/bin/bash
# First step on every node: wait until first-boot provisioning has finished, and make sure the
# address really belongs to the expected VM. Prints only the machine id on stdout: stage 2 records
# it, and the uninstall step later acts only on this very machine.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
OS_FAMILY=@OS_FAMILY@
BOOT_TIMEOUT_SECONDS=@BOOT_TIMEOUT_SECONDS@

# Tests point ROOT at a scratch directory; on a node it is empty.
ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }

# systemd reports "starting" until every boot job ran; "degraded" (some unrelated unit failed) is
# not a reason to stop here, the K3s install reports its own failures. A boot job that never ends
# must not hold the deployment forever.
state="$(timeout "$BOOT_TIMEOUT_SECONDS" systemctl is-system-running --wait 2>/dev/null || true)"
case "$state" in
  running | degraded) log "boot finished ($state)" ;;
  *)
    log "boot did not finish: systemd reports '${state:-nothing}'"
    exit 1
    ;;
esac

if [ "$OS_FAMILY" = rocky ]; then
  # cloud-init runs after sshd is up; wait for all of its stages (exit 2: done with recoverable errors).
  rc=0
  timeout "$BOOT_TIMEOUT_SECONDS" cloud-init status --wait >/dev/null || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    log "cloud-init failed (exit $rc)"
    exit 1
  fi
fi

# Ignition (Flatcar) or cloud-init (Rocky) set the hostname; a different one means another machine
# answers on this address, and nothing may be installed on it.
actual="$(cat "$ROOT/proc/sys/kernel/hostname")"
if [ "${actual%%.*}" != "$NODE_NAME" ]; then
  log "expected VM $NODE_NAME at this address but found '$actual'; refusing to continue"
  exit 1
fi

cat "$ROOT/etc/machine-id"
