#!/usr/bin/env bash
# Builds the reference app's three images and pushes them to the registry the user sets:
#   APPS_REGISTRY=registry.example.com/fmc reference-app/build-push.sh [--no-push]
# Tags are pinned: reference-app/VERSION (override with REFAPP_TAG); `latest` is refused, as the
# apps stage refuses it. CONTAINER_TOOL picks docker (default) or podman. Log in to the registry first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

push=true
for arg in "$@"; do
  case "$arg" in
    --no-push) push=false ;;
    *) echo "usage: APPS_REGISTRY=<registry/path> $0 [--no-push]" >&2; exit 2 ;;
  esac
done

registry="${APPS_REGISTRY:-}"
registry="${registry%/}"
if [ -z "$registry" ]; then
  echo "APPS_REGISTRY is not set: the registry (and path) to push to, e.g. registry.example.com/fmc" >&2
  exit 2
fi
tag="${REFAPP_TAG:-$(tr -d '[:space:]' < "$here/VERSION")}"
if [ -z "$tag" ] || [ "$tag" = "latest" ]; then
  echo "the image tag must be a pinned version, not '${tag:-<empty>}' (reference-app/VERSION or REFAPP_TAG)" >&2
  exit 2
fi
tool="${CONTAINER_TOOL:-docker}"
command -v "$tool" >/dev/null || { echo "$tool not found (set CONTAINER_TOOL=podman to use podman)" >&2; exit 2; }

# name, Dockerfile, build context
images=(
  "reference-api $here/api/Dockerfile $here/python"
  "reference-worker $here/worker/Dockerfile $here/python"
  "reference-frontend $here/frontend/Dockerfile $here/frontend"
)
for entry in "${images[@]}"; do
  read -r name dockerfile context <<< "$entry"
  ref="$registry/$name:$tag"
  echo "building $ref"
  "$tool" build --pull -f "$dockerfile" -t "$ref" "$context"
  if $push; then
    "$tool" push "$ref"
  fi
done
echo "images ($tag) for the stack config's apps list:"
for entry in "${images[@]}"; do
  read -r name _ <<< "$entry"
  echo "  $registry/$name:$tag"
done
