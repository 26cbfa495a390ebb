# shellcheck shell=bash
# FreeIPA, after first boot (and on every topology change): the A and PTR records of every VM, the
# reverse zones of the VM networks, and the removal of records this script added earlier for VMs
# that are gone. The record list is above (IPA_*); the admin password arrives as the first line of
# stdin: never a command-line argument, never printed, and handed to kinit through a pipe.
state="$ROOT/var/lib/flatcarmicrocloud/dns-records"

wait_for_first_boot
wait_for_freeipa

password=""
IFS= read -r password || true
[ -n "$password" ] || die "no admin password on stdin"
KRB5CCNAME="FILE:$(mktemp "${TMPDIR:-/tmp}/fmc-ipa-ccache.XXXXXX")"
export KRB5CCNAME
trap 'kdestroy -q >/dev/null 2>&1 || true; rm -f "${KRB5CCNAME#FILE:}"' EXIT
# printf is a bash builtin: the password is in no process's arguments.
printf '%s\n' "$password" | kinit admin >/dev/null || die "kinit admin failed: is the stack's freeipaAdminPassword still admin's password?"
password=""

# has_record ZONE NAME ATTRIBUTE VALUE: true when the record set already holds VALUE.
has_record() {
  ipa dnsrecord-show "$1" "$2" --raw 2>/dev/null |
    awk -v attr="$3:" -v want="$4" '$1 == attr && $2 == want { found = 1 } END { exit !found }'
}

# ipa's option for a record attribute; empty for anything else (a damaged state line).
option_of() {
  case "$1" in
    arecord) echo --a-rec ;;
    ptrrecord) echo --ptr-rec ;;
  esac
}

# One line per record: "ZONE NAME ATTRIBUTE VALUE".
desired=()
for record in "${IPA_A_RECORDS[@]}"; do
  read -r name address <<<"$record"
  desired+=("$IPA_DOMAIN $name arecord $address")
done
for record in "${IPA_PTR_RECORDS[@]}"; do
  read -r zone name target <<<"$record"
  desired+=("$zone $name ptrrecord $target")
done

is_desired() {
  local wanted
  for wanted in "${desired[@]}"; do [ "$wanted" = "$1" ] && return 0; done
  return 1
}

save_state() {
  mkdir -p "$(dirname "$state")"
  printf '%s\n' "$@" | sed '/^$/d' | sort -u >"$state.new"
  mv -f "$state.new" "$state"
}

previous=()
[ ! -f "$state" ] || mapfile -t previous <"$state"
# Remember the union before changing anything: a run that stops halfway still knows every record
# it may have added, and the next run removes those that are no longer wanted.
save_state "${previous[@]}" "${desired[@]}"

# Reverse zones of the VM networks this server has no address on (the installer made its own).
for zone in "${IPA_REVERSE_ZONES[@]}"; do
  if ! ipa dnszone-show "$zone" >/dev/null 2>&1; then
    ipa dnszone-add "$zone" --skip-overlap-check >/dev/null
    log "added reverse zone $zone"
  fi
done

added=0
for record in "${desired[@]}"; do
  read -r zone name attr value <<<"$record"
  has_record "$zone" "$name" "$attr" "$value" && continue
  ipa dnsrecord-add "$zone" "$name" "$(option_of "$attr")=$value" >/dev/null
  log "added $name.$zone $attr $value"
  added=$((added + 1))
done

# Only records this script added (the state file), never one an operator made by hand.
removed=0
for record in "${previous[@]}"; do
  [ -n "$record" ] || continue
  is_desired "$record" && continue
  read -r zone name attr value <<<"$record"
  option="$(option_of "$attr")"
  if [ -z "$option" ] || [ -z "$value" ]; then
    log "ignoring a damaged line of $state: $record"
    continue
  fi
  has_record "$zone" "$name" "$attr" "$value" || continue
  ipa dnsrecord-del "$zone" "$name" "$option=$value" >/dev/null
  log "removed $name.$zone $attr $value"
  removed=$((removed + 1))
done

save_state "${desired[@]}"
log "DNS: ${#desired[@]} records managed, $added added, $removed removed"
