# shellcheck shell=bash
# Included (renderScriptTemplate's `# @include`) by fmc-freeipa-backup and fmc-freeipa-restore: rclone
# with the target's config and CA, and the object names under this VM's prefix.
rc() {
  local -a ca=()
  if [ -n "$CA_FILE" ]; then ca=(--ca-cert "$CA_FILE"); fi
  rclone --config "$RCLONE_CONFIG" "${ca[@]}" "$@"
}
# The object names under this VM's prefix; none yet is an empty list (rclone exits 3, "directory
# not found", for a prefix without objects).
objects() {
  local out status=0
  out=$(rc lsf --files-only "$REMOTE/") || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || return "$status"
  if [ -n "$out" ]; then printf '%s\n' "$out"; fi
}
