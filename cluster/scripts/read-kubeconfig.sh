#!/bin/bash
# Runs on the first server: prints the admin kubeconfig K3s wrote (mode 0600, root only). Pulumi
# keeps stdout secret and logs nothing of this step.
# Rendered by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

# The release the file was read after: a new one re-reads it (K3s renews its certificates on restart).
VERSION=@VERSION@

ROOT="${FMC_ROOT:-}"
KUBECONFIG_FILE="$ROOT/etc/rancher/k3s/k3s.yaml"

if [ ! -s "$KUBECONFIG_FILE" ]; then
  printf 'no admin kubeconfig at %s (K3s %s)\n' "$KUBECONFIG_FILE" "$VERSION" >&2
  exit 1
fi
cat "$KUBECONFIG_FILE"
