#!/bin/bash
# ExecStartPre of the K3s service (cluster/scripts.ts, k3sServiceDropIn): names flannel's interface
# by the node's address, at every start of K3s, in a config drop-in K3s merges into config.yaml.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted) and
# installed to /opt/bin by the install script.
#
# Why not the name stage 1 gave the NIC: the VM renames its NICs with systemd .link files (by MAC),
# and udev does not rename a NIC that is already up (the initrd may bring one up for Ignition), so on
# such a boot the NIC keeps its kernel name and `flannel-iface: <stage 1 name>` names a missing
# interface: K3s exits. The name can differ from boot to boot; the address cannot. K3s itself, with
# node-ip set and flannel-iface unset, takes the interface of the default route, which on VMs whose
# first NIC is not on the cluster network is the wrong one.
set -euo pipefail

NODE_NAME=@NODE_NAME@
NODE_IP=@NODE_IP@
# The name the NIC should have (stage 1's): only for the log when the rename did not apply.
EXPECTED_IFACE=@EXPECTED_IFACE@
# systemd-networkd may still be configuring the address when K3s starts: bounded wait, 1 s apart.
ATTEMPTS=@ATTEMPTS@

ROOT="${FMC_ROOT:-}" # tests point ROOT at a scratch directory; on a node it is empty
DROPIN="$ROOT/etc/rancher/k3s/config.yaml.d/50-flannel-iface.yaml"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }

iface=""
for ((i = 0; i < ATTEMPTS; i++)); do
  # `to <address>` matches the address itself; field 2 is the interface (any @peer suffix dropped).
  iface="$(ip -o -4 addr show to "$NODE_IP" | awk 'NR == 1 { sub(/@.*/, "", $2); print $2 }')"
  [ -n "$iface" ] && break
  sleep 1
done
if [ -z "$iface" ]; then
  log "no interface carries the node address $NODE_IP; its addresses:"
  ip -o -4 addr show >&2 || true
  exit 1
fi
if ! [[ "$iface" =~ ^[A-Za-z0-9_.:-]+$ ]]; then
  log "unexpected interface name '$iface' for $NODE_IP"
  exit 1
fi
if [ "$iface" != "$EXPECTED_IFACE" ]; then
  log "$NODE_IP is on $iface, not $EXPECTED_IFACE (its .link rename did not apply on this boot); flannel uses $iface"
fi

desired="# Written by FlatcarMicroCloud at each start of K3s: the interface that carries node-ip $NODE_IP.
flannel-iface: \"$iface\""
if [ ! -f "$DROPIN" ] || [ "$(cat "$DROPIN")" != "$desired" ]; then
  mkdir -p "$(dirname "$DROPIN")"
  printf '%s\n' "$desired" >"$DROPIN.new"
  chmod 0644 "$DROPIN.new"
  mv -f "$DROPIN.new" "$DROPIN"
fi
log "flannel-iface: $iface (carries $NODE_IP)"
