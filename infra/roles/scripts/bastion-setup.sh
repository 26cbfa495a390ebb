#!/bin/bash
# Bastion role, run by cloud-init on first boot (and safe to re-run by hand): hardened sshd,
# fail2ban guarding it, and the WireGuard endpoint whose key is generated here and never leaves.
# The VPN's peers are not part of first boot: the peers command (GuestRoles.reconcile) delivers
# them to wg0.peers afterwards, so wg0 first comes up with none.
set -euo pipefail

# sshd: the drop-in came with cloud-init; validate before reloading, since a broken sshd config on
# the only SSH entry would lock everyone out.
sshd -t
systemctl reload sshd

# fail2ban comes from EPEL, which the packages step enabled (epel-release): it cannot be installed
# in the same dnf transaction that brings the repository.
if ! rpm -q fail2ban-server fail2ban-firewalld >/dev/null 2>&1; then
  dnf -y install fail2ban-server fail2ban-firewalld
fi
systemctl enable fail2ban
systemctl restart fail2ban

# WireGuard: generate the server key once, here, so it is in no cloud-init data. The public key is
# published for the stack output and the peers.
dir=/etc/wireguard
iface_file="$dir/wg0.interface"
key_file="$dir/server.key"
peers_file="$dir/wg0.peers"
conf_file="$dir/wg0.conf"
install -d -m 0700 "$dir"
if [ ! -s "$key_file" ]; then
  (umask 077 && wg genkey >"$key_file.new" && mv "$key_file.new" "$key_file")
fi
wg pubkey <"$key_file" >"$dir/server.pub.new"
chmod 0644 "$dir/server.pub.new"
mv "$dir/server.pub.new" "$dir/server.pub"

# wg0.conf: the interface part from cloud-init, the server key, then the peers the peers command
# wrote (none on first boot; kept on a re-run by hand). Root-only, replaced only when it differs.
conf_new="$(mktemp "$dir/.wg0.conf.XXXXXX")"
trap 'rm -f "$conf_new"' EXIT
{ cat "$iface_file"; sed 's/^/PrivateKey = /' "$key_file"; if [ -s "$peers_file" ]; then echo; cat "$peers_file"; fi; } >"$conf_new"
wg_changed=false
if ! cmp -s "$conf_new" "$conf_file"; then
  mv -f "$conf_new" "$conf_file"
  wg_changed=true
fi
chmod 0600 "$conf_file"

# VPN clients reach the VM networks through this VM (firewalld masquerades them).
sysctl -q -p /etc/sysctl.d/90-flatcarmicrocloud-forwarding.conf
systemctl enable wg-quick@wg0
# (Re)started only when its config changed or it is down; WireGuard clients reconnect on their own.
if [ "$wg_changed" = true ] || ! systemctl is-active --quiet wg-quick@wg0; then
  systemctl restart wg-quick@wg0
fi
