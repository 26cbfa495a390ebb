#!/bin/bash
# FreeIPA role, run by cloud-init on first boot (and safe to re-run by hand): unattended IPA server
# with integrated DNS, A/PTR records for every VM of the topology, chrony serving the VM networks.
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

# Kerberos ticket for the record commands: from the first-boot password file when it is still
# there (in a private cache), otherwise the operator's own `kinit admin`.
if [ -s "$admin_password_file" ]; then
  KRB5CCNAME="FILE:$(mktemp /tmp/fmc-ipa-ccache.XXXXXX)"
  export KRB5CCNAME
  trap 'kdestroy -q >/dev/null 2>&1 || true; rm -f "${KRB5CCNAME#FILE:}"' EXIT
  kinit admin <"$admin_password_file" >/dev/null
elif ! klist -s; then
  echo "fmc-freeipa-setup: no Kerberos ticket and no first-boot password file; run 'kinit admin' first" >&2
  exit 1
fi

# has_record ZONE NAME ATTRIBUTE VALUE: true when the record set already holds VALUE.
has_record() {
  ipa dnsrecord-show "$1" "$2" --raw 2>/dev/null |
    awk -v attr="$3:" -v want="$4" '$1 == attr && $2 == want { found = 1 } END { exit !found }'
}

# Reverse zones of the VM networks this server has no address on (the installer made its own).
for zone in "${IPA_REVERSE_ZONES[@]}"; do
  ipa dnszone-show "$zone" >/dev/null 2>&1 || ipa dnszone-add "$zone" --skip-overlap-check >/dev/null
done
for record in "${IPA_A_RECORDS[@]}"; do
  read -r name address <<<"$record"
  has_record "$IPA_DOMAIN" "$name" arecord "$address" || ipa dnsrecord-add "$IPA_DOMAIN" "$name" --a-rec="$address" >/dev/null
done
for record in "${IPA_PTR_RECORDS[@]}"; do
  read -r zone name target <<<"$record"
  has_record "$zone" "$name" ptrrecord "$target" || ipa dnsrecord-add "$zone" "$name" --ptr-rec="$target" >/dev/null
done

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

# The install is done: the Directory Manager password is not needed on the VM any more, and the
# admin password is a stack output (re-runs use `kinit admin`).
rm -f "$dm_password_file" "$admin_password_file"
