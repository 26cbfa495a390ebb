/**
 * Backups that fail or fall behind reach a person (issue 18 item 6), from the one metric every kind
 * exposes (`fmc_backup_last_success_timestamp_seconds{kind}`, config/backup-freshness.ts):
 * - a PrometheusRule per watched kind: late (the last success older than the kind's limit),
 *   missing (no success recorded for as long), and failed (a failure newer than the last success,
 *   for the kinds that also record failures); plus an unreachable VM exporter. Alertmanager sends
 *   them to the configured receivers like every other alert (platform/alertmanager.ts).
 * - a ScrapeConfig for the Rocky VMs' node_exporter (static targets: they are no Kubernetes
 *   objects), picked up by Prometheus because every ScrapeConfig is (monitoring values).
 * - a Grafana dashboard "last successful backup per kind", as a ConfigMap with the label the chart's
 *   dashboard sidecar watches (kube-prometheus-stack 88.5.3 values: `grafana_dashboard: "1"`, every
 *   namespace) on the chart's default Prometheus datasource (uid `prometheus`).
 * None of it runs a pod: the capacity check has nothing to add.
 */
import { BACKUP_FAILURE_METRIC, BACKUP_SUCCESS_METRIC, BackupMonitoring, WatchedBackupKind } from "../config/backup-freshness";
import { grafanaDashboard, GRAFANA_PROMETHEUS_UID } from "./dashboards";
import { NAMESPACES } from "./namespaces";
import { AlertRule, PrometheusRuleDoc } from "./monitors";

/** Prometheus's job name for the Rocky VMs' exporters (the `job` label of their series). */
export const BACKUP_VM_JOB = "fmc-backup-vms";
export const BACKUP_ALERTS = {
  late: "BackupLate",
  missing: "BackupMissing",
  failed: "BackupFailed",
  unreachable: "BackupMetricsUnreachable",
} as const;
/** The chart's dashboard sidecar label (values.yaml `grafana.sidecar.dashboards.label`/`labelValue`). */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
export const BACKUP_DASHBOARD = { name: "fmc-backups-dashboard", key: "fmc-backups.json", uid: "fmc-backups" } as const;
/** The Prometheus pods (labels the operator gives them): the only ones that reach the VMs. */
export const PROMETHEUS_POD_LABELS = { "app.kubernetes.io/name": "prometheus" } as const;

/** Hours as a Prometheus duration (`26h`, `7h30m`). */
export function promDuration(hours: number): string {
  const minutes = Math.round(hours * 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h > 0 ? `${h}h` : ""}${m > 0 || h === 0 ? `${m}m` : ""}`;
}

type Rule = AlertRule;

function kindRules(k: WatchedBackupKind): Rule[] {
  const seconds = Math.round(k.lateAfterHours * 3600);
  const limit = promDuration(k.lateAfterHours);
  const sel = `${BACKUP_SUCCESS_METRIC}{kind="${k.kind}"}`;
  const runbook = "docs/backups.md, Alerts";
  return [
    {
      alert: BACKUP_ALERTS.late,
      expr: `time() - max by (kind) (${sel}) > ${seconds}`,
      labels: { severity: "warning", kind: k.kind },
      annotations: {
        summary: `The last successful ${k.kind} backup is older than ${limit}`,
        description: `No successful ${k.kind} backup for {{ $value | humanizeDuration }} (schedule: ${k.schedules.join(" and ")}; limit ${limit}). See ${runbook}.`,
      },
    },
    {
      alert: BACKUP_ALERTS.missing,
      expr: `absent(${sel})`,
      for: limit,
      labels: { severity: "warning", kind: k.kind },
      annotations: {
        summary: `No successful ${k.kind} backup recorded for ${limit}`,
        description: `Prometheus has had no ${BACKUP_SUCCESS_METRIC} for kind ${k.kind} for ${limit}: no backup succeeded since backups were turned on, or the metric does not reach Prometheus. See ${runbook}.`,
      },
    },
  ];
}

/** The backup alerts, or undefined when no kind is watched. */
export function backupAlertRule(monitoring: BackupMonitoring): PrometheusRuleDoc<AlertRule> | undefined {
  if (monitoring.kinds.length === 0) return undefined;
  const kinds = monitoring.kinds.map((k) => k.kind).join("|");
  const failures = `max by (kind) (${BACKUP_FAILURE_METRIC}{kind=~"${kinds}"})`;
  const successes = `max by (kind) (${BACKUP_SUCCESS_METRIC}{kind=~"${kinds}"})`;
  const rules: Rule[] = [
    ...monitoring.kinds.flatMap(kindRules),
    {
      alert: BACKUP_ALERTS.failed,
      // A failure newer than the last success (or with no success at all): the next good run clears it.
      expr: `${failures} > (${successes} or ${failures} * 0)`,
      labels: { severity: "warning" },
      annotations: {
        summary: "The last {{ $labels.kind }} backup failed",
        description: "The last {{ $labels.kind }} backup run failed after the last successful one. See docs/backups.md, Alerts.",
      },
    },
  ];
  if (monitoring.vmTargets.length > 0) {
    rules.push({
      alert: BACKUP_ALERTS.unreachable,
      expr: `up{job="${BACKUP_VM_JOB}"} == 0`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Prometheus cannot read the backup metrics of {{ $labels.vm }}",
        description: "The node_exporter of {{ $labels.vm }} ({{ $labels.instance }}) has not answered for 15 minutes: the VM is down, or fmc-node-exporter.service or its firewall rule is. See docs/backups.md, Alerts.",
      },
    });
  }
  return { name: "fmc-backups", namespace: NAMESPACES.monitoring.name, spec: { groups: [{ name: "fmc-backups", rules }] } };
}

export interface ScrapeConfigDoc {
  name: string;
  namespace: string;
  spec: {
    jobName: string;
    scrapeInterval: string;
    staticConfigs: { targets: string[]; labels: Record<string, string> }[];
  };
}

/** The Rocky VMs' exporters as static targets, each labelled with its VM's name; undefined without any. */
export function backupScrapeConfig(monitoring: BackupMonitoring): ScrapeConfigDoc | undefined {
  if (monitoring.vmTargets.length === 0) return undefined;
  return {
    name: BACKUP_VM_JOB,
    namespace: NAMESPACES.monitoring.name,
    spec: {
      jobName: BACKUP_VM_JOB,
      scrapeInterval: "60s",
      staticConfigs: monitoring.vmTargets.map((t) => ({ targets: [`${t.address}:${t.port}`], labels: { vm: t.vm } })),
    },
  };
}

/** Grafana's dashboard JSON: the last successful backup per kind, and each kind's age against its limit. */
export function backupDashboard(monitoring: BackupMonitoring): Record<string, unknown> {
  const datasource = { type: "prometheus", uid: GRAFANA_PROMETHEUS_UID };
  const last = `max by (kind) (${BACKUP_SUCCESS_METRIC})`;
  return grafanaDashboard({
    uid: BACKUP_DASHBOARD.uid,
    title: "FlatcarMicroCloud backups",
    tags: ["backups"],
    refresh: "5m",
    from: "now-7d",
    panels: [
      {
        id: 1,
        type: "stat",
        title: "Last successful backup per kind",
        description: `${BACKUP_SUCCESS_METRIC}: when each kind's last backup succeeded (docs/backups.md).`,
        datasource,
        gridPos: { x: 0, y: 0, w: 24, h: 6 },
        targets: [{ refId: "A", datasource, expr: last, instant: true, legendFormat: "{{kind}}" }],
        fieldConfig: { defaults: { unit: "dateTimeFromNow", noValue: "never" }, overrides: [] },
        options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, textMode: "value_and_name", colorMode: "none", graphMode: "none" },
      },
      {
        id: 2,
        type: "timeseries",
        title: "Hours since the last successful backup (dashed: when the kind is late)",
        datasource,
        gridPos: { x: 0, y: 6, w: 24, h: 9 },
        targets: [
          { refId: "A", datasource, expr: `(time() - ${last}) / 3600`, legendFormat: "{{kind}}" },
          ...monitoring.kinds.map((k, i) => ({ refId: String.fromCharCode(66 + i), datasource, expr: `vector(${k.lateAfterHours})`, legendFormat: `${k.kind} late after` })),
        ],
        fieldConfig: {
          defaults: { unit: "h", min: 0 },
          overrides: [{ matcher: { id: "byRegexp", options: ".* late after" }, properties: [{ id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } }] }],
        },
      },
    ],
  });
}
