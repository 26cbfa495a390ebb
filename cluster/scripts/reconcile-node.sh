#!/bin/bash
# Runs on a server: waits until a node has joined and is Ready, then sets its labels and taints
# and uncordons it (a node drained before its VM was re-created comes back into service here). The node registered them itself from its config.yaml; this step also applies labels the
# kubelet may not set (kubernetes.io namespaces) and values changed after registration.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
LABELS=(@LABELS@)
TAINTS=(@TAINTS@)
READY_ATTEMPTS=@READY_ATTEMPTS@
READY_INTERVAL_SECONDS=@READY_INTERVAL_SECONDS@

ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }
kube() { "$ROOT/opt/bin/k3s" kubectl "$@"; }

ready=false
for ((i = 0; i < READY_ATTEMPTS; i++)); do
  status="$(kube get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
  if [ "$status" = True ]; then
    ready=true
    break
  fi
  sleep "$READY_INTERVAL_SECONDS"
done
if [ "$ready" != true ]; then
  log "did not become Ready in the cluster in time"
  exit 1
fi

if [ "${#LABELS[@]}" -gt 0 ]; then
  kube label node "$NODE_NAME" --overwrite "${LABELS[@]}" >&2
fi
if [ "${#TAINTS[@]}" -gt 0 ]; then
  kube taint node "$NODE_NAME" --overwrite "${TAINTS[@]}" >&2
fi
kube uncordon "$NODE_NAME" >&2
log "Ready, ${#LABELS[@]} label(s), ${#TAINTS[@]} taint(s), schedulable"
