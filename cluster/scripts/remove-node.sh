#!/bin/bash
# Runs on the first server when a node leaves the config (or the stack is destroyed): drains the
# node and deletes it from Kubernetes. Deleting a server's Node also removes its etcd member, and
# deleting any Node removes its node password, so a VM of the same name can join again later.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
DRAIN_TIMEOUT_SECONDS=@DRAIN_TIMEOUT_SECONDS@

ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }
kube() { "$ROOT/opt/bin/k3s" kubectl "$@"; }

# An unreachable API must fail this step: "not found" is only believable from a working API.
if ! kube get --raw=/readyz >/dev/null; then
  log "the Kubernetes API on this server is not ready; cannot remove the node"
  exit 1
fi
if [ -z "$(kube get node "$NODE_NAME" --ignore-not-found -o name)" ]; then
  log "not a member of the cluster; nothing to remove"
  exit 0
fi

# A drain that cannot finish (a PodDisruptionBudget with nowhere to go, e.g. on destroy) must not
# leave the node half in the cluster: report it, then delete the node anyway.
if ! kube drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT_SECONDS}s" >&2; then
  log "WARNING: drain did not complete within ${DRAIN_TIMEOUT_SECONDS}s; deleting the node anyway"
fi
kube delete node "$NODE_NAME" --wait=true >&2
log "drained and deleted from the cluster"
