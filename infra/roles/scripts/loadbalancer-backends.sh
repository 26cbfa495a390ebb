# shellcheck shell=bash
# Load balancer, after first boot (and on every topology change): the complete HAProxy config,
# frontends and the backends of the current topology, arrives on stdin. It is checked with
# `haproxy -c`, installed only when it differs from the live one, and HAProxy is reloaded only then
# (a reload keeps established connections on the old process). A config that fails the check
# changes nothing: the live one keeps serving.
live="$ROOT/etc/haproxy/haproxy.cfg"

wait_for_first_boot
rpm -q haproxy >/dev/null 2>&1 || die "haproxy is not installed: the load balancer's first boot failed (see /var/log/cloud-init-output.log)"

new="$(mktemp)"
trap 'rm -f "$new"' EXIT
cat >"$new"
[ -s "$new" ] || die "no HAProxy config on stdin"
haproxy -c -q -f "$new" || die "the new HAProxy config fails 'haproxy -c'; the live one stays"

changed=false
if ! cmp -s "$new" "$live"; then
  install -D -m 0644 "$new" "$live"
  restorecon "$live" >/dev/null 2>&1 || true
  changed=true
  log "installed a new $live"
fi

systemctl enable --quiet haproxy
if [ "$changed" = true ] || ! systemctl is-active --quiet haproxy; then
  systemctl reload-or-restart haproxy
  log "haproxy (re)loaded"
fi
systemctl is-active --quiet haproxy || die "haproxy is not running"
