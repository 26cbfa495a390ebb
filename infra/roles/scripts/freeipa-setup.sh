#!/bin/bash
# FreeIPA role, run after first boot by the install command over SSH (GuestRoles.reconcile:
# fmc-freeipa-install, which brings this script and the two passwords) as a transient systemd unit,
# and safe to re-run: unattended IPA server with integrated DNS (its own zones and records), chrony
# serving the VM networks. The passwords are never in the VM's user-data: the command writes them
# from its stdin to root-only files on /run (tmpfs), which this script removes when it ends. The
# records of the other VMs arrive by another command (fmc-freeipa-records), so a new worker changes
# the records, never this VM's first boot.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/flatcarmicrocloud/freeipa.env

secrets=/run/flatcarmicrocloud
admin_password_file=$secrets/freeipa-admin-password
dm_password_file=$secrets/freeipa-directory-manager-password
trap 'rm -f "$admin_password_file" "$dm_password_file"' EXIT
installed_now=false

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
  [ -s "$dm_password_file" ] && [ -s "$admin_password_file" ] ||
    { echo "fmc-freeipa-setup: the passwords are not in $secrets (run by the install command, which brings them)" >&2; exit 1; }
  # ipa-server-install takes its passwords only as options (freeipa 4.12 ipaserver/install/
  # ipa_server_install.py; it blanks them in its argv after parsing, and then only when each value is
  # an argument of its own). So the installer runs inside python from its own module, with the
  # passwords read from the root-only files there: they are in no process's command line (`ps`
  # shows `python3 -I - --unattended ...`). The installer hands them to its helpers on stdin or in
  # temporary files and masks them in /var/log/ipaserver-install.log.
  python3 -I - "${args[@]}" <<'PY'
import sys
from ipaserver.install import ipa_server_install

def secret(name):
    with open("/run/flatcarmicrocloud/" + name, encoding="utf-8") as f:
        return f.read().strip()

argv = ["ipa-server-install", *sys.argv[1:],
        "--ds-password", secret("freeipa-directory-manager-password"),
        "--admin-password", secret("freeipa-admin-password")]
sys.exit(ipa_server_install.ServerInstall.main(argv))
PY
  installed_now=true
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
# are 32-bit). Only on the run that installed the server.
if [ "$installed_now" = true ]; then
  kinit admin <"$admin_password_file" >/dev/null
  # "no modifications to be performed" when a re-run finds it already set.
  ipa user-mod admin --password-expiration=20371231000000Z >/dev/null 2>&1 || true
  kdestroy -q || true
fi

# The install is done: neither password is needed on the VM any more (the EXIT trap removes both).
# The admin password is a stack output; the records command brings it on its stdin each time it runs.
