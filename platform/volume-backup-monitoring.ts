/**
 * Velero's metrics in Prometheus, and the backup freshness contract of issue 18 for the volumes:
 * `fmc_backup_last_success_timestamp_seconds{kind="volumes"}` (./backup-metrics.ts holds the
 * contract's rule), recorded from Velero's own `velero_backup_last_successful_timestamp{schedule}`
 * (unix seconds of the completion of that Schedule's last successful backup; the server sets it, and
 * only once one succeeded). The oldest of the platform's Schedules is the figure: a volume is only as
 * fresh as the Schedule that covers it. The alert rules (late, failed) read the recorded series.
 */
import { BACKUP_FRESHNESS_METRIC } from "./backup-metrics";
import { chartSelector, RecordingRule, serviceMonitor, ServiceMonitorDoc } from "./monitors";
import { NAMESPACES } from "./namespaces";
import { scheduleName, SCHEDULES, VELERO_RELEASE } from "./values/velero";

/** The Schedule names whose last success counts (the apps' one only exists when an app asks). */
export function freshnessExpr(): string {
  const names = Object.values(SCHEDULES).map(scheduleName).join("|");
  return `min(velero_backup_last_successful_timestamp{schedule=~"${names}"})`;
}

export function volumesFreshnessRule(): RecordingRule {
  return { record: BACKUP_FRESHNESS_METRIC, expr: freshnessExpr(), labels: { kind: "volumes" } };
}

/** The chart's metrics Service (templates/service.yaml: name/instance labels, port `http-monitoring`). */
export function veleroServiceMonitor(): ServiceMonitorDoc {
  return serviceMonitor({
    name: "velero",
    namespace: NAMESPACES.velero.name,
    matchLabels: chartSelector("velero", VELERO_RELEASE),
    port: "http-monitoring",
    jobLabel: "app.kubernetes.io/name",
  });
}
