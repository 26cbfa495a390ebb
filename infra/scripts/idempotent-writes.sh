# Shared by the after-boot scripts that converge a VM's files (host-settings.sh, ceph-state-disk.sh),
# included where they say `# @include idempotent-writes.sh` (shell.ts renderScriptTemplate). Needs
# VM_NAME. `changes` collects what a run altered: empty means the VM was already as desired.
log() { printf '[%s] %s\n' "$VM_NAME" "$*" >&2; }
die() {
  log "$*"
  exit 1
}
changes=()

# Writes $2 to $1 when its content differs; returns 0 when it wrote.
put() {
  local path="$1" content="$2" mode="${3:-0644}"
  if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then return 1; fi
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$content" >"$path.new"
  chmod "$mode" "$path.new"
  mv -f "$path.new" "$path"
  changes+=("$path")
  return 0
}
# Removes $1 when present; returns 0 when it removed.
drop() {
  [ -e "$1" ] || return 1
  rm -f "$1"
  changes+=("removed $1")
}
