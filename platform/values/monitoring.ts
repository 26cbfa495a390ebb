/**
 * kube-prometheus-stack for K3s: K3s runs the controller-manager, scheduler and kube-proxy inside
 * the k3s process bound to 127.0.0.1, so their monitors (and the rules about them) are off; etcd is
 * scraped on the servers' metrics port (`etcd-expose-metrics: true` in stage 2's config). Retention
 * time and size come from the stack config and stay below the Prometheus volume. Every ServiceMonitor
 * in the cluster is picked up, not only the stack's own. Grafana's admin comes from a Secret.
 */
import { INGRESS_HOSTS } from "../../ports";
import { ALERTMANAGER_CONFIG_SECRET } from "../alertmanager";
import { etcdSnapshotKsmValues } from "../backup-metrics";
import { Workload } from "../capacity";
import { tlsSecretName } from "../certificates";
import { PlatformPlan } from "../plan";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { STORAGE_CLASS, TRAEFIK_HTTPS_INGRESS_ANNOTATIONS } from "./rook";
import { INGRESS_CLASS } from "./traefik";

export const MONITORING_RELEASE = "kube-prometheus-stack";
/** Secret with Grafana's admin user and password, keys as the chart expects them. */
export const GRAFANA_SECRET = "grafana-admin";
export const GRAFANA_SECRET_KEYS = { user: "admin-user", password: "admin-password" } as const;
export const GRAFANA_ADMIN_USER = "admin";
export const ETCD_METRICS_PORT = 2381;

type Toleration = { operator: string; effect: string };

export interface MonitoringValues {
  defaultRules: { rules: { kubeControllerManager: boolean; kubeSchedulerAlerting: boolean; kubeSchedulerRecording: boolean; kubeProxy: boolean; windows: boolean } };
  windowsMonitoring: { enabled: boolean };
  kubeControllerManager: { enabled: boolean };
  kubeScheduler: { enabled: boolean };
  kubeProxy: { enabled: boolean };
  kubeEtcd: { enabled: boolean; endpoints: string[]; service: { enabled: boolean; port: number; targetPort: number } };
  alertmanager: { alertmanagerSpec: { resources: Resources; useExistingSecret: boolean; configSecret: string } };
  grafana: {
    admin: { existingSecret: string; userKey: string; passwordKey: string };
    ingress: {
      enabled: boolean;
      ingressClassName: string;
      hosts: string[];
      path: string;
      annotations: Record<string, string>;
      tls?: { secretName: string; hosts: string[] }[];
    };
    resources: Resources;
    sidecar: { resources: Resources };
  };
  prometheusOperator: {
    resources: Resources;
    admissionWebhooks: { patch: { resources: Resources } };
    prometheusConfigReloader: { resources: Resources };
  };
  prometheus: {
    prometheusSpec: {
      retention: string;
      retentionSize: string;
      resources: Resources;
      storageSpec: {
        volumeClaimTemplate: { spec: { storageClassName: string; accessModes: string[]; resources: { requests: { storage: string } } } };
      };
      serviceMonitorSelectorNilUsesHelmValues: boolean;
      podMonitorSelectorNilUsesHelmValues: boolean;
      ruleSelectorNilUsesHelmValues: boolean;
      probeSelectorNilUsesHelmValues: boolean;
      scrapeConfigSelectorNilUsesHelmValues: boolean;
    };
  };
  "kube-state-metrics": { resources: Resources } & ReturnType<typeof etcdSnapshotKsmValues>;
  "prometheus-node-exporter": { resources: Resources; tolerations: Toleration[] };
}

export function grafanaHost(plan: PlatformPlan): string {
  return `${INGRESS_HOSTS.grafana}.${plan.domain}`;
}

export function monitoringValues(plan: PlatformPlan): MonitoringValues {
  const p = plan.settings.prometheus;
  return {
    defaultRules: { rules: { kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, kubeProxy: false, windows: false } },
    windowsMonitoring: { enabled: false },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeProxy: { enabled: false },
    kubeEtcd: { enabled: true, endpoints: plan.apiServerAddresses, service: { enabled: true, port: ETCD_METRICS_PORT, targetPort: ETCD_METRICS_PORT } },
    // The receivers' config (with the SMTP password and webhook URL) is a Secret of the platform's
    // own (platform/alertmanager.ts), not the chart's: nothing secret goes through the values.
    alertmanager: { alertmanagerSpec: { resources: SIZING.alertmanager, useExistingSecret: true, configSecret: ALERTMANAGER_CONFIG_SECRET } },
    grafana: {
      admin: { existingSecret: GRAFANA_SECRET, userKey: GRAFANA_SECRET_KEYS.user, passwordKey: GRAFANA_SECRET_KEYS.password },
      ingress: {
        enabled: true,
        ingressClassName: INGRESS_CLASS,
        hosts: [grafanaHost(plan)],
        path: "/",
        annotations: { ...TRAEFIK_HTTPS_INGRESS_ANNOTATIONS },
        // The FreeIPA-signed certificate of its host, where the stack has FreeIPA (certificates.ts).
        ...(plan.tls ? { tls: [{ secretName: tlsSecretName(grafanaHost(plan)), hosts: [grafanaHost(plan)] }] } : {}),
      },
      resources: SIZING.grafana,
      sidecar: { resources: SIZING.grafanaSidecar },
    },
    prometheusOperator: {
      resources: SIZING.prometheusOperator,
      admissionWebhooks: { patch: { resources: SIZING.admissionPatch } },
      prometheusConfigReloader: { resources: SIZING.configReloader },
    },
    prometheus: {
      prometheusSpec: {
        retention: p.retention,
        retentionSize: p.retentionSize,
        resources: SIZING.prometheus,
        storageSpec: {
          volumeClaimTemplate: {
            spec: { storageClassName: STORAGE_CLASS, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${p.volumeGiB}Gi` } } },
          },
        },
        // Without these, Prometheus selects only the monitors and rules labelled with this release.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
      },
    },
    // K3s's etcd snapshot records as series: the backup freshness of kind etcd (../backup-metrics.ts).
    "kube-state-metrics": { resources: SIZING.kubeStateMetrics, ...etcdSnapshotKsmValues() },
    // Node metrics from every node, the tainted servers included.
    "prometheus-node-exporter": { resources: SIZING.nodeExporter, tolerations: [{ operator: "Exists", effect: "NoSchedule" }] },
  };
}

export function monitoringWorkloads(v: MonitoringValues): Workload[] {
  const release = MONITORING_RELEASE;
  const reloader = { name: "config-reloader", resources: v.prometheusOperator.prometheusConfigReloader.resources };
  return [
    { release, name: "prometheus", kind: "StatefulSet", replicas: 1, containers: [{ name: "prometheus", resources: v.prometheus.prometheusSpec.resources }, reloader] },
    { release, name: "alertmanager", kind: "StatefulSet", replicas: 1, containers: [{ name: "alertmanager", resources: v.alertmanager.alertmanagerSpec.resources }, reloader] },
    { release, name: "operator", kind: "Deployment", replicas: 1, containers: [{ name: "kube-prometheus-stack", resources: v.prometheusOperator.resources }] },
    { release, name: "admission-patch", kind: "Job", replicas: 1, containers: [{ name: "patch", resources: v.prometheusOperator.admissionWebhooks.patch.resources }] },
    { release, name: "kube-state-metrics", kind: "Deployment", replicas: 1, containers: [{ name: "kube-state-metrics", resources: v["kube-state-metrics"].resources }] },
    {
      release,
      name: "node-exporter",
      kind: "DaemonSet",
      replicas: 0,
      toleratesTaints: v["prometheus-node-exporter"].tolerations.some((t) => t.operator === "Exists" && t.effect === "NoSchedule"),
      containers: [{ name: "node-exporter", resources: v["prometheus-node-exporter"].resources }],
    },
    {
      release,
      name: "grafana",
      kind: "Deployment",
      replicas: 1,
      containers: [
        { name: "grafana", resources: v.grafana.resources },
        { name: "grafana-sc-dashboard", resources: v.grafana.sidecar.resources },
        { name: "grafana-sc-datasources", resources: v.grafana.sidecar.resources },
      ],
    },
  ];
}
