#!/usr/bin/env bash
# Runs `bash .ci/run` (or another command) in a fresh Debian root with nothing preinstalled but what
# this machine's image brings for the project's toolchains: proof that the repo's own scripts install
# everything its tests and its lab call (docs/lab.md, "A fresh machine").
#
#   sudo scripts/fresh-root.sh DIR [COMMAND...]        default COMMAND: bash .ci/run
#
# DIR/root: `debootstrap --variant=minbase` of this machine's Debian release (made once, reused).
# Into it: the image's Node.js (the nodejs package's files and npm) and Go (/usr/local/go), this
# machine's apt sources, resolver and CA bundle (the registries are reached through them), then a
# fresh `git clone` of this repository's main at /ci/flatcarmicrocloud and a read-only copy of
# ../shared at /ci/shared. /proc, /sys, /dev are bound in for the run and unmounted after it.
# BRANCH picks another branch than main. FRESH_CLONE=0 keeps an existing clone (to rerun a command in it). Nothing outside DIR is changed
# but the packages apt installs for debootstrap.
set -euo pipefail

DIR=${1:?usage: scripts/fresh-root.sh DIR [COMMAND...]}
shift
[ $# -gt 0 ] || set -- bash .ci/run
[ "$(id -u)" -eq 0 ] || { echo "fresh-root.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
# ../shared beside the repository (beside the main worktree when this is a linked worktree).
SHARED=${SHARED:-$REPO/../shared}
[ -d "$SHARED" ] || SHARED=$(cd "$(git -C "$REPO" rev-parse --git-common-dir)/../.." && pwd)/shared
[ -d "$SHARED" ] || { echo "fresh-root.sh: no ../shared beside $REPO (set SHARED)" >&2; exit 1; }
ROOT="$DIR/root"
log() { echo "fresh-root.sh: $*" >&2; }

# shellcheck source=/dev/null
. /etc/os-release
if [ ! -x "$ROOT/bin/bash" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  log "debootstrap --variant=minbase $VERSION_CODENAME $ROOT"
  debootstrap --variant=minbase "$VERSION_CODENAME" "$ROOT" http://deb.debian.org/debian >"$DIR/debootstrap.log" 2>&1 ||
    { tail -n 20 "$DIR/debootstrap.log" >&2; exit 1; }

  # This machine's way to the registries: resolver, apt sources and settings, CA bundle.
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  if [ -d /etc/apt/sources.list.d ] && ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    rm -f "$ROOT/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/*.sources "$ROOT/etc/apt/sources.list.d/"
  fi
  for conf in /etc/apt/apt.conf.d/*; do
    grep -qiE 'Acquire::' "$conf" 2>/dev/null && cp "$conf" "$ROOT/etc/apt/apt.conf.d/"
  done
  mkdir -p "$ROOT/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
  if [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
  fi
  for f in /root/.npmrc /etc/pip.conf /root/.config/go/env; do
    [ -f "$f" ] && { mkdir -p "$ROOT$(dirname "$f")"; cp "$f" "$ROOT$f"; }
  done

  # The image's toolchains: Node.js (the nodejs package, and the npm it carries) and Go.
  dpkg -L nodejs | while read -r f; do
    [ -f "$f" ] && { mkdir -p "$ROOT$(dirname "$f")"; cp -a "$f" "$ROOT$f"; }
  done
  rm -rf "$ROOT/usr/lib/node_modules"
  cp -a /usr/lib/node_modules "$ROOT/usr/lib/"
  for bin in npm npx corepack; do [ -e "/usr/bin/$bin" ] && cp -a "/usr/bin/$bin" "$ROOT/usr/bin/"; done
  [ -d /usr/local/go ] && cp -a /usr/local/go "$ROOT/usr/local/go"
fi

if [ "${FRESH_CLONE:-1}" != 0 ] || [ ! -d "$ROOT/ci/flatcarmicrocloud" ]; then
  rm -rf "$ROOT/ci"
  mkdir -p "$ROOT/ci"
  git clone -q --branch "${BRANCH:-main}" "$REPO" "$ROOT/ci/flatcarmicrocloud"
  cp -a "$SHARED" "$ROOT/ci/shared"
  chmod -R a-w "$ROOT/ci/shared"
fi

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc sys dev dev/pts dev/shm; do
  mkdir -p "$ROOT/$m"
  mount --bind "/$m" "$ROOT/$m"
  mounts+=("$ROOT/$m")
done

# CI's environment: this machine's variables for the CA bundle and the package clients, no others.
vars=(HOME=/root CI=true LANG=C.UTF-8 "PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
while IFS='=' read -r name value; do
  case "$name" in
    *_CA_*|*CERT*|SSL_*|PIP_*|GOPROXY|GOSUMDB|GOFLAGS|GONOSUMDB|GOPRIVATE) vars+=("$name=$value") ;;
  esac
done < <(env)
log "running in $ROOT/ci/flatcarmicrocloud: $*"
chroot "$ROOT" /usr/bin/env -i "${vars[@]}" /bin/bash -c 'cd /ci/flatcarmicrocloud && exec "$@"' _ "$@" </dev/null
