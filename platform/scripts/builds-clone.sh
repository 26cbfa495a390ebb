#!/bin/sh
# Step `clone` of the builds Task (platform/builds/pipeline.ts): a shallow checkout of $GIT_URL at
# $GIT_REVISION (a branch, a tag, or a commit the server lets clients fetch by id) into $SOURCE.
# POSIX sh: BuildKit's rootless image (Alpine) has no bash.
set -eu
: "${GIT_URL:?GIT_URL is not set}" "${GIT_REVISION:?GIT_REVISION is not set}" "${SOURCE:?SOURCE is not set}"
git init -q "$SOURCE"
cd "$SOURCE"
git remote add origin "$GIT_URL"
git fetch -q --depth 1 origin "$GIT_REVISION"
git checkout -q --detach FETCH_HEAD
echo "cloned $GIT_URL at $(git rev-parse HEAD) ($GIT_REVISION)"
