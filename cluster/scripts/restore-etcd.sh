#!/bin/bash
# Restores the K3s cluster's etcd from a snapshot, one step per call, on one K3s server (as root).
# `npm run restore -- etcd` (scripts/restore.js, plan in cluster/etcd-restore.ts) sends this script
# over SSH to each server in turn, with one of these steps:
#   preflight [--even-if-healthy]  refuses (exit 3) when this server's API and etcd answer healthy:
#                                  a restore rolls the whole cluster back to the snapshot, so it is
#                                  for a broken cluster only, unless told explicitly
#   stop                           stops K3s here (its pods keep running; etcd and the API stop)
#   reset <snapshot>               first server only, K3s stopped: `k3s server --cluster-reset
#                                  --cluster-reset-restore-path=<snapshot>` (a snapshot file here,
#                                  else, with etcd-s3 configured, its name in the bucket: K3s
#                                  downloads it), then starts K3s and waits for the API
#   rejoin                         the other servers, K3s stopped: moves this server's old etcd data
#                                  aside (kept, never deleted) and starts K3s, which joins the
#                                  restored first server as a new member
# K3s reads everything else (the token, the S3 target and credentials) from its own 0600
# config.yaml: nothing secret is on this script's command line.
# Rendered by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

SERVICE=@SERVICE@
READY_ATTEMPTS=@READY_ATTEMPTS@
READY_INTERVAL_SECONDS=@READY_INTERVAL_SECONDS@
RESET_TIMEOUT_SECONDS=@RESET_TIMEOUT_SECONDS@

# Tests point ROOT at a scratch directory; on a node it is empty.
ROOT="${FMC_ROOT:-}"
K3S="$ROOT/opt/bin/k3s"
CONFIG="$ROOT/etc/rancher/k3s/config.yaml"
KUBECONFIG_FILE="$ROOT/etc/rancher/k3s/k3s.yaml"
DB_DIR="$ROOT/var/lib/rancher/k3s/server/db"
SNAPSHOT_DIR="$DB_DIR/snapshots"

node="$(cat "$ROOT/proc/sys/kernel/hostname" 2>/dev/null || echo server)"
log() { printf '[%s] restore-etcd: %s\n' "$node" "$*" >&2; }
die() {
  log "$1"
  exit "${2:-1}"
}

step="${1:-}"
[ -n "$step" ] || die "usage: restore-etcd.sh preflight [--even-if-healthy] | stop | reset <snapshot> | rejoin" 2
shift
[ -x "$K3S" ] || die "no K3s at $K3S: not a K3s server" 2
grep -qx 'etcd-s3: true' "$CONFIG" 2>/dev/null && s3=yes || s3=no

# The API and etcd, as this server sees them: /readyz/etcd answers "ok" only when the apiserver
# runs and its etcd client reaches a quorate etcd.
healthy() {
  systemctl is-active --quiet "$SERVICE" || return 1
  [ "$("$K3S" kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=10s get --raw=/readyz/etcd 2>/dev/null)" = ok ]
}

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
    [ "${1:-}" = --even-if-healthy ] && allow=yes
    if healthy; then
      if [ "$allow" = yes ]; then
        log "the API and etcd answer healthy here; restoring anyway (--even-if-healthy): every change since the snapshot is lost"
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
    log "cluster-reset from $path (the old etcd data is kept by K3s in $DB_DIR/etcd-old-*)"
    started=$(date +%s)
    timeout "$RESET_TIMEOUT_SECONDS" "$K3S" server --cluster-reset --cluster-reset-restore-path="$path" >&2 ||
      die "k3s server --cluster-reset failed; the lines above say why (a wrong token: the snapshot is from another cluster)"
    log "cluster-reset done in $(($(date +%s) - started)) s; starting $SERVICE"
    systemctl start --no-block "$SERVICE"
    wait_ready
    ;;
  rejoin)
    require_stopped
    if [ -d "$DB_DIR" ]; then
      aside="$DB_DIR.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
      mv "$DB_DIR" "$aside"
      log "old etcd data moved to $aside (delete it once the cluster is right)"
    fi
    systemctl start --no-block "$SERVICE"
    wait_ready
    ;;
  *)
    die "unknown step $step" 2
    ;;
esac
