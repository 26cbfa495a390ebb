#!/bin/bash
# Bastion role, run by cloud-init on first boot (and safe to re-run by hand): hardened sshd,
# fail2ban guarding it, and the WireGuard endpoint whose key is generated here and never leaves.
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

# WireGuard: generate the server key once; wg0.conf loads it (PostUp) so the key is in no
# cloud-init data. The public key is published for the stack output and the peers.
install -d -m 0700 /etc/wireguard
if [ ! -s /etc/wireguard/server.key ]; then
  (umask 077 && wg genkey >/etc/wireguard/server.key.new && mv /etc/wireguard/server.key.new /etc/wireguard/server.key)
fi
wg pubkey </etc/wireguard/server.key >/etc/wireguard/server.pub.new
chmod 0644 /etc/wireguard/server.pub.new
mv /etc/wireguard/server.pub.new /etc/wireguard/server.pub
chmod 0600 /etc/wireguard/wg0.conf

# VPN clients reach the VM networks through this VM (firewalld masquerades them).
sysctl -q -p /etc/sysctl.d/90-flatcarmicrocloud-forwarding.conf
systemctl enable wg-quick@wg0
# A restart re-reads the peers; WireGuard clients reconnect on their own within seconds.
systemctl restart wg-quick@wg0
