#!/bin/bash
# Runs on a server before a node's VM is re-created on the same disks (a resize): cordons and
# drains the node, so its pods move away first. The node stays a member of the cluster (its Node
# object, its etcd membership on a server, its K3s data): the new VM boots from the same disk, K3s
# starts again, and the node's reconcile step waits for it to be Ready and uncordons it.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
DRAIN_TIMEOUT_SECONDS=@DRAIN_TIMEOUT_SECONDS@

ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }
kube() { "$ROOT/opt/bin/k3s" kubectl "$@"; }

if ! kube get --raw=/readyz >/dev/null; then
  log "the Kubernetes API on this server is not ready; cannot drain the node"
  exit 1
fi
if [ -z "$(kube get node "$NODE_NAME" --ignore-not-found -o name)" ]; then
  log "not a member of the cluster; nothing to drain"
  exit 0
fi
kube cordon "$NODE_NAME" >&2
# A PodDisruptionBudget that cannot be met must not keep the VM from being re-created for ever:
# report it and go on (the node comes back with its data; the pods that stayed restart with it).
if ! kube drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT_SECONDS}s" >&2; then
  log "WARNING: drain did not complete within ${DRAIN_TIMEOUT_SECONDS}s; continuing"
fi
log "cordoned and drained (still a member of the cluster)"
