#!/bin/sh
# Step `build` of the builds Task (platform/builds/pipeline.ts): builds every image of $IMAGES (one
# `<name> <Dockerfile> <context>` per line, paths relative to $APP_DIR) with rootless BuildKit
# (buildctl-daemonless.sh starts a buildkitd for each build) and pushes it as $REGISTRY/<name>:$TAG,
# with the push credentials in $DOCKER_CONFIG/config.json. The same images as
# reference-app/build-push.sh. POSIX sh: BuildKit's rootless image (Alpine) has no bash.
set -eu
: "${APP_DIR:?APP_DIR is not set}" "${REGISTRY:?REGISTRY is not set}" "${TAG:?TAG is not set}" "${IMAGES:?IMAGES is not set}"
if [ "$TAG" = "latest" ]; then
  echo "the image tag must be a pinned version, not latest" >&2
  exit 2
fi
registry="${REGISTRY%/}"
built=""
while read -r name dockerfile context; do
  [ -n "$name" ] || continue
  if [ ! -f "$APP_DIR/$dockerfile" ] || [ ! -d "$APP_DIR/$context" ]; then
    echo "$APP_DIR/$dockerfile or $APP_DIR/$context is missing: is builds.path the reference app's folder at this revision?" >&2
    exit 1
  fi
  ref="$registry/$name:$TAG"
  echo "building and pushing $ref"
  buildctl-daemonless.sh build \
    --frontend dockerfile.v0 \
    --local "context=$APP_DIR/$context" \
    --local "dockerfile=$APP_DIR/$(dirname "$dockerfile")" \
    --opt "filename=$(basename "$dockerfile")" \
    --output "type=image,name=$ref,push=true"
  built="$built $ref"
done <<IMAGES
$IMAGES
IMAGES
if [ -z "$built" ]; then
  echo "IMAGES names no image" >&2
  exit 1
fi
echo "pushed:$built"
