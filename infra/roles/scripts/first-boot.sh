#!/bin/bash
# fmc-first-boot: runs this VM's first-boot steps, listed one per line in
# /etc/flatcarmicrocloud/first-boot-steps as "name command [argument...]", in order, each with its own
# log (/var/log/flatcarmicrocloud/first-boot-<name>.log). cloud-init's runcmd is one /bin/sh script
# without `set -e`, so a failing role script would go unnoticed there: this runner stops at the
# first failing step, records it in /var/lib/flatcarmicrocloud/first-boot.failed ("name log exit
# status") and exits non-zero; only when every step succeeded it writes first-boot.done. The
# after-boot steps over SSH (host settings, the roles' commands) read both and report a failed step
# with its log. Run by cloud-init once; after fixing a failed step, run it again by hand
# (`sudo fmc-first-boot`): the steps that finished are skipped.
set -euo pipefail

ROOT="${FMC_ROOT:-}"
steps="$ROOT/etc/flatcarmicrocloud/first-boot-steps"
state="$ROOT/var/lib/flatcarmicrocloud"
logs="$ROOT/var/log/flatcarmicrocloud"
mkdir -p "$state/first-boot-steps" "$logs"
chmod 0700 "$logs"
rm -f "$state/first-boot.failed"

while read -r name command; do
  case "$name" in '' | '#'*) continue ;; esac
  [ ! -e "$state/first-boot-steps/$name.done" ] || continue
  log="$logs/first-boot-$name.log"
  echo "fmc-first-boot: $name: $command"
  rc=0
  # The command's words: paths and plain arguments, written by stage 1 (infra/cloudinit.ts).
  # shellcheck disable=SC2086
  $command >>"$log" 2>&1 </dev/null || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '%s %s %s\n' "$name" "${log#"$ROOT"}" "$rc" >"$state/first-boot.failed"
    echo "fmc-first-boot: step $name failed (exit $rc); the last lines of ${log#"$ROOT"}:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  touch "$state/first-boot-steps/$name.done"
done <"$steps"
install -m 0644 /dev/null "$state/first-boot.done"
echo "fmc-first-boot: every step finished"
