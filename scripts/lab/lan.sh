#!/usr/bin/env bash
# The LAN of `npm run lab:hosts` (docs/lab.md): a switch (a bridge in a network namespace of its own)
# and, per lab host, a namespace with the host bridge its bridge-mode networks attach to, plugged into
# the switch by a veth pair, as each hypervisor's uplink is plugged into the user's switch. The host's
# own LAN address sits on the host bridge (as on a real host whose NIC is enslaved to br0).
#
#   lan.sh up SWITCH_NS MTU HOST_NS:BRIDGE:ADDRESS/PREFIX...   build it (idempotent)
#   lan.sh down SWITCH_NS                                      remove the switch (the hosts' links go with it)
#
# The host namespaces are host.sh's (FMC_LAB_NETNS): lan.sh creates them first, so that a libvirtd that
# serves TCP on the host's LAN address (FMC_LAB_LISTEN) finds the address when it starts. Nothing here
# has a route off the lab: the namespaces hold only these links.
set -euo pipefail

ACTION=${1:?usage: lan.sh up SWITCH_NS MTU HOST_NS:BRIDGE:ADDRESS/PREFIX... | down SWITCH_NS}
SWITCH_NS=${2:?switch namespace}
SWITCH_BRIDGE=lan0

ensure_netns() { ip netns list | grep -qw "$1" || ip netns add "$1"; ip -n "$1" link set lo up; }

up() {
  local mtu=${1:?MTU} spec host bridge address port i=0
  shift
  ensure_netns "$SWITCH_NS"
  ip -n "$SWITCH_NS" link show "$SWITCH_BRIDGE" >/dev/null 2>&1 || ip -n "$SWITCH_NS" link add "$SWITCH_BRIDGE" type bridge
  ip -n "$SWITCH_NS" link set "$SWITCH_BRIDGE" mtu "$mtu" up
  for spec in "$@"; do
    IFS=: read -r host bridge address <<<"$spec"
    port="port$i"
    i=$((i + 1))
    ensure_netns "$host"
    ip -n "$host" link show "$bridge" >/dev/null 2>&1 || ip -n "$host" link add "$bridge" type bridge
    if ! ip -n "$host" link show uplink >/dev/null 2>&1; then
      ip link add "fmc-up$$" mtu "$mtu" netns "$host" type veth peer name "$port" mtu "$mtu" netns "$SWITCH_NS"
      ip -n "$host" link set "fmc-up$$" name uplink
    fi
    ip -n "$SWITCH_NS" link set "$port" master "$SWITCH_BRIDGE" up
    ip -n "$host" link set uplink master "$bridge" up
    ip -n "$host" link set "$bridge" mtu "$mtu" up
    ip -n "$host" addr replace "$address" dev "$bridge"
  done
}

down() {
  if ip netns list | grep -qw "$SWITCH_NS"; then ip netns del "$SWITCH_NS"; fi
}

case "$ACTION" in
  up) shift 2; up "$@" ;;
  down) down ;;
  *) echo "lan.sh: unknown action $ACTION" >&2; exit 2 ;;
esac
