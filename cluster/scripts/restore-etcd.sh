#!/bin/bash
# Restores the K3s cluster's etcd from a snapshot, one step per call, on one K3s node (as root).
# `npm run restore -- etcd` (scripts/restore.js, plan in cluster/etcd-restore.ts) sends this script
# over SSH to each node in turn, with one of these steps:
#   preflight [--even-if-healthy] [--rebuilt-after <unix time>]
#                                  refuses (exit 3) when this server's API and etcd answer healthy:
#                                  a restore rolls the whole cluster back to the snapshot, so it is
#                                  for a broken cluster only, unless told explicitly. With
#                                  --rebuilt-after (the snapshot's time), a healthy cluster is
#                                  restored only when it was created after the snapshot was taken:
#                                  a rebuilt stack (new machines), never the cluster the snapshot is of
#   stop                           stops K3s here (its pods keep running; etcd and the API stop)
#   reset <snapshot>               first server only, K3s stopped: `k3s server --cluster-reset
#                                  --cluster-reset-restore-path=<snapshot>` (a snapshot file here,
#                                  else, with etcd-s3 configured, its name in the bucket: K3s
#                                  downloads it), then starts K3s and waits for the API
#   forget-node-passwords <node>...
#                                  rebuilt stacks, first server after its reset: deletes the nodes'
#                                  K3s node-password Secrets the snapshot brought back (they hold the
#                                  lost machines' passwords, which would refuse the new machines)
#   rejoin [--fresh-server]        the other servers, K3s stopped: moves this server's old etcd data
#                                  aside (kept, never deleted) and starts K3s, which joins the
#                                  restored first server as a new member; --fresh-server (rebuilt
#                                  stacks) moves K3s's whole server directory aside, certificates
#                                  of the rebuilt cluster included
#   restart-agent                  agents of a rebuilt stack: restarts K3s's agent, which fetches
#                                  the restored cluster's CA and its certificates anew, and waits
#                                  until its node is Ready
# K3s reads everything else (the token, the S3 target and credentials) from its own 0600
# config.yaml: nothing secret is on this script's command line.
# Rendered by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

SERVICE=@SERVICE@
AGENT_SERVICE=@AGENT_SERVICE@
READY_ATTEMPTS=@READY_ATTEMPTS@
READY_INTERVAL_SECONDS=@READY_INTERVAL_SECONDS@
RESET_TIMEOUT_SECONDS=@RESET_TIMEOUT_SECONDS@

# Tests point ROOT at a scratch directory; on a node it is empty.
ROOT="${FMC_ROOT:-}"
K3S="$ROOT/opt/bin/k3s"
CONFIG="$ROOT/etc/rancher/k3s/config.yaml"
KUBECONFIG_FILE="$ROOT/etc/rancher/k3s/k3s.yaml"
AGENT_KUBECONFIG="$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig"
SERVER_DIR="$ROOT/var/lib/rancher/k3s/server"
DB_DIR="$SERVER_DIR/db"
SNAPSHOT_DIR="$DB_DIR/snapshots"

node="$(cat "$ROOT/proc/sys/kernel/hostname" 2>/dev/null || echo server)"
log() { printf '[%s] restore-etcd: %s\n' "$node" "$*" >&2; }
die() {
  log "$1"
  exit "${2:-1}"
}

step="${1:-}"
[ -n "$step" ] || die "usage: restore-etcd.sh preflight [--even-if-healthy] [--rebuilt-after <unix time>] | stop | reset <snapshot> | forget-node-passwords <node>... | rejoin [--fresh-server] | restart-agent" 2
shift
[ -x "$K3S" ] || die "no K3s at $K3S: not a K3s server" 2
grep -qx 'etcd-s3: true' "$CONFIG" 2>/dev/null && s3=yes || s3=no

# The API and etcd, as this server sees them: /readyz/etcd answers "ok" only when the apiserver
# runs and its etcd client reaches a quorate etcd.
healthy() {
  systemctl is-active --quiet "$SERVICE" || return 1
  [ "$("$K3S" kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=10s get --raw=/readyz/etcd 2>/dev/null)" = ok ]
}

kube() { "$K3S" kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=30s "$@"; }

require_stopped() {
  if systemctl is-active --quiet "$SERVICE"; then
    die "$SERVICE still runs here: stop K3s on every server first (npm run restore does, after its preflight)"
  fi
}

wait_ready() {
  for ((i = 0; i < READY_ATTEMPTS; i++)); do
    if [ "$("$K3S" kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=10s get --raw=/readyz 2>/dev/null)" = ok ]; then
      log "the API answers again (readyz ok)"
      return 0
    fi
    sleep "$READY_INTERVAL_SECONDS"
  done
  journalctl -u "$SERVICE" -n 40 --no-pager >&2 || true
  die "the API did not come back in time; see the journal lines above"
}

case "$step" in
  preflight)
    allow=no
    rebuilt_after=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --even-if-healthy) allow=yes ;;
        --rebuilt-after)
          rebuilt_after="${2:-}"
          [[ "$rebuilt_after" =~ ^[0-9]+$ ]] || die "--rebuilt-after needs the snapshot's time in unix seconds" 2
          shift
          ;;
        *) die "preflight: unknown option $1" 2 ;;
      esac
      shift
    done
    if healthy; then
      if [ "$allow" = yes ]; then
        log "the API and etcd answer healthy here; restoring anyway (--even-if-healthy): every change since the snapshot is lost"
      elif [ -n "$rebuilt_after" ]; then
        # A rebuilt stack is a new cluster, created after the snapshot was taken; the cluster the
        # snapshot is of existed before it. So --rebuilt never rolls that one back by mistake.
        created="$(kube get namespace kube-system -o 'jsonpath={.metadata.creationTimestamp}' 2>/dev/null || true)"
        created_at="$(date -u -d "$created" +%s 2>/dev/null || echo 0)"
        snapshot_at="$(date -u -d "@$rebuilt_after" +%Y-%m-%dT%H:%M:%SZ)"
        if [ -n "$created" ] && [ "$created_at" -gt "$rebuilt_after" ]; then
          log "the API and etcd answer healthy here, but this cluster was created at $created, after the snapshot ($snapshot_at): a rebuilt stack; restoring onto it"
        else
          die "the API and etcd answer healthy here and this cluster was created at ${created:-an unknown time}, before the snapshot ($snapshot_at): it is not a rebuilt stack, refusing to roll it back. Drop --rebuilt, or pass --even-if-healthy to restore anyway" 3
        fi
      else
        die "the API and etcd answer healthy here (readyz/etcd ok): refusing to roll a working cluster back to a snapshot. Pass --even-if-healthy to restore anyway" 3
      fi
    else
      log "the API or etcd does not answer healthy here: a restore may proceed"
    fi
    printf 'snapshots: %s\n' "$([ "$s3" = yes ] && echo "local and S3 (etcd-s3 on)" || echo "local only")"
    ;;
  stop)
    systemctl stop "$SERVICE"
    require_stopped
    log "$SERVICE stopped"
    ;;
  reset)
    snapshot="${1:-}"
    [ -n "$snapshot" ] || die "reset needs the snapshot: a file name in $SNAPSHOT_DIR, a path, or (etcd-s3 on) its name in the bucket" 2
    require_stopped
    if [ "${snapshot#/}" != "$snapshot" ]; then
      [ -f "$snapshot" ] || die "no snapshot file $snapshot"
      path="$snapshot"
    elif [ -f "$SNAPSHOT_DIR/$snapshot" ]; then
      path="$SNAPSHOT_DIR/$snapshot"
    elif [ "$s3" = yes ]; then
      # K3s looks the name up in the bucket (etcd-s3-* of config.yaml) and downloads it.
      path="$snapshot"
    else
      die "no snapshot $snapshot in $SNAPSHOT_DIR, and etcd-s3 is off on this server"
    fi
    # K3s refuses a cluster-reset while a server URL is set ("cannot perform cluster-reset while
    # server URL is set", pkg/cli/server/server.go): a first server that joined its peers after a
    # new root disk has `server:` where its config had `cluster-init: true`. The reset then reads
    # a copy of the config (and of its config.yaml.d) without that line, in a root-only directory
    # removed afterwards; config.yaml itself stays as it is: K3s starts a server that has etcd data
    # from that data and joins nobody, whatever `server:` says (pkg/cluster/bootstrap.go).
    config_args=()
    server_line='^["'"'"']?server["'"'"']?:'
    if grep -Eqs "$server_line" "$CONFIG" "$CONFIG.d"/*.yaml; then
      copy="$(mktemp -d)"
      trap 'rm -rf "$copy"' EXIT
      (
        umask 077
        grep -Ev "$server_line" "$CONFIG" >"$copy/config.yaml" || true
        if [ -d "$CONFIG.d" ]; then
          mkdir "$copy/config.yaml.d"
          for dropin in "$CONFIG.d"/*.yaml; do
            [ -f "$dropin" ] || continue
            grep -Ev "$server_line" "$dropin" >"$copy/config.yaml.d/$(basename "$dropin")" || true
          done
        fi
      )
      config_args=(--config "$copy/config.yaml")
      log "config.yaml names a server to join (this server joined its peers once): the reset reads a copy without that line"
    fi
    log "cluster-reset from $path (the old etcd data is kept by K3s in $DB_DIR/etcd-old-*)"
    started=$(date +%s)
    reset_log="$(mktemp)"
    if ! timeout "$RESET_TIMEOUT_SECONDS" "$K3S" server "${config_args[@]}" --cluster-reset --cluster-reset-restore-path="$path" 2>&1 | tee "$reset_log" >&2; then
      if grep -q 'encrypted with different token' "$reset_log"; then
        rm -f "$reset_log"
        die "k3s server --cluster-reset failed: the snapshot's bootstrap data is encrypted with another server token than config.yaml's. A snapshot of a lost cluster needs that cluster's token: the stack config k3sToken, set before the stack is rebuilt (docs/backups.md, \"Restore onto a rebuilt stack\")"
      fi
      rm -f "$reset_log"
      die "k3s server --cluster-reset failed; the lines above say why"
    fi
    rm -f "$reset_log"
    log "cluster-reset done in $(($(date +%s) - started)) s; starting $SERVICE"
    systemctl start --no-block "$SERVICE"
    wait_ready
    ;;
  forget-node-passwords)
    [ $# -gt 0 ] || die "forget-node-passwords needs the names of the nodes" 2
    secrets=()
    for node_name in "$@"; do
      [[ "$node_name" =~ ^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$ ]] || die "not a node name: $node_name" 2
      # K3s's name for a node's password Secret (pkg/nodepassword: lower-cased).
      secrets+=("${node_name,,}.node-password.k3s")
    done
    kube -n kube-system delete secret --ignore-not-found "${secrets[@]}" >&2
    log "node-password Secrets of $* deleted: each node's next registration records its current password"
    ;;
  rejoin)
    require_stopped
    fresh=no
    [ "${1:-}" = --fresh-server ] && fresh=yes
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    if [ "$fresh" = yes ] && [ -d "$SERVER_DIR" ]; then
      # A rebuilt stack's server holds the rebuilt cluster's CA and certificates, newer than the
      # restored cluster's: K3s refuses to join with them ("newer than datastore",
      # pkg/cluster/bootstrap.go). Without its server directory it joins as a new server would.
      aside="$SERVER_DIR.before-restore-$stamp"
      mv "$SERVER_DIR" "$aside"
      log "K3s's server directory moved to $aside (delete it once the cluster is right)"
    elif [ -d "$DB_DIR" ]; then
      aside="$DB_DIR.before-restore-$stamp"
      mv "$DB_DIR" "$aside"
      log "old etcd data moved to $aside (delete it once the cluster is right)"
    fi
    systemctl start --no-block "$SERVICE"
    wait_ready
    ;;
  restart-agent)
    node_name="$(awk '$1 == "node-name:" { print $2 }' "$CONFIG")"
    [ -n "$node_name" ] || die "no node-name in $CONFIG"
    systemctl restart --no-block "$AGENT_SERVICE"
    for ((i = 0; i < READY_ATTEMPTS; i++)); do
      status="$("$K3S" kubectl --kubeconfig "$AGENT_KUBECONFIG" --request-timeout=10s get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
      if [ "$status" = True ]; then
        log "$node_name is Ready in the restored cluster"
        exit 0
      fi
      sleep "$READY_INTERVAL_SECONDS"
    done
    journalctl -u "$AGENT_SERVICE" -n 40 --no-pager >&2 || true
    die "$node_name did not become Ready in time; see the journal lines above"
    ;;
  *)
    die "unknown step $step" 2
    ;;
esac
