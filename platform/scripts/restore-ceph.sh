#!/bin/bash
# Carries the LIVE Ceph cluster across an etcd restore onto a rebuilt stack, one step per call, on
# the first K3s server (as root). The snapshot brings back Rook's objects of the LOST Ceph cluster
# (its fsid and keys in the Secret rook-ceph-mon, its mons' addresses in the ConfigMap
# rook-ceph-mon-endpoints, its mon/OSD Deployments, its volumes); the new disks hold the Ceph
# cluster the rebuilt stack created. Rook loads a cluster's identity from those objects and creates
# a new one only when rook-ceph-mon is missing (Rook v1.20.6 pkg/operator/ceph/controller/
# cluster_info.go:110-177), so the live cluster's objects go back over the snapshot's, as Rook's
# disaster-recovery guide does for a new Kubernetes cluster (Documentation/Troubleshooting/
# disaster-recovery.md:252-269). docs/backups.md, "Ceph after a restore onto a rebuilt stack".
# `npm run restore -- etcd --rebuilt` (scripts/restore.js, plan in platform/ceph-restore.ts) sends
# this script over SSH with one of these steps:
#   capture --created-after <unix time>
#                  the rebuilt cluster, before K3s stops: its CephCluster must be younger than the
#                  snapshot (else it is the lost one: refused, exit 3); keeps Rook's Secrets
#                  (type kubernetes.io/rook: fsid, keyrings, CSI users) and the mon endpoints in a
#                  root-only directory on this server
#   hold           the restored cluster, right after the reset (the agents are not back yet, so no
#                  pod of the snapshot runs): refuses (exit 3, nothing changed) unless every live mon
#                  address is free; scales Rook's operator to 0, deletes the Deployments whose pods
#                  carry the lost cluster's fsid (mons, mgrs, OSDs, ...) and the mon Services whose
#                  address is not the live mon's, puts the captured Secrets and mon endpoints back
#   resume         every node back: the operator scaled up again; waits until it reports the live
#                  fsid in the CephCluster's status (it re-creates the mon Services at the live
#                  addresses and the daemons from the live identity); the captured keys are deleted
#   claims [<namespace>...]
#                  lists the claims whose volumes were images of the lost Ceph cluster (their
#                  PersistentVolume is older than the live Ceph cluster) and prints, for the
#                  namespaces given (those Velero backs up), the commands that restore them
# Nothing secret is on a command line or in the output: Secrets' data goes from kubectl to files
# of a 0700 directory and back through --patch-file / -f.
# Rendered by platform/ceph-restore.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

NS=@NAMESPACE@
OPERATOR=@OPERATOR_DEPLOYMENT@
RBD_DRIVER=@RBD_DRIVER@
CEPHFS_DRIVER=@CEPHFS_DRIVER@
VELERO_NS=@VELERO_NAMESPACE@
VELERO_SCHEDULE=@VELERO_SCHEDULE@
RESUME_ATTEMPTS=@RESUME_ATTEMPTS@
INTERVAL_SECONDS=@INTERVAL_SECONDS@

# Tests point ROOT at a scratch directory; on a node it is empty.
ROOT="${FMC_ROOT:-}"
K3S="$ROOT/opt/bin/k3s"
KUBECONFIG_FILE="$ROOT/etc/rancher/k3s/k3s.yaml"
STATE="$ROOT"@STATE_DIR@
MON_ENDPOINTS=rook-ceph-mon-endpoints
MON_SECRET=rook-ceph-mon
ROOK_SECRET_TYPE=kubernetes.io/rook

node="$(cat "$ROOT/proc/sys/kernel/hostname" 2>/dev/null || echo server)"
log() { printf '[%s] restore-ceph: %s\n' "$node" "$*" >&2; }
die() {
  log "$1"
  exit "${2:-1}"
}
kube() { "$K3S" kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=30s "$@"; }
epoch() { date -u -d "$1" +%s; }
valid_name() { [[ "$1" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]]; }

step="${1:-}"
[ -n "$step" ] || die "usage: restore-ceph.sh capture --created-after <unix time> | hold | resume | claims [<namespace>...]" 2
shift
[ -x "$K3S" ] || die "no K3s at $K3S: not a K3s server" 2
umask 077

# The capture's summary: "<CephCluster name> <its creation, unix> <fsid>", or "none".
read_capture() {
  [ -f "$STATE/cluster" ] || die "no capture of the rebuilt stack's Ceph cluster in $STATE: the restore takes it before K3s stops (step capture); without it the live Ceph cluster cannot be told from the lost one"
  read -r cluster_name cluster_created live_fsid <"$STATE/cluster" || true
}

# "a 10.43.0.10" per line, from Rook's "a=10.43.0.10:6789,b=..." (mon.go flattenMonEndpoints).
live_mons() { tr ',' '\n' <"$STATE/mon-endpoints" | sed -n 's/^\([a-z0-9]*\)=\(.*\):[0-9]*$/\1 \2/p'; }

secret_fsid() { kube -n "$NS" get secret "$MON_SECRET" -o 'jsonpath={.data.fsid}' 2>/dev/null | base64 -d 2>/dev/null || true; }

# Puts one captured Secret or ConfigMap's data back: the restored object keeps its metadata (its
# owner is the restored CephCluster, whose uid Rook takes from rook-ceph-mon, cluster_info.go:173);
# a missing one is created owned by that CephCluster.
put_back() {
  local kind="$1" name="$2" data="$3" owner="$4" patch="$STATE/patch.json" object="$STATE/object.json"
  [ -s "$data" ] || printf '{}' >"$data"
  if kube -n "$NS" get "$kind" "$name" -o name >/dev/null 2>&1; then
    { printf '[{"op":"add","path":"/data","value":'; cat "$data"; printf '}]'; } >"$patch"
    kube -n "$NS" patch "$kind" "$name" --type json --patch-file "$patch" >/dev/null
  else
    {
      printf '{"apiVersion":"v1","kind":"%s","metadata":{"name":"%s","namespace":"%s"' "$([ "$kind" = secret ] && echo Secret || echo ConfigMap)" "$name" "$NS"
      [ -n "$owner" ] && printf ',"ownerReferences":[%s]' "$owner"
      printf '}'
      [ "$kind" = secret ] && printf ',"type":"%s"' "$ROOK_SECRET_TYPE"
      printf ',"data":'
      cat "$data"
      printf '}'
    } >"$object"
    kube create -f "$object" >/dev/null
  fi
  rm -f "$patch" "$object"
}

case "$step" in
  capture)
    if [ "${1:-}" != --created-after ] || ! [[ "${2:-}" =~ ^[0-9]+$ ]]; then
      die "capture needs --created-after <the snapshot's time, unix seconds>" 2
    fi
    snapshot_at="$2"
    mkdir -p "$STATE"
    chmod 700 "$STATE"
    clusters=""
    # No Rook on the stack (its CRD absent): nothing to carry over either.
    if kube get crd cephclusters.ceph.rook.io -o name >/dev/null 2>&1; then
      clusters="$(kube -n "$NS" get cephclusters.ceph.rook.io -o 'jsonpath={range .items[*]}{.metadata.name} {.metadata.creationTimestamp}{"\n"}{end}')" || die "cannot list the CephClusters in $NS"
    fi
    if [ -z "$clusters" ]; then
      echo none >"$STATE/cluster"
      log "no CephCluster in $NS on the rebuilt stack: nothing of Ceph to carry over"
      exit 0
    fi
    [ "$(wc -l <<<"$clusters")" -eq 1 ] || die "more than one CephCluster in $NS: this restore carries one (the platform's) over" 3
    read -r name created <<<"$clusters"
    # The proof that this is the rebuilt stack's Ceph cluster, not the one the snapshot describes.
    if [ "$(epoch "$created")" -le "$snapshot_at" ]; then
      die "the CephCluster $NS/$name was created at $created, not after the snapshot ($(date -u -d "@$snapshot_at" +%Y-%m-%dT%H:%M:%SZ)): it is not the rebuilt stack's Ceph cluster; refusing to take its identity" 3
    fi
    fsid="$(secret_fsid)"
    [[ "$fsid" =~ ^[0-9a-f-]{36}$ ]] || die "the rebuilt Ceph cluster has no fsid in $NS/$MON_SECRET yet: wait until Rook has created it (kubectl -n $NS get cephcluster) and run the restore again" 3
    status_fsid="$(kube -n "$NS" get cephclusters.ceph.rook.io "$name" -o 'jsonpath={.status.ceph.fsid}')"
    [ -z "$status_fsid" ] || [ "$status_fsid" = "$fsid" ] || die "the CephCluster's status names the Ceph cluster $status_fsid but $MON_SECRET names $fsid: Rook's objects disagree on the rebuilt stack; fix that first" 3
    endpoints="$(kube -n "$NS" get configmap "$MON_ENDPOINTS" -o 'jsonpath={.data.data}' 2>/dev/null || true)"
    [ -n "$endpoints" ] || die "the rebuilt Ceph cluster has no mon endpoints ($NS/$MON_ENDPOINTS) yet: wait until its mons run and run the restore again" 3
    # Built aside, then moved in place: a capture is whole or absent.
    work="$(mktemp -d "$STATE/capture.XXXXXX")"
    mkdir "$work/secrets"
    count=0
    for secret in $(kube -n "$NS" get secrets --field-selector "type=$ROOK_SECRET_TYPE" -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'); do
      valid_name "$secret" || die "unexpected Secret name in $NS: $secret"
      kube -n "$NS" get secret "$secret" -o 'jsonpath={.data}' >"$work/secrets/$secret.json"
      count=$((count + 1))
    done
    [ -s "$work/secrets/$MON_SECRET.json" ] || die "$NS/$MON_SECRET was not among Rook's Secrets (type $ROOK_SECRET_TYPE)"
    kube -n "$NS" get configmap "$MON_ENDPOINTS" -o 'jsonpath={.data}' >"$work/mon-endpoints.json"
    printf '%s\n' "$endpoints" >"$work/mon-endpoints"
    printf '%s %s %s\n' "$name" "$(epoch "$created")" "$fsid" >"$work/cluster"
    rm -rf "$STATE/secrets" "$STATE/mon-endpoints.json" "$STATE/mon-endpoints" "$STATE/operator-replicas"
    mv "$work/secrets" "$work/mon-endpoints.json" "$work/mon-endpoints" "$STATE/"
    mv "$work/cluster" "$STATE/cluster"
    rmdir "$work"
    log "captured the live Ceph cluster $fsid (CephCluster $NS/$name, created $created): $count Secrets of Rook's and the mon endpoints $endpoints, in $STATE (root only)"
    ;;
  hold)
    read_capture
    if [ "$cluster_name" = none ]; then
      log "the rebuilt stack had no Ceph cluster: nothing to carry over"
      exit 0
    fi
    kube get --raw=/readyz >/dev/null || die "the restored cluster's API does not answer"
    if ! [ -s "$STATE/secrets/$MON_SECRET.json" ] || ! [ -s "$STATE/mon-endpoints.json" ]; then
      die "the captured identity is no longer in $STATE (resume deletes it once Rook reports the live cluster): nothing to put back"
    fi
    stale_fsid="$(secret_fsid)"
    if [ "$stale_fsid" = "$live_fsid" ]; then
      log "$NS/$MON_SECRET already names the live Ceph cluster $live_fsid: nothing of the snapshot's Ceph is stale"
      exit 0
    fi
    [ -n "$stale_fsid" ] || log "the snapshot has no $NS/$MON_SECRET: the live identity goes back, no daemon is deleted"
    owner=""
    uid="$(kube -n "$NS" get cephclusters.ceph.rook.io "$cluster_name" -o 'jsonpath={.metadata.uid}' 2>/dev/null || true)"
    [ -z "$uid" ] || owner="$(printf '{"apiVersion":"ceph.rook.io/v1","kind":"CephCluster","name":"%s","uid":"%s","blockOwnerDeletion":true,"controller":true}' "$cluster_name" "$uid")"
    # Mon Services not at their live mon's address (the lost mons'): Rook keeps an existing
    # Service's address (service.go:52-60), so the live mon would be unreachable behind it; deleted,
    # Rook re-creates it at the address of the mon endpoints.
    gone=()
    while read -r service ip; do
      [ -n "$service" ] || continue
      want="$(live_mons | awk -v m="${service#rook-ceph-mon-}" '$1 == m { print $2 }')"
      [ "$ip" = "$want" ] || gone+=("$service")
    done < <(kube -n "$NS" get services -l app=rook-ceph-mon -o 'jsonpath={range .items[*]}{.metadata.name} {.spec.clusterIP}{"\n"}{end}')
    # Every live mon address must be free once those are gone, or Rook could not give its mon
    # Service that address: refused before anything changes.
    services="$(kube get services -A -o 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.clusterIP}{"\n"}{end}')"
    while read -r mon ip; do
      holder="$(awk -v ip="$ip" '$2 == ip { print $1 }' <<<"$services")"
      [ -z "$holder" ] || [ "$holder" = "$NS/rook-ceph-mon-$mon" ] && continue
      [[ " ${gone[*]} " == *" ${holder#"$NS"/} "* ]] && [ "${holder%%/*}" = "$NS" ] && continue
      die "the live mon $mon listens on $ip, which the restored cluster gives to the Service $holder: Rook could not re-create the mon's Service there. Nothing changed; move that Service off $ip (delete it and let its owner re-create it) and run the restore again" 3
    done < <(live_mons)
    replicas="$(kube -n "$NS" get deployment "$OPERATOR" -o 'jsonpath={.spec.replicas}' 2>/dev/null || true)"
    [ -n "$replicas" ] || die "no Deployment $NS/$OPERATOR in the restored cluster: Rook's operator is expected with its CephCluster"
    # A run again after a failure finds the operator at 0 already: the first count is kept.
    [ "$replicas" = 0 ] || printf '%s\n' "$replicas" >"$STATE/operator-replicas"
    kube -n "$NS" scale deployment "$OPERATOR" --replicas=0 >/dev/null
    log "Rook's operator scaled to 0 (it was at $replicas) while the identity is swapped"
    if [ -n "$stale_fsid" ]; then
      # The lost cluster's daemons: every Deployment whose pods carry its fsid (Rook passes
      # --fsid to each daemon: pkg/operator/ceph/config/defaults.go:27-31).
      stale=()
      for deployment in $(kube -n "$NS" get deployments -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'); do
        spec="$(kube -n "$NS" get deployment "$deployment" -o json)"
        if grep -qF -- "$stale_fsid" <<<"$spec"; then stale+=("$deployment"); fi
      done
      if [ "${#stale[@]}" -gt 0 ]; then
        kube -n "$NS" delete deployment "${stale[@]}" >&2
        log "the lost Ceph cluster's Deployments deleted: ${stale[*]}"
      fi
    fi
    if [ "${#gone[@]}" -gt 0 ]; then
      kube -n "$NS" delete service "${gone[@]}" >&2
      log "mon Services at the lost mons' addresses deleted: ${gone[*]}"
    fi
    put=0
    for file in "$STATE"/secrets/*.json; do
      put_back secret "$(basename "$file" .json)" "$file" "$owner"
      put=$((put + 1))
    done
    put_back configmap "$MON_ENDPOINTS" "$STATE/mon-endpoints.json" "$owner"
    log "the live Ceph cluster's identity is back: $put Secrets of Rook's and $NS/$MON_ENDPOINTS ($(tr -d '\n' <"$STATE/mon-endpoints")); the operator stays at 0 until every node is back (step resume)"
    ;;
  resume)
    read_capture
    if [ "$cluster_name" = none ] || [ ! -f "$STATE/operator-replicas" ]; then
      log "Rook's operator was not scaled down by this restore: nothing to resume"
      exit 0
    fi
    replicas="$(cat "$STATE/operator-replicas")"
    kube -n "$NS" scale deployment "$OPERATOR" --replicas="$replicas" >/dev/null
    log "Rook's operator scaled back to $replicas; waiting until it reports the live Ceph cluster $live_fsid"
    for ((i = 0; i < RESUME_ATTEMPTS; i++)); do
      status="$(kube -n "$NS" get cephclusters.ceph.rook.io "$cluster_name" -o 'jsonpath={.status.ceph.fsid} {.status.ceph.health}' 2>/dev/null || true)"
      read -r fsid health <<<"$status" || true
      if [ "${fsid:-}" = "$live_fsid" ] && [ -n "${health:-}" ]; then
        # The keys served their purpose: Rook holds them again in the restored cluster.
        rm -rf "$STATE/secrets" "$STATE/mon-endpoints.json" "$STATE/operator-replicas"
        log "Rook reports the live Ceph cluster $live_fsid: $health (the captured keys are deleted from $STATE)"
        exit 0
      fi
      sleep "$INTERVAL_SECONDS"
    done
    die "Rook's operator has not reported the live Ceph cluster $live_fsid in $NS/$cluster_name's status in time (it reports ${fsid:-nothing}); see kubectl -n $NS logs deployment/$OPERATOR. The captured identity stays in $STATE"
    ;;
  claims)
    read_capture
    [ "$cluster_name" != none ] || exit 0
    for ns in "$@"; do valid_name "$ns" || die "not a namespace: $ns" 2; done
    # An image cannot be older than its Ceph cluster: a volume provisioned before the live cluster
    # was created was an image of the lost one (each PersistentVolume of the snapshot predates it).
    lost="$(kube get persistentvolumes -o 'jsonpath={range .items[*]}{.metadata.name}|{.spec.csi.driver}|{.metadata.creationTimestamp}|{.spec.claimRef.namespace}|{.spec.claimRef.name}{"\n"}{end}' |
      while IFS='|' read -r pv driver created claim_ns claim; do
        [ "$driver" = "$RBD_DRIVER" ] || [ "$driver" = "$CEPHFS_DRIVER" ] || continue
        [ "$(epoch "$created")" -lt "$cluster_created" ] || continue
        printf '%s %s %s\n' "${claim_ns:--}" "${claim:--}" "$pv"
      done)"
    if [ -z "$lost" ]; then
      log "no claim points at an image of the lost Ceph cluster"
      exit 0
    fi
    log "these claims point at images of the lost Ceph cluster (their volumes predate the live one, $(date -u -d "@$cluster_created" +%Y-%m-%dT%H:%M:%SZ)); their pods cannot mount them:"
    while read -r claim_ns claim pv; do log "  $claim_ns/$claim (volume $pv)"; done <<<"$lost"
    restorable=()
    for ns in "$@"; do grep -q "^$ns " <<<"$lost" && restorable+=("$ns"); done
    if [ "${#restorable[@]}" -gt 0 ]; then
      backup="$(kube -n "$VELERO_NS" get backups.velero.io -l "velero.io/schedule-name=$VELERO_SCHEDULE" -o 'jsonpath={range .items[?(@.status.phase=="Completed")]}{.status.completionTimestamp} {.metadata.name}{"\n"}{end}' 2>/dev/null | sort | tail -n 1 | cut -d' ' -f2 || true)"
      echo "The volumes of ${restorable[*]} come back from Velero (docs/backups.md, \"Restore (volumes)\"): stop what writes them (its step 1), then:"
      for ns in "${restorable[@]}"; do
        echo "  kubectl -n $ns delete pvc $(awk -v ns="$ns" '$1 == ns { printf "%s ", $2 }' <<<"$lost")"
      done
      echo "  velero restore create --from-backup ${backup:-<the newest velero-fmc-volumes-* of velero backup get>} --include-namespaces $(
        IFS=,
        echo "${restorable[*]}"
      ) --wait"
      echo "and start them again (its step 3)."
      [ -n "$backup" ] || echo "(no completed backup of $VELERO_SCHEDULE is in the cluster yet: Velero syncs them from the bucket within a minute of starting; without a backup target there are none)"
    fi
    others="$(awk -v keep=" $* " 'index(keep, " " $1 " ") == 0 { print $1 "/" $2 }' <<<"$lost")"
    if [ -n "$others" ]; then
      echo "No backup of the platform's covers $(tr '\n' ' ' <<<"$others")(an app's claims with backupVolumes: true are in velero-fmc-volumes-apps: restore them the same way); without one, delete each claim and its workload gets a new, empty volume."
    fi
    ;;
  *)
    die "unknown step $step" 2
    ;;
esac
