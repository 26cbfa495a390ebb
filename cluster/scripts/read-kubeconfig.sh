#!/bin/bash
# Runs on the first server: prints the kubeconfig the Pulumi program (and the operator) use. Its
# credential is a ServiceAccount token bound to cluster-admin, not K3s's admin client certificate:
# that certificate lives 365 days and K3s renews it on disk, so a copy kept in the Pulumi state would
# stop working after a year. A token Secret does not expire; the CA beside it is K3s's server CA
# (10 years). The objects are applied idempotently and the token is read back, so every run prints
# the same kubeconfig: no diff, and the Kubernetes provider keeps its configuration. Rotate by
# deleting the Secret and replacing this step (docs/cluster.md). Pulumi keeps stdout secret and logs
# nothing of this step.
# Rendered by cluster/scripts.ts (the @...@ placeholders are filled in, shell-quoted).
set -euo pipefail

# The release the file was read after: a new one runs this again (and prints the same kubeconfig).
VERSION=@VERSION@
NAMESPACE=@NAMESPACE@
ACCOUNT=@ACCOUNT@
SECRET=@SECRET@
TOKEN_ATTEMPTS=@TOKEN_ATTEMPTS@

ROOT="${FMC_ROOT:-}"
ADMIN_KUBECONFIG="$ROOT/etc/rancher/k3s/k3s.yaml"

log() { printf '[read-kubeconfig] %s\n' "$*" >&2; }
kube() { "$ROOT/opt/bin/k3s" kubectl --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

if [ ! -s "$ADMIN_KUBECONFIG" ]; then
  log "no admin kubeconfig at $ADMIN_KUBECONFIG (K3s $VERSION)"
  exit 1
fi

kube apply -f - >/dev/null <<MANIFESTS
apiVersion: v1
kind: ServiceAccount
metadata:
  name: $ACCOUNT
  namespace: $NAMESPACE
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: $ACCOUNT
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: $ACCOUNT
    namespace: $NAMESPACE
---
apiVersion: v1
kind: Secret
metadata:
  name: $SECRET
  namespace: $NAMESPACE
  annotations:
    kubernetes.io/service-account.name: $ACCOUNT
type: kubernetes.io/service-account-token
MANIFESTS

# The token controller fills the Secret within a second or two of its creation.
token=""
ca=""
for ((i = 0; i < TOKEN_ATTEMPTS; i++)); do
  token="$(kube -n "$NAMESPACE" get secret "$SECRET" -o 'jsonpath={.data.token}' 2>/dev/null || true)"
  ca="$(kube -n "$NAMESPACE" get secret "$SECRET" -o 'jsonpath={.data.ca\.crt}' 2>/dev/null || true)"
  if [ -n "$token" ] && [ -n "$ca" ]; then
    break
  fi
  sleep 1
done
if [ -z "$token" ] || [ -z "$ca" ]; then
  log "Secret $NAMESPACE/$SECRET holds no token after ${TOKEN_ATTEMPTS}s; is kube-controller-manager running?"
  exit 1
fi

cat <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: default
    cluster:
      certificate-authority-data: $ca
      server: https://127.0.0.1:6443
users:
  - name: default
    user:
      token: $(printf '%s' "$token" | base64 -d)
contexts:
  - name: default
    context:
      cluster: default
      user: default
current-context: default
KUBECONFIG
