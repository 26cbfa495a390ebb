# shellcheck shell=bash
# Bastion, after first boot (and on every change of wireguardPeers): the WireGuard peers. The list
# is above (WG_PEERS, one "NAME PUBLIC-KEY ALLOWED-IP,..." per peer; public data). It becomes
# wg0.peers; wg0.conf is rebuilt from its interface part (cloud-init), the server key generated on
# this VM and those peers, each file written only when it differs. `wg syncconf` then makes the live
# interface match: new peers are added, peers no longer listed removed, the others keep their
# sessions. Nothing else of the bastion changes, and the server key stays.
dir="$ROOT/etc/wireguard"
iface_file="$dir/wg0.interface"
key_file="$dir/server.key"
peers_file="$dir/wg0.peers"
conf_file="$dir/wg0.conf"

wait_for_first_boot
if ! [ -s "$iface_file" ] || ! [ -s "$key_file" ]; then
  die "no $iface_file or $key_file: the bastion's first boot failed (see /var/log/cloud-init-output.log)"
fi

# Every entry is checked before anything changes (the stack config validated them already).
for entry in "${WG_PEERS[@]}"; do
  read -r name key ips extra <<<"$entry"
  if ! [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ && "$key" =~ ^[A-Za-z0-9+/]{43}=$ && "$ips" =~ ^[0-9./,]+$ && -z "$extra" ]]; then
    die "bad peer entry '$entry' (want NAME PUBLIC-KEY ALLOWED-IP,...); nothing changed"
  fi
done

# The [Peer] sections, in the order of the stack config.
render_peers() {
  local entry name key ips sep=""
  for entry in "${WG_PEERS[@]}"; do
    read -r name key ips <<<"$entry"
    printf '%s[Peer]\n# %s\nPublicKey = %s\nAllowedIPs = %s\n' "$sep" "$name" "$key" "${ips//,/, }"
    sep=$'\n'
  done
}

# New files are staged next to the live ones (root-only, like them) and renamed into place.
peers_new="$(mktemp "$dir/.wg0.peers.XXXXXX")"
conf_new="$(mktemp "$dir/.wg0.conf.XXXXXX")"
trap 'rm -f "$peers_new" "$conf_new"' EXIT

changed=()
render_peers >"$peers_new"
if ! cmp -s "$peers_new" "$peers_file"; then
  mv -f "$peers_new" "$peers_file"
  changed+=("$peers_file")
fi
# The same assembly as fmc-bastion-setup's: interface part, server key, peers.
{ cat "$iface_file"; sed 's/^/PrivateKey = /' "$key_file"; if [ -s "$peers_file" ]; then echo; cat "$peers_file"; fi; } >"$conf_new"
if ! cmp -s "$conf_new" "$conf_file"; then
  mv -f "$conf_new" "$conf_file"
  changed+=("$conf_file")
fi
if [ "${#changed[@]}" -gt 0 ]; then
  restorecon "${changed[@]}" >/dev/null 2>&1 || true
  log "wrote ${changed[*]}"
fi

systemctl enable --quiet wg-quick@wg0
if ! wg show wg0 >/dev/null 2>&1; then
  # Down (stopped by hand, or its start failed): bring it up with the whole config.
  systemctl restart wg-quick@wg0
  log "wg0 was down: started"
else
  # Applied on every run: it also undoes a hand change of the live interface, and is a no-op when
  # nothing differs. `wg-quick strip` leaves what `wg` understands (key, port, peers). syncconf
  # sets the interface's private key from the config too, so an incomplete config never reaches it.
  stripped="$(wg-quick strip "$conf_file")"
  [[ "$stripped" == *PrivateKey* ]] || die "'wg-quick strip $conf_file' has no PrivateKey; wg0 left as it is"
  wg syncconf wg0 <(printf '%s\n' "$stripped")
  stripped=""
fi

# The live peers must now be exactly the listed ones.
wanted="$(for entry in "${WG_PEERS[@]}"; do read -r _ key _ <<<"$entry" && echo "$key"; done | sort)"
live="$(wg show wg0 peers | sort)"
[ "$live" = "$wanted" ] || die "wg0's peers differ from the list after the update: got '${live//$'\n'/ }'"
log "wg0 has ${#WG_PEERS[@]} peer(s)"
