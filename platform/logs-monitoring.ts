/**
 * The `logs` opt-in in Prometheus and Grafana: ServiceMonitors for Fluent Bit (either stack) and
 * Loki, created by the platform after kube-prometheus-stack like Traefik's (the charts' own would
 * need the monitoring CRDs at install time), and, with Loki, Grafana's Loki datasource as a
 * ConfigMap that kube-prometheus-stack's Grafana datasource sidecar loads (label
 * `grafana_datasource`, Grafana's own namespace): enabling or disabling Loki never touches the
 * monitoring release's values. Elasticsearch and Kibana expose no Prometheus metrics (ECK's stack
 * monitoring ships them to an Elasticsearch, not Prometheus); what Prometheus sees of ELK is the pods'
 * cAdvisor and kube-state-metrics series. Fluent Bit's chart ships its Grafana dashboard
 * (values/fluent-bit.ts `dashboards`).
 */
import type { LogsSettings } from "../config/opt-ins/logs";
import { chartSelector, serviceMonitor, ServiceMonitorDoc } from "./monitors";
import { NAMESPACES } from "./namespaces";
import { FLUENT_BIT_RELEASE } from "./values/fluent-bit";
import { LOKI_HTTP_PORT, LOKI_METRICS_LABEL, LOKI_SERVICE } from "./values/loki";

/** Fluent Bit's Service (the chart's selector labels; port `http`), its Prometheus-format endpoint. */
export function fluentBitServiceMonitor(): ServiceMonitorDoc {
  return serviceMonitor({
    name: FLUENT_BIT_RELEASE,
    namespace: NAMESPACES.logging.name,
    matchLabels: chartSelector("fluent-bit", FLUENT_BIT_RELEASE),
    port: "http",
    path: "/api/v2/metrics/prometheus",
    jobLabel: "app.kubernetes.io/name",
  });
}

export function lokiServiceMonitor(): ServiceMonitorDoc {
  return serviceMonitor({ name: "loki", namespace: NAMESPACES.logging.name, matchLabels: { ...LOKI_METRICS_LABEL }, port: "http-metrics" });
}

export function logsServiceMonitors(logs: LogsSettings | undefined): ServiceMonitorDoc[] {
  if (!logs) return [];
  return [fluentBitServiceMonitor(), ...(logs.stack === "loki" ? [lokiServiceMonitor()] : [])];
}

export const GRAFANA_DATASOURCE_LABEL = { grafana_datasource: "1" } as const;
export const LOKI_DATASOURCE = { name: "fmc-loki-datasource", key: "loki.yaml", uid: "loki" } as const;

export interface DatasourceDoc {
  name: string;
  namespace: string;
  key: string;
  yaml: string;
}

/** Grafana's provisioning file for Loki (Grafana's datasource provisioning format, apiVersion 1). */
export function lokiDatasource(): DatasourceDoc {
  const url = `http://${LOKI_SERVICE}.${NAMESPACES.logging.name}.svc:${LOKI_HTTP_PORT}`;
  const yaml = [
    "apiVersion: 1",
    "datasources:",
    "  - name: Loki",
    `    uid: ${LOKI_DATASOURCE.uid}`,
    "    type: loki",
    "    access: proxy",
    `    url: ${url}`,
    "    isDefault: false",
    "    editable: false",
    "",
  ].join("\n");
  return { name: LOKI_DATASOURCE.name, namespace: NAMESPACES.monitoring.name, key: LOKI_DATASOURCE.key, yaml };
}
