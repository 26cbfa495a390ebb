# shellcheck shell=bash
# Host preflight: runs on the machine that runs Pulumi (where the libvirt provider runs) before any
# libvirt object is created, and stops the deployment with every problem it finds. Its settings are
# above (infra/host-preflight.ts): FMC_LIBVIRT_URI, FMC_LOCAL_TOOLS ("tool|why|how to install"),
# FMC_VIRT_TYPE, FMC_MACHINE_TYPE, FMC_CDROM_BUS, FMC_MIN_LIBVIRT, FMC_SUPPORTED_HOSTS, FMC_BRIDGES,
# FMC_BRIDGES ("bridge|config key"), FMC_BRIDGE_ADDRESSES ("vm address"), FMC_POOL_NAME, FMC_POOL_PATH,
# FMC_POOL_VOLUMES ("name or pattern|bytes at worst|kind|what": every volume stage 1 keeps in the
# pool), and the config keys the messages name for this host and pool: FMC_URI_KEY,
# FMC_ADDRESSES_KEY, FMC_POOL_PATH_KEY, FMC_POOL_CAPACITY_KEY (the one-host keys, or hosts[i].…).
#
# What libvirt can answer is asked over FMC_LIBVIRT_URI, the provider's own connection, so the checks
# hold for a remote qemu+ssh host too. What libvirt cannot tell (the host's OS, its bridges and own
# addresses) is checked only when the hypervisor is this machine; the host's addresses in the stack
# config (FMC_ADDRESSES_KEY) cover the address clash for a remote host.

# Tests point ROOT at a scratch directory (os-release, /sys/class/net); on a host it is empty.
ROOT="${FMC_ROOT:-}"
problems=()
fail() { problems+=("$*"); }
log() { printf '[host preflight] %s\n' "$*" >&2; }

# 1. Programs the provider runs on this machine, not on the host.
for entry in "${FMC_LOCAL_TOOLS[@]}"; do
  IFS='|' read -r tool why install <<<"$entry"
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is not installed on this machine (the one running Pulumi): $why. Install it: $install"
done

# version_at_least HAVE WANT: true when HAVE >= WANT (dotted numbers).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# 2. What the hypervisor supports, asked over the provider's URI. stdin is closed so that an SSH
# transport that wants a password fails instead of waiting; timeout bounds an unreachable host.
ask_libvirt() { timeout 120 virsh --quiet --connect "$FMC_LIBVIRT_URI" "$@" </dev/null 2>&1; }

libvirt_ok=no
if ! command -v virsh >/dev/null 2>&1; then
  fail "'virsh' is not installed on this machine: the preflight asks libvirt at $FMC_LIBVIRT_URI what the host supports. Install it: libvirt-clients (Debian, Ubuntu) or libvirt-client (Rocky, RHEL, Fedora)"
elif ! version="$(ask_libvirt version --daemon)"; then
  fail "cannot reach libvirt at $FMC_LIBVIRT_URI ($FMC_URI_KEY): ${version//$'\n'/ }"
else
  libvirt_ok=yes
  daemon="$(sed -n 's/^Running against daemon: *\([0-9.]*\).*/\1/p' <<<"$version")"
  if [ -z "$daemon" ]; then
    fail "libvirt at $FMC_LIBVIRT_URI did not report its version (virsh version --daemon): ${version//$'\n'/ }"
  elif ! version_at_least "$daemon" "$FMC_MIN_LIBVIRT"; then
    fail "libvirt $daemon at $FMC_LIBVIRT_URI is older than $FMC_MIN_LIBVIRT, the first with <sysinfo type='fwcfg'>, which hands Flatcar its Ignition file"
  fi
  if ! caps="$(ask_libvirt domcapabilities --virttype "$FMC_VIRT_TYPE" --arch x86_64 --machine "$FMC_MACHINE_TYPE")"; then
    fail "the host has no $FMC_VIRT_TYPE x86_64 machine type '$FMC_MACHINE_TYPE' (libvirt: ${caps//$'\n'/ }). terraform-provider-libvirt 0.8.3 gives every domain that machine type and the Rocky VMs an IDE cloud-init CD-ROM; EL10 (Rocky/RHEL/Alma 10) dropped both. Supported hosts: $FMC_SUPPORTED_HOSTS"
  else
    # The disk buses this machine type offers: <disk supported='yes'> ... <enum name='bus'><value>...
    buses="$(awk '/<disk supported=.yes.>/,/<\/disk>/' <<<"$caps" | awk '/<enum name=.bus.>/,/<\/enum>/' | sed -n 's:.*<value>\(.*\)</value>.*:\1:p')"
    if ! grep -qx "$FMC_CDROM_BUS" <<<"$buses"; then
      fail "machine type '$FMC_MACHINE_TYPE' on the host offers no '$FMC_CDROM_BUS' disk bus (it offers: ${buses//$'\n'/ }), where terraform-provider-libvirt 0.8.3 attaches the cloud-init CD-ROM. Supported hosts: $FMC_SUPPORTED_HOSTS"
    fi
  fi
fi

# 3. Facts libvirt does not report: only when the hypervisor is this machine.
case "$FMC_LIBVIRT_URI" in
  qemu:///* | qemu+unix:///*) local_host=yes ;;
  *) local_host=no ;;
esac

if [ "$local_host" = yes ]; then
  if [ -r "$ROOT/etc/os-release" ]; then
    # os-release is shell assignments; read in a subshell so nothing of it leaks into this script.
    # shellcheck disable=SC1091
    os_facts="$(. "$ROOT/etc/os-release" && printf '%s\n%s\n%s\n' "${ID:-}" "${VERSION_ID:-}" "${PRETTY_NAME:-unknown}")"
    { read -r os_id; read -r os_version; read -r os_name; } <<<"$os_facts"
    log "host OS: $os_name"
    case "$os_id" in
      rhel | centos | rocky | almalinux | ol)
        if [ "${os_version%%.*}" -ge 10 ] 2>/dev/null; then
          fail "the host runs $os_name: EL10 is not supported (its qemu-kvm has no '$FMC_MACHINE_TYPE' machine type and no IDE bus, which terraform-provider-libvirt 0.8.3 requires). Supported hosts: $FMC_SUPPORTED_HOSTS"
        fi
        ;;
    esac
  fi
  for entry in "${FMC_BRIDGES[@]}"; do
    IFS='|' read -r bridge bridge_key <<<"$entry"
    [ -d "$ROOT/sys/class/net/$bridge/bridge" ] ||
      fail "the host has no bridge '$bridge' ($bridge_key): create it on the LAN interface first (README, 'Running it for real'; docs/multi-host-networks.md)"
  done
  if [ "${#FMC_BRIDGE_ADDRESSES[@]}" -gt 0 ] && ! command -v ip >/dev/null 2>&1; then
    fail "'ip' (iproute2) is missing on this host: cannot compare the VMs' LAN addresses with the host's own"
  elif [ "${#FMC_BRIDGE_ADDRESSES[@]}" -gt 0 ]; then
    # "interface address" for every IPv4 address this host holds.
    own="$(ip -o -4 addr show | awk '{ split($4, a, "/"); print $2, a[1] }')"
    for entry in "${FMC_BRIDGE_ADDRESSES[@]}"; do
      read -r vm address <<<"$entry"
      iface="$(awk -v want="$address" '$2 == want { print $1; exit }' <<<"$own")"
      [ -z "$iface" ] ||
        fail "$vm's LAN address $address is already this host's own (interface $iface): give $vm another address (vms[].nics[].address) or the host's interface another one, and list the host's addresses in $FMC_ADDRESSES_KEY"
    done
  fi
else
  log "libvirt at $FMC_LIBVIRT_URI is remote: its OS, bridges and own addresses are not checked here ($FMC_ADDRESSES_KEY in the stack config covers the address clash)"
fi

# 4. Room in the storage pool. terraform-provider-libvirt 0.8.3 gives no volume an <allocation>, so
# libvirt preallocates raw volumes in full (fallocate) when it creates them: the Ceph disks take their
# whole size at once, the root overlays grow to theirs (config/host-disk.ts). Only the volumes the pool
# does not hold yet count, so a re-run on a live stack asks for nothing it already has.
gib() { awk -v b="$1" 'BEGIN { printf "%.1f GiB", b / 1073741824 }'; }
pool_free=""
existing=""
if [ "$libvirt_ok" = yes ] && info="$(ask_libvirt pool-info --bytes "$FMC_POOL_NAME")"; then
  pool_free="$(awk '$1 == "Available:" { print $2 }' <<<"$info")"
  free_where="libvirt pool $FMC_POOL_NAME at $FMC_LIBVIRT_URI"
  existing="$(ask_libvirt vol-list --pool "$FMC_POOL_NAME" | awk 'NF { print $1 }')" || existing=""
elif [ "$local_host" = yes ]; then
  # The pool does not exist yet: its directory (or the nearest parent that exists) tells the filesystem.
  dir="$FMC_POOL_PATH"
  while [ ! -d "$ROOT$dir" ] && [ "$dir" != / ]; do dir="$(dirname "$dir")"; done
  if kib="$(df -Pk "$ROOT$dir" 2>/dev/null | awk 'NR == 2 { print $4 }')" && [[ "$kib" =~ ^[0-9]+$ ]]; then
    pool_free=$((kib * 1024))
    free_where="the filesystem of $dir ($FMC_POOL_PATH_KEY $FMC_POOL_PATH)"
  fi
fi
needed=0
largest=()
for entry in "${FMC_POOL_VOLUMES[@]}"; do
  IFS='|' read -r pattern bytes kind what <<<"$entry"
  held=no
  while read -r name; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose (names carrying a first-boot hash)
    [ -n "$name" ] && [[ "$name" == $pattern ]] && held=yes && break
  done <<<"$existing"
  [ "$held" = yes ] && continue
  needed=$((needed + bytes))
  [ "$kind" = raw ] && largest+=("$what $(gib "$bytes")")
done
if [ "$needed" -eq 0 ]; then
  log "storage pool: every volume exists already"
elif [[ ! "$pool_free" =~ ^[0-9]+$ ]]; then
  log "storage pool: free space not checked (no pool $FMC_POOL_NAME yet on the remote host $FMC_LIBVIRT_URI); the new volumes need up to $(gib "$needed") ($FMC_POOL_CAPACITY_KEY states the pool's size to the config check)"
elif [ "$pool_free" -lt "$needed" ]; then
  biggest="$(IFS=';'; echo "${largest[*]}")"
  fail "$free_where has $(gib "$pool_free") free, but the volumes still to be created take up to $(gib "$needed") (root disks grow to their size; raw disks are preallocated in full at once${biggest:+: ${biggest//;/, }}). Put $FMC_POOL_PATH_KEY on a filesystem with room (a default Rocky/RHEL install gives / only 70 GiB and the rest to /home; README, 'Disk space'), or shrink the disks"
else
  log "storage pool: $(gib "$pool_free") free in $free_where, the new volumes need up to $(gib "$needed")"
fi

if [ "${#problems[@]}" -gt 0 ]; then
  log "the host is not ready; nothing was created:"
  for problem in "${problems[@]}"; do log "  - $problem"; done
  exit 1
fi
log "ok: libvirt ${daemon:-?} at $FMC_LIBVIRT_URI, machine type $FMC_MACHINE_TYPE with a $FMC_CDROM_BUS bus, local tools present"
