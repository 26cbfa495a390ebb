#!/bin/bash
# Removes K3s from one node (the delete step of its install): the installer's own uninstall script
# stops K3s, kills the containers, removes the CNI interfaces, iptables rules and all K3s data.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
# The machine K3s was installed on (recorded by the wait-for-boot step). A replaced VM answers on
# the same address with another machine id: that one must be left alone.
EXPECTED_MACHINE_ID=@EXPECTED_MACHINE_ID@
UNINSTALL=@UNINSTALL@

ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }

actual_name="$(cat "$ROOT/proc/sys/kernel/hostname")"
actual_id="$(cat "$ROOT/etc/machine-id" 2>/dev/null || true)"
if [ "${actual_name%%.*}" != "$NODE_NAME" ] || { [ -n "$EXPECTED_MACHINE_ID" ] && [ "$actual_id" != "$EXPECTED_MACHINE_ID" ]; }; then
  log "this address now answers as $actual_name ($actual_id), not the machine K3s was installed on; leaving it alone"
  exit 0
fi

if [ -x "$ROOT$UNINSTALL" ]; then
  log "uninstalling K3s"
  "$ROOT$UNINSTALL" >&2
else
  log "K3s is not installed; nothing to uninstall"
fi
