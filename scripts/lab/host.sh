#!/usr/bin/env bash
# The lab's KVM host: a libvirtd of the lab's own, inside a network namespace the lab creates, with
# private libvirt config and state directories, and the host bridge a bridge-mode network needs.
#
#   host.sh up RUN_DIR BRIDGE    start it (idempotent); prints "kvm" or "tcg"
#   host.sh down RUN_DIR         stop it and remove everything it made (also after a failure)
#   host.sh missing              print the Debian packages of HOST_PACKAGES not installed (one line)
#   host.sh install              install them as root (apt-get update first), or print the command
#
# One of several hosts (`npm run lab:hosts`, scripts/lab/hosts.js): FMC_LAB_NETNS names the host's
# namespace (default fmc-lab) and FMC_LAB_PRIVATE=1 gives its libvirtd a private /run/libvirt (its
# socket is then RUN_DIR/run-libvirt/libvirt-sock, its virtlogd runs beside it) and a private
# /var/lib/libvirt/images, so several libvirtds share this machine as separate hypervisors would,
# each with the same pool paths. FMC_LAB_LISTEN=ADDRESS also serves libvirt on ADDRESS:16509 (TCP, no
# authentication: the address lives only on the lab's LAN), as a remote host answers qemu+tcp:// (a
# real one qemu+ssh://).
#
# Why a namespace: libvirt's NAT networks bring up bridges with 10.x/192.168.x addresses, dnsmasq and
# VMs; inside the lab's namespace none of them has a route anywhere but each other. The Pulumi process
# (host namespace) reaches libvirtd only over its unix socket, /run/libvirt/libvirt-sock, and the
# image server on 127.0.0.1. Why private directories (bind mounts in libvirtd's own mount namespace):
# the host's /etc/libvirt stays untouched (qemu.conf's `security_driver = "none"` is needed inside
# this sandbox), and nothing the lab defines outlives `down`.
set -euo pipefail

NETNS=${FMC_LAB_NETNS:-fmc-lab}
PRIVATE=${FMC_LAB_PRIVATE:-0}
LISTEN=${FMC_LAB_LISTEN:-}
ACTION=${1:?usage: host.sh up RUN_DIR BRIDGE | down RUN_DIR | missing | install}

# Every program the lab runs on this host, by the Debian package that provides it: the one list
# (`run.js --check` and `npm run lab` read it through `missing` and `install`). Looked up on PATH
# (root's, with the sbin directories).
HOST_PACKAGES=(
  "libvirtd libvirt-daemon-system"
  "virtlogd libvirt-daemon-system"
  "virsh libvirt-clients"
  "qemu-system-x86_64 qemu-system-x86"
  "qemu-img qemu-utils"
  "dnsmasq dnsmasq-base"      # libvirt's NAT networks (only a Recommends of libvirt-daemon-system)
  "mkisofs genisoimage"       # the provider builds the Rocky VMs' cloud-init ISOs with it
  "xsltproc xsltproc"         # the provider's XSLT step on the Flatcar domains; the host preflight
  "ip iproute2"
  "unshare util-linux"
  "ssh-keygen openssh-client" # run.js makes the stacks' key pair
)

log() { echo "host.sh: $*" >&2; }

missing_packages() {
  local entry tool package out=" "
  for entry in "${HOST_PACKAGES[@]}"; do
    read -r tool package <<<"$entry"
    command -v "$tool" >/dev/null || [[ "$out" == *" $package "* ]] || out+="$package "
  done
  out=${out# }
  echo "${out% }"
}

install_packages() {
  local missing
  missing=$(missing_packages)
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages $missing: as root, apt-get update && apt-get install -y $missing"
    exit 1
  fi
  log "installing $missing"
  # shellcheck disable=SC2086 # one word per package
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >&2 ||
    { log "apt-get could not install $missing"; exit 1; }
  missing=$(missing_packages)
  [ -z "$missing" ] || { log "still missing after apt-get install: $missing"; exit 1; }
}

# How virsh reaches this host's libvirtd: the shared socket, or the private one.
virsh_uri() {
  if [ "$PRIVATE" = 1 ]; then echo "qemu:///system?socket=$RUN_DIR/run-libvirt/libvirt-sock"; else echo "qemu:///system"; fi
}
lab_virsh() { virsh -c "$(virsh_uri)" "$@"; }

libvirt_pid() {
  local pidfile="$RUN_DIR/libvirtd.pid"
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"
}

up() {
  local bridge=${1:?bridge name} missing
  [ "$(id -u)" -eq 0 ] || { log "needs root (network namespace, libvirtd)"; exit 1; }
  missing=$(missing_packages)
  [ -z "$missing" ] || { log "missing Debian packages $missing: apt-get update && apt-get install -y $missing (npm run lab installs them)"; exit 1; }
  if [ "$PRIVATE" != 1 ] && [ -z "$(libvirt_pid || true)" ] && [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1; then
    log "a libvirtd the lab did not start already answers on /run/libvirt/libvirt-sock; stop it first (the lab only runs its own, in its own namespace)"
    exit 1
  fi
  mkdir -p "$RUN_DIR"/{etc-qemu,etc-storage,lib-qemu,lib-dnsmasq,lib-network,log,run-libvirt,images,log-qemu}
  chmod 755 "$RUN_DIR"
  # qemu runs with the group that owns /dev/kvm: in a container that group id may have another name
  # than "kvm" (here "postgres"), and qemu as libvirt-qemu:kvm then cannot open it ("Permission denied").
  local kvm_group=kvm
  [ -c /dev/kvm ] && kvm_group=$(stat -c %G /dev/kvm)
  cat >"$RUN_DIR/qemu.conf" <<EOF
# The lab's qemu.conf (bind-mounted over /etc/libvirt/qemu.conf in libvirtd's mount namespace only).
# No AppArmor/SELinux confinement of qemu inside this sandbox.
security_driver = "none"
user = "libvirt-qemu"
group = "$kvm_group"
EOF
  # TCP only where asked (a "remote" host of lab:hosts), bound to its address on the lab's LAN.
  cat >"$RUN_DIR/libvirtd.conf" <<EOF
listen_tls = 0
listen_tcp = $([ -n "$LISTEN" ] && echo 1 || echo 0)
listen_addr = "${LISTEN:-127.0.0.1}"
auth_tcp = "none"
EOF

  ip netns list | grep -qw "$NETNS" || ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  if ! ip -n "$NETNS" link show "$bridge" >/dev/null 2>&1; then
    ip -n "$NETNS" link add "$bridge" type bridge
  fi
  ip -n "$NETNS" link set "$bridge" up

  # A private host's virtlogd starts beside its libvirtd (it must see the same /run/libvirt).
  if [ "$PRIVATE" != 1 ] && ! { [ -s "$RUN_DIR/virtlogd.pid" ] && kill -0 "$(cat "$RUN_DIR/virtlogd.pid")" 2>/dev/null; }; then
    virtlogd --daemon --pid-file "$RUN_DIR/virtlogd.pid"
  fi
  if [ -z "$(libvirt_pid || true)" ]; then
    [ "$PRIVATE" = 1 ] || rm -f /run/libvirt/libvirt-sock
    # shellcheck disable=SC2016 # the inner script gets its settings as $1..$3
    ip netns exec "$NETNS" unshare --mount --propagation private bash -c '
      set -e
      run=$1 private=$2 listen=$3
      if [ "$private" = 1 ]; then
        mkdir -p /run/libvirt /var/lib/libvirt/images /var/log/libvirt/qemu
        mount --bind "$run/run-libvirt" /run/libvirt
        mount --bind "$run/images" /var/lib/libvirt/images
        mount --bind "$run/log-qemu" /var/log/libvirt/qemu
        virtlogd --daemon --pid-file "$run/virtlogd.pid"
      fi
      mkdir -p /etc/libvirt/qemu /etc/libvirt/storage
      mount --bind "$run/qemu.conf" /etc/libvirt/qemu.conf
      mount --bind "$run/etc-qemu" /etc/libvirt/qemu
      mount --bind "$run/etc-storage" /etc/libvirt/storage
      mkdir -p /var/lib/libvirt/qemu /var/lib/libvirt/dnsmasq /var/lib/libvirt/network
      mount --bind "$run/lib-qemu" /var/lib/libvirt/qemu
      mount --bind "$run/lib-dnsmasq" /var/lib/libvirt/dnsmasq
      mount --bind "$run/lib-network" /var/lib/libvirt/network
      exec libvirtd --daemon --pid-file "$run/libvirtd.pid" --config "$run/libvirtd.conf" ${listen:+--listen}
    ' _ "$RUN_DIR" "$PRIVATE" "$LISTEN" >"$RUN_DIR/log/libvirtd.out" 2>&1 || { log "libvirtd did not start: $(cat "$RUN_DIR/log/libvirtd.out")"; exit 1; }
  fi
  for _ in $(seq 1 60); do
    lab_virsh version >/dev/null 2>&1 && break
    sleep 0.5
  done
  lab_virsh version >/dev/null || { log "libvirtd did not answer; see $RUN_DIR/log"; exit 1; }
  # KVM usable and the guest may have the host's CPU: qemu starts (paused) until the timeout ends it.
  # A nested hypervisor may refuse some of the host CPU's MSRs (e.g. 0x10a, arch-capabilities, which
  # libvirt's host-model asks for too): qemu then aborts at once, and the VMs run under TCG.
  if ! lab_virsh domcapabilities --virttype kvm >/dev/null 2>&1; then
    echo tcg
  elif timeout 3 qemu-system-x86_64 -accel kvm -cpu host -m 32 -display none -nodefaults -S -monitor none -serial none >"$RUN_DIR/log/kvm-probe.out" 2>&1 || [ $? -eq 124 ]; then
    echo kvm
  else
    log "KVM refuses the host CPU model: $(head -n 1 "$RUN_DIR/log/kvm-probe.out")"
    echo tcg
  fi
}

down() {
  local pid
  if pid=$(libvirt_pid); then
    # What a failed run left: the lab's libvirtd holds nothing but the lab's objects.
    for d in $(lab_virsh list --all --name 2>/dev/null); do
      lab_virsh destroy "$d" >/dev/null 2>&1 || true
      lab_virsh undefine "$d" --nvram >/dev/null 2>&1 || lab_virsh undefine "$d" >/dev/null 2>&1 || true
    done
    for n in $(lab_virsh net-list --all --name 2>/dev/null); do
      lab_virsh net-destroy "$n" >/dev/null 2>&1 || true
      lab_virsh net-undefine "$n" >/dev/null 2>&1 || true
    done
    for p in $(lab_virsh pool-list --all --name 2>/dev/null); do
      lab_virsh pool-destroy "$p" >/dev/null 2>&1 || true
      lab_virsh pool-undefine "$p" >/dev/null 2>&1 || true
    done
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  if ip netns list | grep -qw "$NETNS"; then
    # Only processes the lab started live in its namespace (qemu, dnsmasq).
    for p in $(ip netns pids "$NETNS"); do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $(ip netns pids "$NETNS"); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$NETNS"
  fi
  if [ -s "$RUN_DIR/virtlogd.pid" ]; then kill "$(cat "$RUN_DIR/virtlogd.pid")" 2>/dev/null || true; fi
  rm -f "$RUN_DIR/libvirtd.pid" "$RUN_DIR/virtlogd.pid"
  rm -rf "$RUN_DIR"/{etc-qemu,etc-storage,lib-qemu,lib-dnsmasq,lib-network,run-libvirt,images,log-qemu}
}

case "$ACTION" in
  up) RUN_DIR=${2:?run directory}; up "${3:?bridge name}" ;;
  down) RUN_DIR=${2:?run directory}; down ;;
  missing) missing_packages ;;
  install) install_packages ;;
  *) log "unknown action $ACTION"; exit 2 ;;
esac
