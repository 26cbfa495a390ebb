/**
 * The envelope every dashboard of the program's shares: Grafana's sidecar loads each from a
 * ConfigMap; the panels are each dashboard's own (backups, registry, GitOps, builds).
 */

/** The chart's provisioned Prometheus datasource (`grafana.sidecar.datasources.uid`). */
export const GRAFANA_PROMETHEUS_UID = "prometheus";

export interface DashboardSpec {
  uid: string;
  title: string;
  /** Tags besides `flatcarmicrocloud`. */
  tags: string[];
  /** Grafana's auto-refresh interval, e.g. `1m`. */
  refresh: string;
  /** The default time range's start, e.g. `now-7d` (it ends now). */
  from: string;
  panels: unknown[];
}

/** A dashboard's JSON model: UTC, schema 39, tagged `flatcarmicrocloud`. */
export function grafanaDashboard(d: DashboardSpec): Record<string, unknown> {
  return {
    uid: d.uid,
    title: d.title,
    tags: ["flatcarmicrocloud", ...d.tags],
    timezone: "utc",
    schemaVersion: 39,
    refresh: d.refresh,
    time: { from: d.from, to: "now" },
    panels: d.panels,
  };
}
