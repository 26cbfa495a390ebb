/**
 * The platform's Helm releases: release name, namespace and the timeout each needs, with why. Chart
 * coordinates and versions come from versions.ts (CHARTS) through ./chart-source.ts (which applies
 * the stack's chart mirror); the values from ./values/*.
 */
import { ChartKey } from "./chart-source";
import { NamespaceKey } from "./namespaces";

export type { ChartKey } from "./chart-source";

export interface ReleaseSpec {
  /** Helm release name (fixed, so Service names are predictable). */
  name: string;
  namespace: NamespaceKey;
  /** Seconds Helm waits for the release's workloads before an atomic rollback. */
  timeoutSeconds: number;
  timeoutReason: string;
}

export const RELEASES: Record<ChartKey, ReleaseSpec> = {
  traefik: { name: "traefik", namespace: "traefik", timeoutSeconds: 300, timeoutReason: "one Deployment" },
  rookCeph: {
    name: "rook-ceph",
    namespace: "rookCeph",
    timeoutSeconds: 600,
    timeoutReason: "CRDs, the operator and the CSI operator; the Ceph images are large on a first pull",
  },
  cephCsiDrivers: {
    name: "ceph-csi-drivers",
    namespace: "rookCeph",
    timeoutSeconds: 300,
    timeoutReason: "only Driver and OperatorConfig resources; the CSI operator rolls out the plugins",
  },
  rookCephCluster: {
    name: "rook-ceph-cluster",
    namespace: "rookCeph",
    timeoutSeconds: 600,
    timeoutReason: "custom resources and a StorageClass; Ceph itself comes up afterwards (the storage gate waits for it)",
  },
  strimzi: { name: "strimzi", namespace: "kafka", timeoutSeconds: 300, timeoutReason: "CRDs and the cluster operator" },
  redisHa: {
    name: "redis-ha",
    namespace: "redis",
    timeoutSeconds: 900,
    timeoutReason: "three StatefulSet pods started in order, each with a new Ceph volume and 30 s probe delays",
  },
  mosquitto: { name: "mosquitto", namespace: "mosquitto", timeoutSeconds: 300, timeoutReason: "one broker pod with a new Ceph volume" },
  kubePrometheusStack: {
    name: "kube-prometheus-stack",
    namespace: "monitoring",
    timeoutSeconds: 900,
    timeoutReason: "CRDs, the admission webhook jobs, Prometheus with a new volume, Grafana",
  },
  kured: { name: "kured", namespace: "kured", timeoutSeconds: 300, timeoutReason: "one small DaemonSet, a pod on every node" },
  certManager: {
    name: "cert-manager",
    namespace: "certManager",
    timeoutSeconds: 300,
    timeoutReason: "CRDs, three small Deployments and the startup API check (a post-install Job that waits for the webhook)",
  },
  velero: {
    name: "velero",
    namespace: "velero",
    timeoutSeconds: 300,
    timeoutReason: "one Deployment (its S3 plugin copied in by an init container) and the node agent DaemonSet; no hooks (the CRDs are the program's)",
  },
  zot: {
    name: "zot",
    namespace: "registry",
    timeoutSeconds: 600,
    timeoutReason: "one StatefulSet pod with a new Ceph volume (bound and formatted before the pod starts)",
  },
  snapshotController: {
    name: "snapshot-controller",
    namespace: "velero",
    timeoutSeconds: 300,
    timeoutReason: "one small Deployment (the CRDs are the program's)",
  },
  tektonOperator: {
    name: "tekton-operator",
    namespace: "tektonOperator",
    timeoutSeconds: 300,
    timeoutReason: "the operator and its webhook, two Deployments (the CRDs are the program's; Tekton Pipelines comes after, awaited on the TektonConfig)",
  },
  // Logs (opt-in `logs`): the operator, then the custom resources it reconciles, and the collector.
  eckOperator: {
    name: "eck-operator",
    namespace: "elasticSystem",
    timeoutSeconds: 300,
    timeoutReason: "the CRDs (templates kept on uninstall by helm.sh/resource-policy) and one operator StatefulSet",
  },
  eckStack: {
    name: "eck-stack",
    namespace: "logging",
    timeoutSeconds: 300,
    timeoutReason: "only the Elasticsearch and Kibana custom resources: Helm does not wait for what the operator makes of them",
  },
  fluentBit: { name: "fluent-bit", namespace: "logging", timeoutSeconds: 300, timeoutReason: "one small DaemonSet, a pod on every node" },
  loki: {
    name: "loki",
    namespace: "logging",
    timeoutSeconds: 600,
    timeoutReason: "one single-binary StatefulSet pod with a new Ceph volume",
  },
  argoCd: {
    name: "argocd",
    namespace: "argocd",
    timeoutSeconds: 300,
    timeoutReason: "CRDs (chart templates) and four small workloads: the application controller, the repo server, the API server and redis; no hooks",
  },
  vpa: {
    name: "vpa",
    namespace: "vpa",
    timeoutSeconds: 300,
    timeoutReason: "one small Deployment, the recommender (no admission webhook, no certgen hooks; the CRDs are the program's)",
  },
};

/**
 * How long the storage gate (a 1 GiB claim on ceph-block) may wait to be bound: a first install
 * brings up the mons, the mgr, one OSD prepare job per disk, the OSDs and the pool.
 */
export const STORAGE_GATE_TIMEOUT = "30m";
