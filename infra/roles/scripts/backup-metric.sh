#!/bin/bash
# fmc-backup-metric KIND: records how a backup run of KIND ended, for Prometheus. Each backup
# service runs it as its ExecStopPost= (systemd sets SERVICE_RESULT, "success" when the job
# succeeded); node_exporter's textfile collector serves the file. The last success and the last
# failure are kept side by side: one run's result never erases the other's time.
set -euo pipefail
kind="${1:-}"
[[ "$kind" =~ ^[a-z]+$ ]] || { echo "usage: fmc-backup-metric KIND (lower-case letters)" >&2; exit 2; }
dir="${FMC_METRICS_DIR:-/var/lib/flatcarmicrocloud/metrics}"
file="$dir/fmc_backup_$kind.prom"
now=$(date +%s)

previous() {
  if [ -f "$file" ]; then sed -n "s/^$1{kind=\"$kind\"} \([0-9]*\)\$/\1/p" "$file"; fi
}
success=$(previous fmc_backup_last_success_timestamp_seconds)
failure=$(previous fmc_backup_last_failure_timestamp_seconds)
if [ "${SERVICE_RESULT:-}" = success ]; then success=$now; else failure=$now; fi

# Written aside and renamed: the collector never reads half a file (it skips names without .prom).
tmp=$(mktemp "$dir/.fmc_backup_$kind.XXXXXX")
{
  if [ -n "$success" ]; then
    echo "# HELP fmc_backup_last_success_timestamp_seconds Unix time of the last successful backup of this kind."
    echo "# TYPE fmc_backup_last_success_timestamp_seconds gauge"
    echo "fmc_backup_last_success_timestamp_seconds{kind=\"$kind\"} $success"
  fi
  if [ -n "$failure" ]; then
    echo "# HELP fmc_backup_last_failure_timestamp_seconds Unix time of the last failed backup of this kind."
    echo "# TYPE fmc_backup_last_failure_timestamp_seconds gauge"
    echo "fmc_backup_last_failure_timestamp_seconds{kind=\"$kind\"} $failure"
  fi
} >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$file"
echo "fmc-backup-metric: $kind ${SERVICE_RESULT:-failed} at $now" >&2
