#!/usr/bin/env bash
# The reference app's own tests: Python (pytest, against PostgreSQL, Redis and Mosquitto servers the
# tests start themselves) and the frontend (npm: Vite build, vitest, headless Chromium). Needs the
# Debian packages python3-venv, postgresql, redis-server, mosquitto, nginx-light and chromium
# (.ci/run installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# A virtualenv under the ignored reference-app/.venv, rebuilt when the pinned requirements change.
venv="${REFAPP_VENV:-$here/.venv}"
stamp="$venv/.requirements.sha256"
wanted="$(cat "$here/python/requirements.txt" "$here/python/requirements-test.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$here/python/requirements-test.txt"
  echo "$wanted" > "$stamp"
fi

# The frontend: pinned dependencies from its lock file, unit tests, then the build the browser test serves.
(
  cd "$here/frontend"
  npm ci --no-audit --no-fund
  npm test
  npm run build
)

cd "$here/python"
# Bounded: a hung server or stream fails the run instead of eating CI's time.
timeout 900 "$venv/bin/python" -m pytest -q -p no:cacheprovider
