#!/bin/bash
# Installs, upgrades or reconfigures K3s on one node; starts or restarts it only when needed.
# Rendered per node by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
# The desired /etc/rancher/k3s/config.yaml arrives on stdin: it holds the cluster token, so it never
# appears on a command line, in the Pulumi log or in an error message. After it, each further file
# (registries.yaml, the registry mirror's CA: cluster/registries.ts) follows a line
# "#@flatcarmicrocloud <name>"; a file that does not follow is not wanted on the node.
#
# Idempotent by inspection: remote commands cannot read drift back into Pulumi, so the script itself
# compares the node's real state (installed version, config file, service unit, service state) with
# the desired one and acts on the difference only. On an up-to-date node it downloads nothing,
# writes nothing and restarts nothing; it only waits until the API reports the node Ready.
set -euo pipefail

VERSION=@VERSION@
# Release assets of VERSION (the tag URL-encoded: "+" is %2B) and the installer of the same tag.
RELEASE_URL=@RELEASE_URL@
INSTALLER_URL=@INSTALLER_URL@
# server | agent, and the systemd service the installer creates for it (k3s | k3s-agent).
EXEC=@EXEC@
SERVICE=@SERVICE@
NODE_NAME=@NODE_NAME@
# Kubeconfig this node can ask the API with: the admin one on servers, the kubelet's on agents.
NODE_KUBECONFIG=@NODE_KUBECONFIG@
READY_ATTEMPTS=@READY_ATTEMPTS@
# A systemd drop-in for the service (OOM protection: see cluster/scripts.ts, k3sServiceDropIn).
SERVICE_DROPIN=@SERVICE_DROPIN@
READY_INTERVAL_SECONDS=@READY_INTERVAL_SECONDS@
# The drop-in's ExecStartPre: writes flannel-iface (the interface carrying node-ip) at every start
# (cluster/scripts/flannel-iface.sh), so a NIC that kept its kernel name does not stop flannel.
FLANNEL_IFACE_HELPER=@FLANNEL_IFACE_HELPER@
# shellcheck disable=SC2016 # the helper's text, written as is: its $ expand when it runs, not here
FLANNEL_IFACE_HELPER_SCRIPT=@FLANNEL_IFACE_HELPER_SCRIPT@
# The init server only: https://<server>:6443 of the other servers, which a fresh machine in its
# place (a replaced root disk) joins instead of initialising a new, empty cluster.
PEER_SERVERS=(@PEER_SERVERS@)

# Tests point ROOT at a scratch directory; on a node it is empty.
ROOT="${FMC_ROOT:-}"
BIN_DIR="$ROOT/opt/bin" # /usr is read-only on Flatcar
SYSTEMD_DIR="$ROOT/etc/systemd/system"
CONFIG_DIR="$ROOT/etc/rancher/k3s"
CONFIG="$CONFIG_DIR/config.yaml"
UNIT="$SYSTEMD_DIR/$SERVICE.service"
DROPIN_DIR="$SYSTEMD_DIR/$SERVICE.service.d"
DROPIN="$DROPIN_DIR/50-flatcarmicrocloud.conf"
HELPER="$ROOT$FLANNEL_IFACE_HELPER"
REGISTRIES="$CONFIG_DIR/registries.yaml"
OWN_DIR="$CONFIG_DIR/flatcarmicrocloud"
REGISTRY_CA="$OWN_DIR/registry-ca.pem"
# The first line of every file this script writes besides config.yaml: only such a file is removed.
OWN_HEADER='# Written by FlatcarMicroCloud (Pulumi, stage 2).'

umask 077
log() { printf '[%s] %s\n' "$NODE_NAME" "$*" >&2; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# --- desired state ---
# config.yaml up to the first marker line, then one file per marker (names are fixed: see above).
cat >"$workdir/stdin"
awk -v dir="$workdir" '
  BEGIN { out = dir "/config.yaml"; printf "" > out }
  /^#@flatcarmicrocloud (registries\.yaml|registry-ca\.pem)$/ { out = dir "/" $2; printf "" > out; next }
  { print > out }
' "$workdir/stdin"
if [ ! -s "$workdir/config.yaml" ]; then
  log "no K3s config on stdin"
  exit 1
fi

# --- how the init server joins ---
# `cluster-init` creates a cluster only on a machine without etcd data. On a machine that has data
# K3s ignores cluster-init and server, so the line it was started with is kept (no needless
# restart). A machine without data whose peers already run the cluster joins them: initialising
# would create a second, empty cluster.
join_with() {
  local line="$1"
  awk -v line="$line" '$0 == "cluster-init: true" { print line; next } { print }' "$workdir/config.yaml" >"$workdir/config.joined"
  mv -f "$workdir/config.joined" "$workdir/config.yaml"
}
if grep -qx 'cluster-init: true' "$workdir/config.yaml"; then
  if [ -d "$ROOT/var/lib/rancher/k3s/server/db" ]; then
    started_with="$(grep -E '^server: ' "$CONFIG" 2>/dev/null || true)"
    if [ -n "$started_with" ]; then join_with "$started_with"; fi
  else
    for peer in "${PEER_SERVERS[@]}"; do
      # /cacerts answers without credentials on every K3s server.
      if curl -ksf --connect-timeout 5 --max-time 10 -o /dev/null "$peer/cacerts"; then
        log "the cluster already runs on $peer: joining it instead of initialising a new one"
        join_with "server: $peer"
        break
      fi
    done
  fi
fi
desired_hash="$(sha256sum <"$workdir/config.yaml" | cut -d' ' -f1)"

# --- actual state ---
installed=none
if [ -x "$BIN_DIR/k3s" ]; then
  installed="$("$BIN_DIR/k3s" --version 2>/dev/null | awk 'NR == 1 { print $3 }')" || installed=unknown
fi
current_hash=none
if [ -f "$CONFIG" ]; then
  current_hash="$(sha256sum <"$CONFIG" | cut -d' ' -f1)"
fi

changed=false
action=unchanged

# --- binary, service unit, uninstall scripts ---
if [ "$installed" != "$VERSION" ] || [ ! -f "$UNIT" ]; then
  log "installing K3s $VERSION (installed: $installed)"
  fetch() { curl -sSfL --retry 5 --retry-connrefused -o "$1" "$2"; }
  fetch "$workdir/k3s" "$RELEASE_URL/k3s"
  fetch "$workdir/sha256sum-amd64.txt" "$RELEASE_URL/sha256sum-amd64.txt"
  # Verify against the release's checksum list before anything touches the node.
  if ! grep -E '^[0-9a-f]{64}  k3s$' "$workdir/sha256sum-amd64.txt" >"$workdir/k3s.sha256"; then
    log "sha256sum-amd64.txt of $VERSION lists no checksum for k3s"
    exit 1
  fi
  (cd "$workdir" && sha256sum --check --strict --quiet k3s.sha256)
  mkdir -p "$BIN_DIR"
  install -m 0755 "$workdir/k3s" "$BIN_DIR/k3s.new"
  mv -f "$BIN_DIR/k3s.new" "$BIN_DIR/k3s"
  # The official installer of the same tag writes the systemd unit, k3s-killall.sh and the
  # uninstall script. It must not download (the binary is verified and in place), must not try
  # the SELinux RPM (Flatcar reports ID_LIKE=coreos) and must not start K3s: this script does.
  fetch "$workdir/install.sh" "$INSTALLER_URL"
  INSTALL_K3S_SKIP_DOWNLOAD=true \
    INSTALL_K3S_SKIP_SELINUX_RPM=true \
    INSTALL_K3S_SKIP_START=true \
    INSTALL_K3S_BIN_DIR="$BIN_DIR" \
    INSTALL_K3S_SYSTEMD_DIR="$SYSTEMD_DIR" \
    INSTALL_K3S_VERSION="$VERSION" \
    INSTALL_K3S_EXEC="$EXEC" \
    sh "$workdir/install.sh" >&2
  changed=true
  action="installed $VERSION"
fi

# --- config ---
if [ "$current_hash" != "$desired_hash" ]; then
  log "writing $CONFIG"
  mkdir -p "$CONFIG_DIR"
  install -m 0600 "$workdir/config.yaml" "$CONFIG.new"
  mv -f "$CONFIG.new" "$CONFIG"
  changed=true
  [ "$action" = unchanged ] && action="reconfigured"
fi

# --- registry mirror: registries.yaml and its CA (K3s reads them when it starts) ---
# Written when wanted and different; removed when not wanted, but only if this script wrote it.
sync_file() {
  local desired="$1" target="$2"
  if [ -f "$desired" ]; then
    if [ ! -f "$target" ] || ! cmp -s "$desired" "$target"; then
      log "writing $target"
      mkdir -p "$(dirname "$target")"
      install -m 0600 "$desired" "$target.new"
      mv -f "$target.new" "$target"
      changed=true
    fi
  elif [ -f "$target" ] && [ "$(head -c ${#OWN_HEADER} "$target")" = "$OWN_HEADER" ]; then
    log "removing $target (no registry mirror any more)"
    rm -f "$target"
    changed=true
  fi
  # (no `[ ] && x` as a function's last command: its status would be the function's, and set -e stop)
  if [ "$changed" = true ] && [ "$action" = unchanged ]; then action="reconfigured"; fi
}
sync_file "$workdir/registry-ca.pem" "$REGISTRY_CA"
sync_file "$workdir/registries.yaml" "$REGISTRIES"

# --- flannel interface helper (before the drop-in that runs it) ---
if [ ! -f "$HELPER" ] || [ "$(cat "$HELPER")" != "$FLANNEL_IFACE_HELPER_SCRIPT" ]; then
  log "writing $HELPER"
  mkdir -p "$(dirname "$HELPER")"
  printf '%s\n' "$FLANNEL_IFACE_HELPER_SCRIPT" >"$HELPER.new"
  chmod 0755 "$HELPER.new"
  mv -f "$HELPER.new" "$HELPER"
  changed=true
  [ "$action" = unchanged ] && action="reconfigured"
fi

# --- service drop-in ---
if [ ! -f "$DROPIN" ] || [ "$(cat "$DROPIN")" != "$SERVICE_DROPIN" ]; then
  log "writing $DROPIN"
  mkdir -p "$DROPIN_DIR"
  printf '%s\n' "$SERVICE_DROPIN" >"$DROPIN.new"
  chmod 0644 "$DROPIN.new"
  mv -f "$DROPIN.new" "$DROPIN"
  changed=true
  [ "$action" = unchanged ] && action="reconfigured"
fi

# --- service ---
if [ "$changed" = true ]; then
  log "restarting $SERVICE"
  systemctl daemon-reload
  systemctl enable --quiet "$SERVICE"
  # --no-block: a server joining a broken cluster would otherwise hold this session forever;
  # the bounded wait below decides success.
  systemctl restart --no-block "$SERVICE"
elif ! systemctl is-active --quiet "$SERVICE"; then
  log "$SERVICE is installed and configured but not running; starting it"
  systemctl enable --quiet "$SERVICE"
  systemctl start --no-block "$SERVICE"
  action="started"
else
  log "K3s $VERSION with this config is already running; nothing to change"
fi

# --- wait until the API reports this node Ready ---
kube() { "$BIN_DIR/k3s" kubectl --kubeconfig "$ROOT$NODE_KUBECONFIG" "$@"; }
ready=false
for ((i = 0; i < READY_ATTEMPTS; i++)); do
  if kube get --raw=/readyz >/dev/null 2>&1; then
    status="$(kube get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
    if [ "$status" = True ]; then
      ready=true
      break
    fi
  fi
  sleep "$READY_INTERVAL_SECONDS"
done
if [ "$ready" != true ]; then
  log "the API did not report $NODE_NAME Ready in time; last lines of $SERVICE:"
  journalctl -u "$SERVICE" -n 40 --no-pager >&2 || true
  exit 1
fi

log "Ready"
printf 'k3s %s on %s: %s\n' "$VERSION" "$NODE_NAME" "$action"
