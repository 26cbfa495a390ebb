#!/usr/bin/env bash
# actionlint on the users' workflows (.github/workflows; config .github/actionlint.yaml, which
# declares the self-hosted runner's `libvirt` label). .ci/run runs it; so does `npm run lint:workflows`.
#
#   scripts/actionlint.sh [ACTIONLINT ARGS...]   build the pinned actionlint if needed, then run it
#   scripts/actionlint.sh --which                the pinned binary's path (built or not)
#
# Built with `go install` from the Go module proxy at the exact version below (the one pin), into
# a cache outside the repository ($FMC_TOOLS_CACHE, default ~/.cache/flatcarmicrocloud-tools).
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12

cd "$(dirname "$0")/.."
cache=${FMC_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flatcarmicrocloud-tools}
bin="$cache/actionlint-$ACTIONLINT_VERSION/actionlint"
if [ "${1:-}" = --which ]; then
  echo "$bin"
  exit 0
fi

if [ ! -x "$bin" ]; then
  # The image's Go (/usr/local/go) when go is not on PATH, as scripts/lab/toolchain.js finds it.
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  [ -x "$go" ] || { echo "actionlint.sh: Go is needed to build actionlint $ACTIONLINT_VERSION (go on PATH, /usr/local/go or GO=...)" >&2; exit 1; }
  echo "actionlint.sh: building github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  GOBIN=$(dirname "$bin") "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
exec "$bin" "$@"
