#!/bin/bash
# Load balancer role, run by cloud-init on first boot (and safe to re-run by hand): install the
# staged HAProxy config after checking it, and (re)load HAProxy only when the config changed.
set -euo pipefail

staged=/etc/flatcarmicrocloud/haproxy.cfg
live=/etc/haproxy/haproxy.cfg

rpm -q haproxy >/dev/null 2>&1 || dnf -y install haproxy

# SELinux confines HAProxy to web ports; it must bind 6443/1883 and connect to the NodePorts.
if [ "$(getsebool haproxy_connect_any | awk '{print $3}')" != on ]; then
  setsebool -P haproxy_connect_any 1
fi

haproxy -c -q -f "$staged"
changed=false
if ! cmp -s "$staged" "$live"; then
  install -m 0644 -o root -g root "$staged" "$live"
  restorecon "$live" || true
  changed=true
fi

systemctl enable haproxy
if [ "$changed" = true ] || ! systemctl is-active --quiet haproxy; then
  # A reload keeps established connections (API watches, MQTT sessions) on the old process.
  systemctl reload-or-restart haproxy
fi
