#!/bin/bash
# Puts Ceph's state (Rook's dataDirHostPath: the mon store, OSD metadata, crash reports) on the
# storage node's own state disk instead of its root disk, so a new root disk loses none of it.
# Rendered per storage node by infra/ceph-state-disk.ts (the @...@ placeholders are filled in,
# shell-quoted) and run by Pulumi over SSH after every (re)creation of the VM: on a new node before
# K3s is installed, on an existing one while it is drained (before its member step uncordons it).
#
# Flatcar runs Ignition on the very first boot only, so this cannot be first-boot config: a node
# re-created on its existing root disk gets the new disk without ever running Ignition again.
# Idempotent; it never wipes anything:
# - the disk is formatted only when it carries no signature at all (blkid finds nothing) and has
#   exactly the configured size; a disk with a foreign filesystem or partition table stops it;
# - what the root disk already holds in the state directory is copied onto a new disk (with the
#   node's K3s stopped, so no pod writes there meanwhile), then kept aside, never deleted;
# - a var-lib-rook.mount unit (by filesystem label, not by /dev/vdX order) mounts it on every boot,
#   and K3s requires it (RequiresMountsFor), so Rook never writes to the root disk underneath.
# On a node already in that state it changes nothing.
set -euo pipefail

VM_NAME=@VM_NAME@
# Where the blank disk appears before it is formatted (the domain's third disk).
DEVICE=@DEVICE@
SIZE_BYTES=@SIZE_BYTES@
LABEL=@LABEL@
STATE_DIR=@STATE_DIR@
MOUNT_UNIT=@MOUNT_UNIT@
K3S_SERVICES=(@KUBE_SERVICES@)
# Written on the disk once it holds the complete state (a copy interrupted half-way has none).
MARKER=@MARKER@

# Tests point ROOT at a scratch directory; on a node it is empty.
ROOT="${FMC_ROOT:-}"
UNIT_DIR="$ROOT/etc/systemd/system"
BY_LABEL="/dev/disk/by-label/$LABEL"
STAGING="$ROOT/run/flatcarmicrocloud/ceph-state"
ASIDE="$STATE_DIR.on-root-disk"

# @include idempotent-writes.sh
# Entries of a directory (none when it is absent), lost+found and the marker left out.
entries() {
  [ -d "$1" ] || return 0
  find -H "$1" -mindepth 1 -not -path "$1/lost+found" -not -path "$1/lost+found/*" -not -name "$MARKER" | sort
}
count() { entries "$1" | wc -l; }

# --- the expected VM ---
actual="$(cat "$ROOT/proc/sys/kernel/hostname")"
[ "${actual%%.*}" = "$VM_NAME" ] || die "expected VM $VM_NAME at this address but found '$actual'; refusing to continue"

unit="[Unit]
Description=Ceph state disk: Rook's dataDirHostPath (FlatcarMicroCloud)
Before=${K3S_SERVICES[*]}

[Mount]
What=$BY_LABEL
Where=$STATE_DIR
Type=ext4
Options=noatime

[Install]
WantedBy=local-fs.target"
requires="[Unit]
RequiresMountsFor=$STATE_DIR"

# Mount unit, K3s's requirement on it, enabled and mounted. Only once the disk holds the state:
# K3s never starts on a node whose state disk cannot be mounted.
ensure_mounted() {
  local reload=""
  put "$UNIT_DIR/$MOUNT_UNIT" "$unit" && reload=1
  for service in "${K3S_SERVICES[@]}"; do
    put "$UNIT_DIR/$service.d/40-ceph-state-disk.conf" "$requires" && reload=1
  done
  [ -z "$reload" ] || systemctl daemon-reload
  if ! systemctl is-enabled --quiet "$MOUNT_UNIT" || ! mountpoint -q "$ROOT$STATE_DIR"; then
    systemctl enable --now "$MOUNT_UNIT"
    changes+=("mounted $STATE_DIR")
  fi
  mountpoint -q "$ROOT$STATE_DIR" || die "$MOUNT_UNIT did not mount $STATE_DIR"
  [ -e "$ROOT$STATE_DIR/$MARKER" ] || die "$STATE_DIR is mounted but holds no $MARKER: not this node's state disk"
}

# K3s requires the mount: when it failed at boot, systemd never started K3s, and nothing else would
# start it again. Every enabled K3s unit that is not running is started once the state is mounted
# (also the ones this run stopped for the copy); one not installed yet is not enabled. Not waited
# for here (a server's start can wait for etcd for ever, its unit has no start timeout): the node's
# member step waits, bounded, until the node is Ready.
start_k3s() {
  for service in "${K3S_SERVICES[@]}"; do
    if systemctl is-enabled --quiet "$service" && ! systemctl is-active --quiet "$service"; then
      systemctl start --no-block "$service"
      changes+=("started $service")
    fi
  done
}

# --- already on the state disk: keep it so (units rewritten if they drifted) ---
if mountpoint -q "$ROOT$STATE_DIR"; then
  [ -e "$ROOT$STATE_DIR/$MARKER" ] || die "$STATE_DIR is a mount point without $MARKER: something else is mounted there; refusing to continue"
  ensure_mounted
  start_k3s
  if [ "${#changes[@]}" -eq 0 ]; then log "unchanged: $STATE_DIR is on the state disk"; else log "changed: ${changes[*]}"; fi
  exit 0
fi

# --- the filesystem: formatted only on a disk that carries nothing ---
if [ ! -e "$ROOT$BY_LABEL" ]; then
  [ -e "$ROOT$DEVICE" ] || die "no state disk: $DEVICE is absent and no filesystem is labelled $LABEL"
  size="$(blockdev --getsize64 "$DEVICE")"
  [ "$size" = "$SIZE_BYTES" ] || die "$DEVICE has $size bytes, the state disk has $SIZE_BYTES: refusing to format another disk"
  rc=0
  blkid -p "$DEVICE" >/dev/null 2>&1 || rc=$?
  # blkid exits 2 when it finds no signature at all (no filesystem, partition table, LVM, bluestore).
  [ "$rc" -eq 2 ] || die "$DEVICE is not blank (blkid exit $rc: it carries a filesystem or partition table): refusing to format it; check the disk"
  log "formatting the blank $DEVICE as ext4, label $LABEL"
  mkfs.ext4 -q -L "$LABEL" -m 0 "$DEVICE"
  udevadm settle
  [ -e "$ROOT$BY_LABEL" ] || die "no $BY_LABEL after formatting $DEVICE"
  changes+=("formatted $DEVICE")
fi

# --- the state: what the root disk holds moves onto the disk (K3s stopped meanwhile) ---
mkdir -p "$STAGING"
mount -t ext4 "$BY_LABEL" "$STAGING"
stopped=()
if [ ! -e "$STAGING/$MARKER" ]; then
  [ "$(count "$STAGING")" -eq 0 ] || log "$LABEL holds a copy without $MARKER (an interrupted run): copying again over it"
  if [ "$(count "$ROOT$STATE_DIR")" -gt 0 ]; then
    # The node is drained, but DaemonSet pods and a K3s started on boot could still write there.
    for service in "${K3S_SERVICES[@]}"; do
      if systemctl is-active --quiet "$service"; then
        systemctl stop "$service"
        stopped+=("$service")
      fi
    done
    [ "${#stopped[@]}" -eq 0 ] || [ ! -x "$ROOT/opt/bin/k3s-killall.sh" ] || "$ROOT/opt/bin/k3s-killall.sh" >/dev/null
    log "copying $STATE_DIR ($(count "$ROOT$STATE_DIR") entries) from the root disk onto $LABEL"
    cp -a "$ROOT$STATE_DIR/." "$STAGING/"
    [ "$(entries "$ROOT$STATE_DIR" | sed "s#^$ROOT$STATE_DIR##")" = "$(entries "$STAGING" | sed "s#^$STAGING##")" ] || die "the copy on $LABEL differs from $STATE_DIR; the root disk's copy is untouched"
    changes+=("copied $STATE_DIR")
  fi
  sync
  : >"$STAGING/$MARKER"
fi
umount "$STAGING"

# The root disk's copy stays, out of the way: an operator deletes it once Ceph is healthy.
if [ "$(count "$ROOT$STATE_DIR")" -gt 0 ]; then
  [ ! -e "$ROOT$ASIDE" ] || die "$ASIDE exists already and $STATE_DIR on the root disk is not empty: refusing to overwrite either; move one away"
  mv "$ROOT$STATE_DIR" "$ROOT$ASIDE"
  changes+=("kept the root disk's copy as $ASIDE")
fi
mkdir -p "$ROOT$STATE_DIR"
ensure_mounted
start_k3s
log "changed: ${changes[*]}"
