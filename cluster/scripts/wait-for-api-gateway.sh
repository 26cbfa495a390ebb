#!/bin/bash
# Runs on the load balancer once every K3s server is installed: waits until HAProxy forwards the
# Kubernetes API on the address the kubeconfig names, so stage 3 starts only once the API answers
# there. Any HTTP status proves it: an API server answered through HAProxy (401 to an anonymous
# request, or 200). "000" means no TLS answer yet: HAProxy is not running (the VM's first boot is
# still installing it) or no API server has passed its health checks yet.
# Rendered by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

API_URL=@API_URL@
TIMEOUT_SECONDS=@TIMEOUT_SECONDS@
INTERVAL_SECONDS=@INTERVAL_SECONDS@

log() { printf '[api-gateway] %s\n' "$*" >&2; }

if ! command -v curl >/dev/null; then
  log "curl is not installed on the load balancer; cannot probe $API_URL"
  exit 1
fi

deadline=$((SECONDS + TIMEOUT_SECONDS))
status=""
while :; do
  # -k: the probe only asks whether an API server answers; real clients check the certificate.
  status="$(curl -ks --connect-timeout 5 --max-time 10 -o /dev/null -w '%{http_code}' "$API_URL" || true)"
  if [[ "$status" =~ ^[1-5][0-9][0-9]$ ]]; then
    echo "$API_URL answers through the load balancer (HTTP $status)"
    exit 0
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    break
  fi
  sleep "$INTERVAL_SECONDS"
done
log "no API server answered at $API_URL within ${TIMEOUT_SECONDS}s (last status: ${status:-none});" \
  "check 'systemctl status haproxy' here and K3s on the servers"
exit 1
