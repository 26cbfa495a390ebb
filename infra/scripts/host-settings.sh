#!/bin/bash
# Delivers the stack-wide settings of one VM after its first boot: the operator's SSH keys, the NTP
# servers and the DNS resolvers and search domain. They are shared by every VM (or name another VM,
# FreeIPA), so they are not first-boot data: a change here would otherwise give every VM a new root
# disk. Run by Pulumi over SSH on create and on every change; idempotent: a VM already in the
# desired state is not touched (no file rewritten, no service restarted).
# Rendered per VM by infra/host-settings.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

VM_NAME=@VM_NAME@
OS_FAMILY=@OS_FAMILY@
# The user the operator's keys are installed for (core on Flatcar, the admin user on Rocky).
KEY_USER=@KEY_USER@
AUTHORIZED_KEYS=(@AUTHORIZED_KEYS@)
NTP_SERVERS=(@NTP_SERVERS@)
DNS_SERVERS=(@DNS_SERVERS@)
SEARCH_DOMAINS=(@SEARCH_DOMAINS@)
# Flatcar: the interface that carries the resolvers (systemd-networkd drop-in).
DNS_IFACE=@DNS_IFACE@
# Rocky: chrony's whole config (infra/chrony.ts); cloud-init's ntp module is not used.
CHRONY_CONF=@CHRONY_CONF@
BOOT_TIMEOUT_SECONDS=@BOOT_TIMEOUT_SECONDS@

# Tests point ROOT at a scratch directory; on a VM it is empty.
ROOT="${FMC_ROOT:-}"

# @include idempotent-writes.sh
# @include first-boot-check.sh
lines() { [ "$#" -eq 0 ] || printf '%s\n' "$@"; }

# --- the expected VM, first boot finished ---
if [ "$OS_FAMILY" = rocky ]; then
  rc=0
  timeout "$BOOT_TIMEOUT_SECONDS" cloud-init status --wait >/dev/null || rc=$?
  [ "$rc" -ne 124 ] || die "first boot did not finish within ${BOOT_TIMEOUT_SECONDS}s"
  # A role script that failed in first boot stops here, with its log (cloud-init's status alone
  # does not tell: runcmd has no `set -e`).
  check_first_boot_steps "$VM_NAME"
fi
actual="$(cat "$ROOT/proc/sys/kernel/hostname")"
[ "${actual%%.*}" = "$VM_NAME" ] || die "expected VM $VM_NAME at this address but found '$actual'; refusing to continue"

# --- SSH keys: exactly the configured ones (a rotated key replaces the old one) ---
[ "${#AUTHORIZED_KEYS[@]}" -gt 0 ] || die "no SSH key to install: refusing to lock the operator out"
home="$ROOT/home/$KEY_USER"
[ -d "$home" ] || die "user $KEY_USER has no home directory"
keys="$(lines "${AUTHORIZED_KEYS[@]}")"
if [ "$OS_FAMILY" = flatcar ]; then
  # Ignition put the first-boot key in authorized_keys.d/ignition; update-ssh-keys (when the image
  # has it) assembles authorized_keys from that directory.
  if put "$home/.ssh/authorized_keys.d/ignition" "$keys" 0600; then
    if command -v update-ssh-keys >/dev/null 2>&1 && [ -z "$ROOT" ]; then
      update-ssh-keys -u "$KEY_USER" >&2
    fi
  fi
fi
put "$home/.ssh/authorized_keys" "$keys" 0600 || true
if [ -z "$ROOT" ]; then chown -R "$KEY_USER:" "$home/.ssh"; fi

# --- NTP ---
if [ "$OS_FAMILY" = flatcar ]; then
  conf="$ROOT/etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf"
  if [ "${#NTP_SERVERS[@]}" -gt 0 ]; then
    written=1
    put "$conf" "$(printf '[Time]\nNTP=%s' "${NTP_SERVERS[*]}")" || written=0
  else
    written=1
    drop "$conf" || written=0
  fi
  if [ "$written" = 1 ]; then systemctl restart systemd-timesyncd.service; fi
else
  # The whole chrony.conf: a VM whose first boot left none (cloud-init 23.4's ntp module moves it
  # aside on Rocky) or another one gets the program's. chrony reads *.sources files from its
  # sourcedir and reloads them without a restart.
  sources="$ROOT/etc/chrony.d/flatcarmicrocloud.sources"
  restart=0
  if put "$ROOT/etc/chrony.conf" "$CHRONY_CONF"; then restart=1; fi
  reload=1
  if [ "${#NTP_SERVERS[@]}" -gt 0 ]; then
    put "$sources" "$(printf 'server %s iburst\n' "${NTP_SERVERS[@]}")" || reload=0
  else
    drop "$sources" || reload=0
  fi
  if [ "$restart" = 1 ]; then
    systemctl restart chronyd.service
  elif [ "$reload" = 1 ]; then
    chronyc reload sources >/dev/null
  fi
fi

# --- DNS resolvers and search domain ---
if [ "$OS_FAMILY" = flatcar ]; then
  dropin="$ROOT/etc/systemd/network/10-$DNS_IFACE.network.d/20-resolvers.conf"
  # An empty DNS= and Domains= first drop what first boot wrote, then the current values.
  content="[Network]"$'\n'"DNS="
  for s in "${DNS_SERVERS[@]}"; do content+=$'\n'"DNS=$s"; done
  content+=$'\n'"Domains="
  if [ "${#SEARCH_DOMAINS[@]}" -gt 0 ]; then content+=$'\n'"Domains=${SEARCH_DOMAINS[*]}"; fi
  if put "$dropin" "$content"; then
    networkctl reload
    networkctl reconfigure "$DNS_IFACE"
  fi
else
  # NetworkManager's global DNS overrides the per-connection resolvers cloud-init wrote at first boot.
  content="[global-dns]"$'\n'"searches=$(IFS=,; echo "${SEARCH_DOMAINS[*]}")"$'\n\n'"[global-dns-domain-*]"$'\n'"servers=$(IFS=,; echo "${DNS_SERVERS[*]}")"
  if put "$ROOT/etc/NetworkManager/conf.d/20-flatcarmicrocloud-dns.conf" "$content"; then
    systemctl reload NetworkManager.service
  fi
fi

if [ "${#changes[@]}" -eq 0 ]; then
  echo "host settings of $VM_NAME: unchanged"
else
  log "changed: ${changes[*]}"
  echo "host settings of $VM_NAME: ${#changes[@]} change(s)"
fi
