#!/bin/bash
# Runs on the bastion before anything connects to a VM through it: waits until the VM's sshd
# completes a key exchange with the same host keys on several probes in a row.
#
# Why: @pulumi/command 1.2.1 (provider/pkg/provider/remote/connection.go, Dial) opens the TCP
# stream through the jump host once and then retries only the SSH handshake on that same stream.
# A VM whose sshd accepts connections before it can serve them (Flatcar's socket-activated sshd
# while host keys are generated, Rocky's sshd restarted by cloud-init) resets that stream, and every
# retry after it fails. A direct connection (the bastion's own) re-dials each time and is not
# affected, so the bastion probes for it: ssh-keyscan needs no credentials, opens a new TCP
# connection per probe, and succeeds only once sshd serves the key exchange. A host key that
# changes between probes (keys regenerated on first boot) starts the count again.
# Rendered per VM by cluster/ssh-first-contact.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

TARGET=@TARGET@
PORT=@PORT@
TIMEOUT_SECONDS=@TIMEOUT_SECONDS@
INTERVAL_SECONDS=@INTERVAL_SECONDS@
STABLE_PROBES=@STABLE_PROBES@

log() { printf '[wait-for-sshd %s] %s\n' "$TARGET" "$*" >&2; }

if ! command -v ssh-keyscan >/dev/null; then
  log "ssh-keyscan (openssh-clients) is not installed on the bastion"
  exit 1
fi

deadline=$((SECONDS + TIMEOUT_SECONDS))
previous=""
stable=0
while :; do
  keys="$(ssh-keyscan -T 5 -p "$PORT" "$TARGET" 2>/dev/null | sort || true)"
  if [ -z "$keys" ]; then
    stable=0
  elif [ "$keys" = "$previous" ]; then
    stable=$((stable + 1))
  else
    stable=1
  fi
  previous="$keys"
  if [ "$stable" -ge "$STABLE_PROBES" ]; then
    printf 'sshd on %s:%s serves the same host keys on %s probes\n' "$TARGET" "$PORT" "$STABLE_PROBES"
    exit 0
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    break
  fi
  sleep "$INTERVAL_SECONDS"
done
log "sshd did not answer steadily within ${TIMEOUT_SECONDS}s; check the VM's console (virsh console)"
exit 1
