/**
 * Everything the platform sends to the cluster, rendered as plain data from the plan: the values of
 * each chart, the Kafka custom resources, NetworkPolicies, ServiceMonitors, and the workloads those
 * produce (for the capacity check). The Platform component only wires these into resources.
 */
import { backupAlertRule, backupDashboard, backupScrapeConfig, BACKUP_DASHBOARD, ScrapeConfigDoc } from "./backup-alerts";
import { Workload } from "./capacity";
import { renderNetworkPolicies, NetworkPolicyDoc } from "./network-policies";
import { backupFreshnessRule } from "./backup-metrics";
import { cephHealthRule, cephServiceMonitors, PodMonitorDoc, PrometheusRuleDoc, redisServiceMonitor, ServiceMonitorDoc, traefikServiceMonitor } from "./monitors";
import { PlatformPlan } from "./plan";
import { acmeSolverPolicy, CertificateDoc, certificateFor, ISSUER_NAMES, usesHttp01 } from "./certificates";
import { NAMESPACES } from "./namespaces";
import { CertManagerValues, certManagerValues, certManagerWorkloads } from "./values/cert-manager";
import { grafanaHost } from "./values/monitoring";
import { KuredValues, kuredValues, kuredWorkloads } from "./values/kured";
import { cephDashboardHost } from "./values/rook";
import { traefikHost } from "./values/traefik";
import { SIZING } from "./sizing";
import { KafkaNodePoolSpec, kafkaNodePoolSpec, KafkaSpec, kafkaSpec, kafkaWorkloads, StrimziValues, strimziValues, strimziWorkloads } from "./values/kafka";
import { MonitoringValues, monitoringValues, monitoringWorkloads } from "./values/monitoring";
import { MosquittoValues, mosquittoValues, mosquittoWorkloads } from "./values/mosquitto";
import { RedisValues, redisValues, redisWorkloads } from "./values/redis";
import {
  CephCsiDriversValues,
  cephCsiDriversValues,
  cephCsiDriversWorkloads,
  RookClusterValues,
  rookClusterValues,
  rookClusterWorkloads,
  RookOperatorValues,
  rookOperatorValues,
  rookOperatorWorkloads,
} from "./values/rook";
import { TraefikValues, traefikValues, traefikWorkloads } from "./values/traefik";
import {
  SnapshotControllerValues,
  snapshotControllerValues,
  snapshotControllerWorkloads,
  VeleroValues,
  veleroValues,
  veleroWorkloads,
} from "./values/velero";
import { VolumeSnapshotClassDoc, volumeSnapshotClasses } from "./snapshot-classes";
import { veleroServiceMonitor, volumesFreshnessRule } from "./volume-backup-monitoring";
import { TektonOperatorValues, tektonOperatorValues, tektonConfigSpec, tektonWorkloads } from "./values/tekton";
import { buildWorkloads, renderBuildPipeline, renderBuildTask, TektonDoc } from "./builds/pipeline";
import { RouteCa, routeCa } from "./builds/registry";
import type { BuildsSettings } from "../config/opt-ins/builds";
import type { TlsFacts } from "./facts";
import { BUILDS_DASHBOARD, buildsDashboard, tektonServiceMonitor } from "./builds/monitoring";
import { REGISTRY_DASHBOARD, registryDashboard, registryServiceMonitor } from "./registry-monitoring";
import { registryHost, ZotValues, zotValues, zotWorkloads } from "./values/zot";
import { EckOperatorValues, eckOperatorValues, EckStackValues, eckStackValues, elkWorkloads, kibanaRoute } from "./values/logs-elk";
import { FluentBitValues, fluentBitValues, fluentBitWorkloads } from "./values/fluent-bit";
import { LokiValues, lokiValues, lokiWorkloads } from "./values/loki";
import { RetentionJobSpec, retentionJob, retentionJobWorkload } from "./logs-retention";
import { DatasourceDoc, logsServiceMonitors, lokiDatasource } from "./logs-monitoring";
import { ArgoCdValues, argocdHost, argocdValues, argocdWorkloads } from "./values/argocd";
import { argocdServiceMonitors, GITOPS_DASHBOARD, gitopsDashboard } from "./gitops-monitoring";
import { VpaValues, vpaValues, vpaWorkloads } from "./values/vpa";
import { vpaPodMonitor } from "./vpa-monitoring";
import { platformVpas, VpaDoc } from "./vpa-objects";

export interface ChartValues {
  traefik: TraefikValues;
  rookCeph: RookOperatorValues;
  cephCsiDrivers: CephCsiDriversValues;
  rookCephCluster: RookClusterValues;
  strimzi: StrimziValues;
  redisHa: RedisValues;
  mosquitto: MosquittoValues;
  kubePrometheusStack: MonitoringValues;
  certManager: CertManagerValues;
  kured: KuredValues;
  /** Only with volume backups (plan.volumeBackups); no release without them. */
  velero?: VeleroValues;
  snapshotController?: SnapshotControllerValues;
  /** Only with the opt-in `builds`. */
  tektonOperator?: TektonOperatorValues;
  /** Only with the registry opt-in (settings.registry). */
  zot?: ZotValues;
  /** Only with the `logs` opt-in: the collector always, the operator and its resources or Loki per `logs.stack`. */
  eckOperator?: EckOperatorValues;
  eckStack?: EckStackValues;
  fluentBit?: FluentBitValues;
  loki?: LokiValues;
  /** Only with the `gitops` opt-in. */
  argoCd?: ArgoCdValues;
  /** Only with the `vpa` opt-in. */
  vpa?: VpaValues;
}

export interface RenderedPlatform {
  values: ChartValues;
  kafka: KafkaSpec;
  kafkaNodePool: KafkaNodePoolSpec;
  networkPolicies: NetworkPolicyDoc[];
  serviceMonitors: ServiceMonitorDoc[];
  /** PodMonitors, for pods whose chart gives their metrics port no Service (the VPA recommender). */
  podMonitors: PodMonitorDoc[];
  /** The `vpa` opt-in's VerticalPodAutoscalers for the platform's own controllers (./vpa-objects.ts). */
  vpas: VpaDoc[];
  /** Alert rules the platform adds to Prometheus (Ceph's health, which kured's reboot gate reads; the backups'). */
  prometheusRules: PrometheusRuleDoc[];
  /** Targets outside the cluster Prometheus scrapes (the Rocky VMs' exporters). */
  scrapeConfigs: ScrapeConfigDoc[];
  /** Grafana dashboards as the chart's sidecar reads them: ConfigMap name, data key, JSON. */
  dashboards: { name: string; namespace: string; key: string; json: string }[];
  /** The platform hosts' Certificates (Grafana, Traefik dashboard, Ceph dashboard); empty without TLS. */
  certificates: CertificateDoc[];
  /** With volume backups: Rook's VolumeSnapshotClasses. */
  volumeSnapshotClasses: VolumeSnapshotClassDoc[];
  /**
   * With the opt-in `builds`: the TektonConfig's spec, and the build Task and Pipeline; `registryCa`
   * when they push to the in-cluster registry through a route whose CA the builder must be given.
   */
  builds?: RenderedBuilds;
  /** With `logs.stack: elk`: the Job that puts the retention (ILM policy, index template) into Elasticsearch. */
  logsRetentionJob?: RetentionJobSpec;
  /** Grafana datasources beside kube-prometheus-stack's Prometheus: Loki's with `logs.stack: loki`. */
  datasources: DatasourceDoc[];
  workloads: Workload[];
}

const optional = <T>(x: T | undefined): T[] => (x === undefined ? [] : [x]);

/** K3s's own add-ons share the workers with the platform, so the capacity check counts them. */
function k3sAddonWorkloads(): Workload[] {
  const a = SIZING.k3sAddons;
  return [
    { release: "k3s", name: "coredns", kind: "Deployment", replicas: 1, containers: [{ name: "coredns", resources: a.coredns }] },
    { release: "k3s", name: "metrics-server", kind: "Deployment", replicas: 1, containers: [{ name: "metrics-server", resources: a.metricsServer }] },
  ];
}

/** Each platform route's host, with a Certificate in the namespace of the route that uses it. */
export function platformCertificates(plan: PlatformPlan, issuer: string): CertificateDoc[] {
  return [
    certificateFor(grafanaHost(plan), NAMESPACES.monitoring.name, issuer),
    certificateFor(traefikHost(plan), NAMESPACES.traefik.name, issuer),
    certificateFor(cephDashboardHost(plan), NAMESPACES.rookCeph.name, issuer),
    ...(plan.settings.registry ? [certificateFor(registryHost(plan.domain), NAMESPACES.registry.name, issuer)] : []),
    // Kibana's route, only with the ELK logs stack.
    ...(plan.settings.logs?.stack === "elk" ? [certificateFor(kibanaRoute(plan).host, NAMESPACES.logging.name, issuer)] : []),
    ...(plan.settings.gitops ? [certificateFor(argocdHost(plan), NAMESPACES.argocd.name, issuer)] : []),
  ];
}

export function renderPlatform(plan: PlatformPlan): RenderedPlatform {
  const logs = plan.settings.logs;
  const values: ChartValues = {
    traefik: traefikValues(plan),
    rookCeph: rookOperatorValues(),
    cephCsiDrivers: cephCsiDriversValues(plan),
    rookCephCluster: rookClusterValues(plan),
    strimzi: strimziValues(),
    redisHa: redisValues(plan),
    mosquitto: mosquittoValues(plan.ingress.serviceType),
    kubePrometheusStack: monitoringValues(plan),
    // Host aliases for FreeIPA's HTTP-01 path only: on an existing cluster the user's DNS answers.
    certManager: certManagerValues(
      plan.tls?.issuer === "freeipa" ? { freeipa: plan.tls.freeipa, ingress: { hosts: plan.tls.hosts, address: plan.tls.ingressAddress } } : undefined,
    ),
    kured: kuredValues(plan.settings.reboots),
    velero: plan.volumeBackups && veleroValues(plan.volumeBackups),
    snapshotController: plan.volumeBackups && snapshotControllerValues(),
    tektonOperator: plan.settings.builds && tektonOperatorValues(),
    zot: plan.settings.registry && zotValues(plan, plan.settings.registry),
    eckOperator: logs?.stack === "elk" ? eckOperatorValues() : undefined,
    eckStack: logs?.stack === "elk" ? eckStackValues(logs, kibanaRoute(plan)) : undefined,
    fluentBit: logs && fluentBitValues(logs),
    loki: logs?.stack === "loki" ? lokiValues(logs) : undefined,
    argoCd: plan.settings.gitops && argocdValues(plan, plan.settings.gitops.sshKnownHosts),
    vpa: plan.settings.vpa && vpaValues(),
  };
  const logsRetentionJob = logs?.stack === "elk" ? retentionJob(logs) : undefined;
  const kafka = kafkaSpec(plan);
  const kafkaNodePool = kafkaNodePoolSpec(plan);
  const workloads = [
    ...traefikWorkloads(values.traefik),
    ...rookOperatorWorkloads(values.rookCeph),
    ...cephCsiDriversWorkloads(values.cephCsiDrivers),
    ...rookClusterWorkloads(values.rookCephCluster, plan),
    ...strimziWorkloads(values.strimzi),
    ...kafkaWorkloads(kafka, kafkaNodePool),
    ...redisWorkloads(values.redisHa),
    ...mosquittoWorkloads(values.mosquitto),
    ...monitoringWorkloads(values.kubePrometheusStack),
    ...(plan.tls ? certManagerWorkloads(values.certManager) : []),
    ...(plan.kured ? kuredWorkloads(values.kured) : []),
    ...(values.velero ? veleroWorkloads(values.velero) : []),
    ...(values.snapshotController ? snapshotControllerWorkloads(values.snapshotController) : []),
    ...(values.tektonOperator ? [...tektonWorkloads(values.tektonOperator), ...buildWorkloads()] : []),
    ...(values.zot ? zotWorkloads(values.zot) : []),
    ...(values.eckOperator && values.eckStack ? elkWorkloads(values.eckOperator, values.eckStack) : []),
    ...(logsRetentionJob ? [retentionJobWorkload(logsRetentionJob)] : []),
    ...(values.fluentBit ? fluentBitWorkloads(values.fluentBit) : []),
    ...(values.loki ? lokiWorkloads(values.loki) : []),
    ...(values.argoCd ? argocdWorkloads(values.argoCd) : []),
    ...(values.vpa ? vpaWorkloads(values.vpa) : []),
    ...k3sAddonWorkloads(),
  ];
  const certificates = plan.tls ? platformCertificates(plan, ISSUER_NAMES[plan.tls.issuer]) : [];
  return {
    values,
    kafka,
    kafkaNodePool,
    networkPolicies: [
      ...renderNetworkPolicies(plan),
      // Where a Certificate lives, an ACME issuer's HTTP-01 solver pod runs, and Traefik must reach it.
      ...(plan.tls && usesHttp01(plan.tls.issuer) ? [...new Set(certificates.map((c) => c.namespace))].map((ns) => acmeSolverPolicy(ns, NAMESPACES.traefik.name)) : []),
    ],
    podMonitors: plan.settings.vpa ? [vpaPodMonitor()] : [],
    vpas: platformVpas(plan),
    serviceMonitors: [
      ...cephServiceMonitors(),
      traefikServiceMonitor(),
      redisServiceMonitor(),
      ...(plan.volumeBackups ? [veleroServiceMonitor()] : []),
      ...(plan.settings.builds ? [tektonServiceMonitor()] : []),
      ...(plan.settings.registry ? [registryServiceMonitor()] : []),
      ...logsServiceMonitors(logs),
      ...(plan.settings.gitops ? argocdServiceMonitors() : []),
    ],
    prometheusRules: [cephHealthRule(), backupFreshnessRule(plan.volumeBackups ? [volumesFreshnessRule()] : []), ...optional(backupAlertRule(plan.backups))],
    scrapeConfigs: optional(backupScrapeConfig(plan.backups)),
    dashboards: [
      ...(plan.backups.kinds.length > 0
        ? [{ name: BACKUP_DASHBOARD.name, namespace: NAMESPACES.monitoring.name, key: BACKUP_DASHBOARD.key, json: JSON.stringify(backupDashboard(plan.backups), null, 2) }]
        : []),
      ...(plan.settings.builds
        ? [{ name: BUILDS_DASHBOARD.name, namespace: NAMESPACES.monitoring.name, key: BUILDS_DASHBOARD.key, json: JSON.stringify(buildsDashboard(), null, 2) }]
        : []),
      ...(plan.settings.registry
        ? [{ name: REGISTRY_DASHBOARD.name, namespace: NAMESPACES.monitoring.name, key: REGISTRY_DASHBOARD.key, json: JSON.stringify(registryDashboard(), null, 2) }]
        : []),
      ...(plan.settings.gitops ? [{ name: GITOPS_DASHBOARD.name, namespace: NAMESPACES.monitoring.name, key: GITOPS_DASHBOARD.key, json: JSON.stringify(gitopsDashboard(), null, 2) }] : []),
    ],
    certificates,
    volumeSnapshotClasses: plan.volumeBackups ? volumeSnapshotClasses(plan) : [],
    builds: plan.settings.builds && renderBuilds(plan.settings.builds, plan.tls),
    logsRetentionJob,
    datasources: logs?.stack === "loki" ? [lokiDatasource()] : [],
    workloads,
  };
}

export interface RenderedBuilds {
  tektonConfig: Record<string, unknown>;
  task: TektonDoc;
  pipeline: TektonDoc;
  /** The in-cluster registry's route CA the builder trusts (buildkitd.toml), unless the system roots do. */
  registryCa?: Exclude<RouteCa, { kind: "systemRoots" }>;
}

/** The builds' objects; pushing to the in-cluster registry, its route's CA (./builds/registry.ts). */
function renderBuilds(builds: BuildsSettings, tls: TlsFacts | undefined): RenderedBuilds {
  const ca = builds.inClusterRegistry ? routeCa(tls) : undefined;
  if (builds.inClusterRegistry && !ca) throw new Error("builds: appsRegistry is the in-cluster registry, whose route has no certificate without an issuer (cluster/target.ts clusterFacts refuses this stack)");
  const registryCa = ca && ca.kind !== "systemRoots" ? ca : undefined;
  return { tektonConfig: tektonConfigSpec(builds), task: renderBuildTask({ registryCa: !!registryCa }), pipeline: renderBuildPipeline(builds), ...(registryCa ? { registryCa } : {}) };
}
