#!/bin/bash
# FreeIPA role, run by cloud-init on first boot (and safe to re-run by hand): unattended IPA server
# with integrated DNS (its own zones and records), chrony serving the VM networks. The records of
# the other VMs arrive after boot, over SSH (GuestRoles.reconcile: fmc-freeipa-records), so a new
# worker changes the records, never this VM's first boot.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/flatcarmicrocloud/freeipa.env

secrets=/etc/flatcarmicrocloud/secrets
admin_password_file=$secrets/freeipa-admin-password
dm_password_file=$secrets/freeipa-directory-manager-password

rpm -q ipa-server ipa-server-dns >/dev/null 2>&1 || dnf -y install ipa-server ipa-server-dns

# IPA wants the FQDN as the system hostname (cloud-init keeps it from now on: preserve_hostname).
[ "$(hostname)" = "$IPA_HOSTNAME" ] || hostnamectl set-hostname "$IPA_HOSTNAME"

if [ ! -f /etc/ipa/default.conf ]; then
  args=(
    --unattended
    --hostname="$IPA_HOSTNAME"
    --domain="$IPA_DOMAIN"
    --realm="$IPA_REALM"
    --setup-dns
    # Forward other names to the resolvers this VM has (libvirt's dnsmasq), which do not serve
    # DNSSEC, so validation would reject every forwarded answer.
    --auto-forwarders
    --no-dnssec-validation
    # The domain may also exist elsewhere (it is the operator's choice); this zone serves the VMs.
    --allow-zone-overlap
    # chrony is configured below, as a server for the VM networks, not by the IPA installer.
    --no-ntp
  )
  for address in "${IPA_ADDRESSES[@]}"; do args+=(--ip-address="$address"); done
  for zone in "${IPA_OWN_REVERSE_ZONES[@]}"; do args+=(--reverse-zone="$zone"); done
  # The passwords come from root-only files (never this script's text); the installer masks them
  # in /var/log/ipaserver-install.log.
  ipa-server-install "${args[@]}" \
    --ds-password="$(cat "$dm_password_file")" \
    --admin-password="$(cat "$admin_password_file")"
fi

# Multi-homed VMs have one A record per network; answer each client with the address on its own
# network first (sortlist), since libvirt NAT networks do not route to each other.
install -m 0640 -o root -g named /etc/flatcarmicrocloud/named-sortlist.conf /etc/named/flatcarmicrocloud-sortlist.conf
restorecon /etc/named/flatcarmicrocloud-sortlist.conf || true
include='include "/etc/named/flatcarmicrocloud-sortlist.conf";'
grep -qxF "$include" /etc/named/ipa-options-ext.conf || echo "$include" >>/etc/named/ipa-options-ext.conf
named-checkconf /etc/named.conf
systemctl try-reload-or-restart named

# chrony: serve time to the VM networks (the allow lines live in a file of their own).
grep -qxF 'include /etc/chrony.d/*.conf' /etc/chrony.conf || echo 'include /etc/chrony.d/*.conf' >>/etc/chrony.conf
systemctl enable chronyd
systemctl restart chronyd

# FreeIPA's default policy expires every password after 90 days, admin's too; the records command
# logs in as admin on every run, so admin's password must not expire (before 2038: Kerberos times
# are 32-bit). Only while the password file exists, i.e. on the run that installed the server.
if [ -s "$admin_password_file" ]; then
  kinit admin <"$admin_password_file" >/dev/null
  # "no modifications to be performed" when a re-run finds it already set.
  ipa user-mod admin --password-expiration=20371231000000Z >/dev/null 2>&1 || true
  kdestroy -q || true
fi

# The install is done: neither password is needed on the VM any more. The admin password is a
# stack output; the records command brings it on its stdin each time it runs.
rm -f "$dm_password_file" "$admin_password_file"
