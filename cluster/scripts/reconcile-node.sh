#!/bin/bash
# Runs on a server: waits until a node has joined and is Ready, then makes its labels and taints
# the configured ones and brings it back into service after a drain of this program's own.
# - Labels and taints: the configured ones are set (the node registered them itself from its
#   config.yaml; this also applies labels the kubelet may not set, in kubernetes.io namespaces, and
#   values changed after registration). The keys this step set are recorded on the node (the
#   @LABELS_MARK@ and @TAINTS_MARK@ annotations): one it set earlier that the config no longer
#   has is removed. Labels and taints it never set (K3s's, kured's, an operator's) stay.
# - Uncordon: only when the cordon carries the mark of this program's drain (the member step's
#   delete, before the VM was re-created). A node cordoned by kured or an operator stays cordoned.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
# key=value, and their keys.
LABELS=(@LABELS@)
LABEL_KEYS=(@LABEL_KEYS@)
# key[=value]:Effect, and their key:Effect identities.
TAINTS=(@TAINTS@)
TAINT_IDS=(@TAINT_IDS@)
LABELS_MARK=@LABELS_MARK@
TAINTS_MARK=@TAINTS_MARK@
CORDON_MARK=@CORDON_MARK@
READY_ATTEMPTS=@READY_ATTEMPTS@
READY_INTERVAL_SECONDS=@READY_INTERVAL_SECONDS@

ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }
kube() { "$ROOT/opt/bin/k3s" kubectl "$@"; }
# A node annotation's value (empty when absent).
annotation() { kube get node "$NODE_NAME" -o jsonpath="{.metadata.annotations.${1//./\\.}}"; }
# Whether word $1 is among the remaining arguments.
among() {
  local want="$1" w
  shift
  for w in "$@"; do [ "$w" = "$want" ] && return 0; done
  return 1
}

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

# What this step set last time (none on a node it never reconciled, or from a program before it
# recorded them).
IFS=, read -ra owned_labels <<<"$(annotation "$LABELS_MARK")"
IFS=, read -ra owned_taints <<<"$(annotation "$TAINTS_MARK")"
removed=()
for key in "${owned_labels[@]}"; do
  [ -n "$key" ] || continue
  if ! among "$key" "${LABEL_KEYS[@]}"; then
    kube label node "$NODE_NAME" "$key-" >&2
    removed+=("label $key")
  fi
done
present_taints="$(kube get node "$NODE_NAME" -o jsonpath='{range .spec.taints[*]}{.key}:{.effect}{"\n"}{end}')"
for id in "${owned_taints[@]}"; do
  [ -n "$id" ] || continue
  if ! among "$id" "${TAINT_IDS[@]}" && grep -qxF "$id" <<<"$present_taints"; then
    kube taint node "$NODE_NAME" "$id-" >&2
    removed+=("taint $id")
  fi
done

if [ "${#LABELS[@]}" -gt 0 ]; then
  kube label node "$NODE_NAME" --overwrite "${LABELS[@]}" >&2
fi
if [ "${#TAINTS[@]}" -gt 0 ]; then
  kube taint node "$NODE_NAME" --overwrite "${TAINTS[@]}" >&2
fi
# Recorded after they are in place: a run cut short in between only repeats work next time.
joined_labels="$(IFS=,; printf '%s' "${LABEL_KEYS[*]}")"
joined_taints="$(IFS=,; printf '%s' "${TAINT_IDS[*]}")"
if [ "$(annotation "$LABELS_MARK")" != "$joined_labels" ] || [ "$(annotation "$TAINTS_MARK")" != "$joined_taints" ]; then
  kube annotate node "$NODE_NAME" --overwrite "$LABELS_MARK=$joined_labels" "$TAINTS_MARK=$joined_taints" >&2
fi

service="schedulable"
if [ -n "$(annotation "$CORDON_MARK")" ]; then
  kube uncordon "$NODE_NAME" >&2
  kube annotate node "$NODE_NAME" "$CORDON_MARK-" >&2
  service="uncordoned (drained by this program)"
elif [ "$(kube get node "$NODE_NAME" -o jsonpath='{.spec.unschedulable}')" = true ]; then
  service="left cordoned (not cordoned by this program: kured or an operator)"
fi
log "Ready, ${#LABELS[@]} label(s), ${#TAINTS[@]} taint(s)${removed[*]:+, removed: ${removed[*]}}, $service"
