#!/bin/bash
# Load balancer role, run by cloud-init on first boot (and safe to re-run by hand): install HAProxy
# and let SELinux allow its ports. The config itself (frontends and the backends of the current
# topology) arrives after boot, over SSH (GuestRoles.reconcile: fmc-loadbalancer-backends), which
# also enables and starts HAProxy: a new worker changes the backends, never this VM's first boot.
set -euo pipefail

rpm -q haproxy >/dev/null 2>&1 || dnf -y install haproxy

# SELinux confines HAProxy to web ports; it must bind 6443/1883 and connect to the NodePorts.
if [ "$(getsebool haproxy_connect_any | awk '{print $3}')" != on ]; then
  setsebool -P haproxy_connect_any 1
fi
