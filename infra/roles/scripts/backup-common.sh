# shellcheck shell=bash
# Shared part of the backups commands (PostgreSQL, FreeIPA), between the prelude and the role's own
# part: writing files only when they differ, the credentials from stdin, EPEL, and the VM's metrics exporter through which Prometheus
# reads `fmc_backup_last_success_timestamp_seconds` (infra/roles/backup-metrics.ts).

changed=()

# put PATH MODE OWNER CONTENT: writes when the content differs; remembers what changed.
put() {
  local path="$ROOT$1" mode="$2" owner="$3" content
  # (Trailing newlines dropped, as $(cat) drops them: the comparison sees the same text.)
  content=$(printf '%s' "$4")
  if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then return 0; fi
  mkdir -p "$(dirname "$path")"
  (umask 077 && printf '%s\n' "$content" >"$path.new")
  chmod "$mode" "$path.new"
  chown "$owner" "$path.new"
  mv -f "$path.new" "$path"
  changed+=("$1")
}
drop() {
  [ -e "$ROOT$1" ] || return 0
  rm -f "$ROOT$1"
  changed+=("removed $1")
}

# read_credentials: the three stdin lines (access key id, secret key, passphrase) into key_id,
# key_secret and passphrase; never on a command line, never printed.
read_credentials() {
  key_id="" key_secret="" passphrase=""
  IFS= read -r key_id || true
  IFS= read -r key_secret || true
  IFS= read -r passphrase || true
  if [ -z "$key_id" ] || [ -z "$key_secret" ] || [ -z "$passphrase" ]; then
    die "expected three lines on stdin (access key id, secret key, passphrase)"
  fi
}

# epel_install PACKAGE: installs it from EPEL when rpm does not have it (EPEL keeps only its newest
# build: the callers check a version floor where they need one).
epel_install() {
  rpm -q "$1" >/dev/null 2>&1 && return 0
  rpm -q epel-release >/dev/null 2>&1 || dnf -y install epel-release
  dnf -y install "$1" || die "could not install $1 from EPEL (dnf -y install $1)"
}

# The exporter's port, offered only to the networks of the K3s nodes (Prometheus's packets leave a
# node with the node's address), as rich rules: the first-boot firewall script never removes those.
exporter_rule() { printf 'rule family="ipv4" source address="%s" port port="%s" protocol="tcp" accept' "$1" "$EXPORTER_PORT"; }
exporter_firewall() {
  local reload=0 rule source wanted
  local -a want=()
  for source in "$@"; do want+=("$(exporter_rule "$source")"); done
  while IFS= read -r rule; do
    [[ "$rule" == *"port port=\"$EXPORTER_PORT\" protocol=\"tcp\" accept"* ]] || continue
    for wanted in "${want[@]}"; do [ "$rule" = "$wanted" ] && continue 2; done
    firewall-cmd --permanent --quiet --remove-rich-rule="$rule"
    reload=1
    changed+=("firewall: removed $rule")
  done < <(firewall-cmd --permanent --list-rich-rules)
  for rule in "${want[@]}"; do
    firewall-cmd --permanent --query-rich-rule="$rule" >/dev/null 2>&1 && continue
    firewall-cmd --permanent --quiet --add-rich-rule="$rule"
    reload=1
    changed+=("firewall: $rule")
  done
  if [ "$reload" = 1 ]; then firewall-cmd --quiet --reload; fi
}

# node_exporter (EPEL) with its textfile collector on this VM's address on the K3s nodes' network.
exporter_on() {
  # (By its path: the package's name is EPEL's business.)
  rpm -q --whatprovides /usr/bin/node_exporter >/dev/null 2>&1 || epel_install /usr/bin/node_exporter
  install -d -m 0755 -o root -g root "$ROOT$METRICS_DIR"
  local before=${#changed[@]}
  put "$METRIC_WRITER" 0755 root:root "$METRIC_WRITER_BODY"
  put "$EXPORTER_UNIT" 0644 root:root "$EXPORTER_UNIT_BODY"
  systemctl daemon-reload
  systemctl enable fmc-node-exporter.service >/dev/null 2>&1
  if [ ${#changed[@]} -gt "$before" ]; then systemctl restart fmc-node-exporter.service; else systemctl start fmc-node-exporter.service; fi
  exporter_firewall "${EXPORTER_SOURCES[@]}"
}

# Backups off: the exporter, its firewall hole and this kind's metric leave the VM.
exporter_off() {
  local kind="$1"
  if [ -f "$ROOT$EXPORTER_UNIT" ]; then systemctl disable --now fmc-node-exporter.service >/dev/null 2>&1 || true; fi
  drop "$EXPORTER_UNIT"
  drop "$METRIC_WRITER"
  drop "$METRICS_DIR/fmc_backup_$kind.prom"
  if command -v firewall-cmd >/dev/null 2>&1; then exporter_firewall; fi
}
