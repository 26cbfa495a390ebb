#!/bin/bash
# Runs on a server before a node's VM is re-created or removed (the node's member step's delete):
# cordons and drains the node, so its pods move away first. Pulumi deletes the VM only when this
# succeeds: a drain that cannot finish fails the step, `pulumi up` stops and the VM keeps running.
# The node stays a member of the cluster (its Node object, its etcd membership on a server, its K3s
# data): the new VM boots from the same disk, K3s starts again, and the node's reconcile step waits
# for it to be Ready and uncordons it, because this step marked the cordon as its own.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NODE_NAME=@NODE_NAME@
DRAIN_TIMEOUT_SECONDS=@DRAIN_TIMEOUT_SECONDS@
# "yes" on a Ceph storage node (its OSD, and a mon, run there).
STORAGE_NODE=@STORAGE_NODE@
# The annotation saying the cordon is this program's, so only its own is undone later.
CORDON_MARK=@CORDON_MARK@

ROOT="${FMC_ROOT:-}"

log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }
die() { log "$*"; exit 1; }
kube() { "$ROOT/opt/bin/k3s" kubectl "$@"; }

kube get --raw=/readyz >/dev/null || die "the Kubernetes API on this server is not ready; cannot drain the node (its VM is left alone)"
if [ -z "$(kube get node "$NODE_NAME" --ignore-not-found -o name)" ]; then
  log "not a member of the cluster; nothing to drain"
  exit 0
fi

# A storage node goes down only while Ceph is healthy with every placement group active+clean.
# Rook's PodDisruptionBudgets already refuse evicting OSDs of another failure domain while one is
# down, and a mon while another is unavailable; they do not see a cluster that is unhealthy for
# other reasons (a mon out of quorum but running, PGs still backfilling or remapped after the last
# node came back, a pool at its limit), and they act only once the operator has reacted.
ceph_gate() {
  if [ -z "$(kube get crd cephclusters.ceph.rook.io --ignore-not-found -o name)" ]; then
    log "no Rook-Ceph on this cluster: no Ceph health to wait for"
    return 0
  fi
  local clusters namespace name health
  clusters="$(kube get cephclusters.ceph.rook.io --all-namespaces -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{" "}{.status.ceph.health}{"\n"}{end}')"
  [ -n "$clusters" ] || { log "no CephCluster: no Ceph health to wait for"; return 0; }
  while read -r namespace name health; do
    [ -n "$namespace" ] || continue
    # The operator refreshes status.ceph from `ceph status` every minute.
    if [ "$health" != HEALTH_OK ]; then
      die "Ceph ($namespace/$name) is ${health:-of unknown health}, not HEALTH_OK: refusing to take storage node $NODE_NAME down (nothing was cordoned). Details: $(kube -n "$namespace" get cephclusters.ceph.rook.io "$name" -o jsonpath='{.status.ceph.details}'). Wait until Ceph is healthy, then run pulumi up again."
    fi
    # PG states are not in the CephCluster's status (Rook v1.20 CephStatus: health, details,
    # capacity, versions), and HEALTH_OK allows remapped/backfilling PGs: ask Ceph itself, through
    # the operator's own client config (the toolbox is not deployed).
    local stat
    stat="$(kube -n "$namespace" exec deploy/rook-ceph-operator -- ceph --conf="/var/lib/rook/$namespace/$namespace.config" --connect-timeout=30 pg stat --format json 2>&1)" ||
      die "cannot ask Ceph ($namespace/$name) for its placement groups through deploy/rook-ceph-operator: ${stat//$'\n'/ }; refusing to take storage node $NODE_NAME down (nothing was cordoned)"
    local total states clean=0 state num others=()
    total="$(grep -o '"num_pgs":[0-9]*' <<<"$stat" | head -n 1 | cut -d: -f2)"
    [ -n "$total" ] || die "Ceph ($namespace/$name) answered no PG count (pg stat: ${stat//$'\n'/ }); refusing to take storage node $NODE_NAME down (nothing was cordoned)"
    states="$(grep -o '"name":"[^"]*","num":[0-9]*' <<<"$stat" | sed 's/^"name":"\([^"]*\)","num":\([0-9]*\)$/\1 \2/')"
    while read -r state num; do
      [ -n "$state" ] || continue
      case "$state" in
        active+clean | active+clean+scrubbing | active+clean+scrubbing+deep) clean=$((clean + num)) ;;
        *) others+=("$num $state") ;;
      esac
    done <<<"$states"
    if [ "$clean" -ne "$total" ]; then
      die "Ceph ($namespace/$name) is HEALTH_OK but only $clean of $total PGs are active+clean (${others[*]:-none reported}): refusing to take storage node $NODE_NAME down (nothing was cordoned); wait for recovery, then run pulumi up again"
    fi
    log "Ceph ($namespace/$name): HEALTH_OK, all $total PGs active+clean"
  done <<<"$clusters"
}
[ "$STORAGE_NODE" != yes ] || ceph_gate

# Cordon, marked as this program's: the reconcile step uncordons only a cordon with the mark, never
# one by kured or an operator. A node already cordoned without the mark stays theirs.
mark="$(kube get node "$NODE_NAME" -o jsonpath="{.metadata.annotations.${CORDON_MARK//./\\.}}")"
unschedulable="$(kube get node "$NODE_NAME" -o jsonpath='{.spec.unschedulable}')"
ours=no
if [ "$unschedulable" != true ] || [ -n "$mark" ]; then
  kube annotate node "$NODE_NAME" --overwrite "$CORDON_MARK=pulumi" >&2
  kube cordon "$NODE_NAME" >&2
  ours=yes
else
  log "already cordoned by someone else (kured, an operator): left to them after the VM is back"
fi

# Evictions honour PodDisruptionBudgets (Rook's among them): a drain that cannot finish in time
# means something must not go down now. Fail, so Pulumi leaves the VM alone, and put the node back
# in service: left cordoned, Rook would keep treating it as in maintenance (noout, blocking budgets
# on the other nodes) and the next run's health gate would wait on this very node.
if ! kube drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT_SECONDS}s" >&2; then
  if [ "$ours" = yes ]; then
    kube uncordon "$NODE_NAME" >&2
    kube annotate node "$NODE_NAME" "$CORDON_MARK-" >&2
  fi
  die "drain did not complete within ${DRAIN_TIMEOUT_SECONDS}s (see above: a PodDisruptionBudget, or a pod that does not stop): the VM was not touched and the node is back in service; fix the cause, then run pulumi up again"
fi
log "cordoned and drained (still a member of the cluster)"
