/**
 * Rook-Ceph v1.20 in the order it needs: the operator (with the ceph-csi-operator subchart), the
 * ceph-csi-drivers chart with the values Rook publishes for it, then the cluster chart. OSDs only on
 * the storage nodes' raw data disks from stage 1; mons sized from the storage node count; one
 * replicated block pool whose `ceph-block` StorageClass is the cluster default. The chart's default
 * CephFS and object store are off unless the stack config turns them on.
 */
import { ZONE_LABEL } from "../../config/failure-domains";
import { INGRESS_HOSTS } from "../../ports";
import { Workload } from "../capacity";
import { cephMemoryTargetBytes } from "../ceph-memory";
import { NAMESPACES } from "../namespaces";
import { tlsSecretName } from "../certificates";
import { PlatformPlan } from "../plan";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { INGRESS_CLASS } from "./traefik";

export const STORAGE_CLASS = "ceph-block";
const NS = NAMESPACES.rookCeph.name;

// ---- rook-ceph (operator) -----------------------------------------------------------------------

export interface RookOperatorValues {
  resources: Resources;
  /** Creates the RBAC the operator needs to manage ServiceMonitors; Prometheus comes later. */
  monitoring: { enabled: boolean };
  enableDiscoveryDaemon: boolean;
  csi: { installCsiOperator: boolean };
  "ceph-csi-operator": { controllerManager: { manager: { resources: Resources } } };
}

export function rookOperatorValues(): RookOperatorValues {
  return {
    resources: SIZING.rookOperator,
    monitoring: { enabled: true },
    enableDiscoveryDaemon: false,
    csi: { installCsiOperator: true },
    "ceph-csi-operator": { controllerManager: { manager: { resources: SIZING.cephCsiOperator } } },
  };
}

export function rookOperatorWorkloads(v: RookOperatorValues): Workload[] {
  return [
    { release: "rook-ceph", name: "rook-ceph-operator", kind: "Deployment", replicas: 1, containers: [{ name: "operator", resources: v.resources }] },
    {
      release: "rook-ceph",
      name: "ceph-csi-controller-manager",
      kind: "Deployment",
      replicas: 1,
      containers: [{ name: "manager", resources: v["ceph-csi-operator"].controllerManager.manager.resources }],
    },
  ];
}

// ---- ceph-csi-drivers ---------------------------------------------------------------------------

/**
 * The values Rook publishes for this chart (ceph-csi-drivers values for a Rook install): driver
 * names must match the provisioners Rook's StorageClasses name, and the operator config points at
 * Rook's image set.
 */
export const ROOK_CSI_DRIVER_VALUES = {
  operatorConfig: {
    namespace: NS,
    driverSpecDefaults: {
      imageSet: { name: "rook-csi-operator-image-set-configmap" },
      nodePlugin: { priorityClassName: "system-node-critical" },
      controllerPlugin: { priorityClassName: "system-cluster-critical" },
    },
  },
  drivers: {
    rbd: { enabled: true, name: `${NS}.rbd.csi.ceph.com` },
    cephfs: { enabled: true, name: `${NS}.cephfs.csi.ceph.com` },
    nfs: { enabled: false, name: `${NS}.nfs.csi.ceph.com` },
    nvmeof: { enabled: false, name: `${NS}.nvmeof.csi.ceph.com` },
  },
} as const;

type NodePluginResources = { [K in keyof typeof SIZING.csiNodePlugin]: Resources };
type ControllerPluginResources = { [K in keyof typeof SIZING.csiControllerPlugin]: Resources };

interface DriverValues {
  enabled: boolean;
  name: string;
  /**
   * `volumeSnapshot` deploys the CSI snapshotter sidecar (ceph-csi-operator: `none` removes it). The
   * chart's RBD default is `none`; the capacity check counts the sidecar, and Velero's backups need it.
   */
  snapshotPolicy?: "volumeSnapshot";
  nodePlugin?: { resources: NodePluginResources };
  controllerPlugin?: { replicas: number; resources: ControllerPluginResources };
}

export interface CephCsiDriversValues {
  operatorConfig: typeof ROOK_CSI_DRIVER_VALUES.operatorConfig;
  drivers: { rbd: DriverValues; cephfs: DriverValues; nfs: DriverValues; nvmeof: DriverValues };
}

export function cephCsiDriversValues(plan: PlatformPlan): CephCsiDriversValues {
  const rook = ROOK_CSI_DRIVER_VALUES;
  // Per driver, not in driverSpecDefaults: the chart renders each driver's resources as its own map.
  const sized = (base: { enabled: boolean; name: string }): DriverValues => ({
    ...base,
    nodePlugin: { resources: { ...SIZING.csiNodePlugin } },
    controllerPlugin: { replicas: plan.csiControllerReplicas, resources: { ...SIZING.csiControllerPlugin } },
  });
  return {
    operatorConfig: rook.operatorConfig,
    drivers: {
      rbd: { ...sized({ ...rook.drivers.rbd }), snapshotPolicy: "volumeSnapshot" },
      // CephFS volumes need the filesystem; without it the driver would only idle on every node.
      cephfs: plan.settings.ceph.filesystem ? sized({ ...rook.drivers.cephfs }) : { ...rook.drivers.cephfs, enabled: false },
      nfs: { ...rook.drivers.nfs },
      nvmeof: { ...rook.drivers.nvmeof },
    },
  };
}

export function cephCsiDriversWorkloads(v: CephCsiDriversValues): Workload[] {
  const out: Workload[] = [];
  for (const [key, d] of Object.entries<DriverValues>(v.drivers)) {
    if (!d.enabled || !d.nodePlugin || !d.controllerPlugin) continue;
    // The node plugin tolerates no taints: it runs where pods can mount volumes, not on the servers.
    out.push({
      release: "ceph-csi-drivers",
      name: `${key}-nodeplugin`,
      kind: "DaemonSet",
      replicas: 0,
      containers: Object.entries(d.nodePlugin.resources).map(([name, resources]) => ({ name, resources })),
    });
    out.push({
      release: "ceph-csi-drivers",
      name: `${key}-ctrlplugin`,
      kind: "Deployment",
      replicas: d.controllerPlugin.replicas,
      containers: Object.entries(d.controllerPlugin.resources).map(([name, resources]) => ({ name, resources })),
    });
  }
  return out;
}

// ---- rook-ceph-cluster --------------------------------------------------------------------------

type CephDaemon = keyof typeof SIZING.ceph;

/** The CSI secrets every Rook RBD StorageClass needs; overriding `cephBlockPools` must keep them. */
function rbdSecretParameters(prefix: "rbd" | "cephfs"): Record<string, string> {
  const ns = "{{ .Release.Namespace }}";
  const provisioner = `rook-csi-${prefix}-provisioner`;
  return {
    "csi.storage.k8s.io/provisioner-secret-name": provisioner,
    "csi.storage.k8s.io/provisioner-secret-namespace": ns,
    "csi.storage.k8s.io/controller-expand-secret-name": provisioner,
    "csi.storage.k8s.io/controller-expand-secret-namespace": ns,
    "csi.storage.k8s.io/controller-publish-secret-name": provisioner,
    "csi.storage.k8s.io/controller-publish-secret-namespace": ns,
    "csi.storage.k8s.io/node-stage-secret-name": `rook-csi-${prefix}-node`,
    "csi.storage.k8s.io/node-stage-secret-namespace": ns,
    "csi.storage.k8s.io/fstype": "ext4",
  };
}

interface ReplicatedSpec {
  size: number;
  requireSafeReplicaSize?: boolean;
}

interface BlockPoolStorageClass {
  enabled: true;
  name: string;
  isDefault: boolean;
  reclaimPolicy: string;
  allowVolumeExpansion: boolean;
  volumeBindingMode: string;
  parameters: Record<string, string>;
}

export interface BlockPoolValues {
  name: string;
  /** `name` overrides the Ceph pool's name (the resource's name cannot start with a dot, `.mgr` does). */
  spec: { name?: string; failureDomain: string; replicated: ReplicatedSpec };
  /** The chart reads `storageClass.enabled` of every pool: a pool without a class still says so. */
  storageClass: BlockPoolStorageClass | { enabled: false };
}

/** Ceph options by who they are for (`global`, `mon`, `osd.*`): CephCluster spec.cephConfig, all strings. */
export type CephConfig = Record<string, Record<string, string>>;

export interface RookClusterValues {
  operatorNamespace: string;
  toolbox: { enabled: boolean };
  /** Off: the ServiceMonitors for the mgr and exporter are the platform's own (after the monitoring CRDs). */
  monitoring: { enabled: boolean; metricsDisabled: boolean };
  cephClusterSpec: {
    mon: { count: number; allowMultiplePerNode: boolean };
    mgr: { count: number; allowMultiplePerNode: boolean };
    dashboard: { enabled: boolean; ssl: boolean };
    /** Applied by the operator with `ceph config set` (runtime options take effect without restarts). */
    cephConfig: CephConfig;
    crashCollector: { disable: boolean };
    logCollector: { enabled: boolean };
    resources: Record<CephDaemon, Resources>;
    storage: { useAllNodes: boolean; useAllDevices: boolean; nodes: { name: string; devices: { name: string }[] }[] };
    placement: { mon: { nodeAffinity: RequiredNodeAffinity; topologySpreadConstraints?: TopologySpreadConstraint[] } };
  };
  cephBlockPools: BlockPoolValues[];
  cephFileSystems: Record<string, unknown>[];
  cephObjectStores: Record<string, unknown>[];
  ingress: {
    dashboard: {
      host: { name: string; path: string; pathType: string };
      ingressClassName: string;
      annotations: Record<string, string>;
      tls?: { hosts: string[]; secretName: string }[];
    };
  };
}

/** A pod topology spread constraint (core/v1), as Rook's placement and the charts take it. */
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule";
  labelSelector: { matchLabels: Record<string, string> };
}

interface RequiredNodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchExpressions: { key: string; operator: "In"; values: string[] }[] }[] };
}

/**
 * Mons only on the storage nodes: their store lives in dataDirHostPath, which only a storage node
 * keeps on its own state disk (infra/ceph-state-disk.ts); elsewhere it would be on a root disk.
 */
function onStorageNodes(plan: PlatformPlan): RequiredNodeAffinity {
  return {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: plan.storageNodes.map((n) => n.name) }] }],
    },
  };
}

export function cephDashboardHost(plan: PlatformPlan): string {
  return `${INGRESS_HOSTS.cephDashboard}.${plan.domain}`;
}

/** Routes on Traefik's HTTPS entry point (the web entry point only redirects). */
export const TRAEFIK_HTTPS_INGRESS_ANNOTATIONS = {
  "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
  "traefik.ingress.kubernetes.io/router.tls": "true",
} as const;

function replicated(size: number): ReplicatedSpec {
  // Ceph refuses a pool of size 1 unless told the risk is accepted (a one-node dev cluster).
  return size > 1 ? { size } : { size, requireSafeReplicaSize: false };
}

/**
 * Ceph options the platform sets: the mons' memory target (Ceph takes it from no pod setting, see
 * ceph-memory.ts) and, below three storage nodes, what Rook's own single-node example
 * (deploy/examples/cluster-test.yaml, v1.20.6) sets so that a small cluster can be HEALTH_OK: new pools
 * default to the size the cluster can hold, and on one node Ceph does not warn that pools have no
 * redundancy (POOL_NO_REDUNDANCY), which it otherwise would for ever, holding back kured's reboots.
 */
export function cephConfig(plan: PlatformPlan): CephConfig {
  const { poolSize } = plan.ceph;
  const global: Record<string, string> = {};
  if (poolSize < 3) global.osd_pool_default_size = String(poolSize);
  if (poolSize === 1) global.mon_warn_on_pool_no_redundancy = "false";
  return {
    ...(Object.keys(global).length > 0 ? { global } : {}),
    mon: { mon_memory_target: cephMemoryTargetBytes(SIZING.ceph.mon) },
  };
}

/**
 * Ceph's own `.mgr` pool, created by the mgr at the default size of 3: below three storage nodes its
 * PGs stay undersized (HEALTH_WARN) unless the pool is declared at the size the cluster holds, as
 * cluster-test.yaml does with its `builtin-mgr` CephBlockPool. From three nodes Ceph's default fits.
 */
function builtinMgrPool(plan: PlatformPlan): BlockPoolValues[] {
  // Another failure domain than host: the mgr would create `.mgr` with Ceph's default rule (host).
  if (plan.ceph.poolSize >= 3 && plan.ceph.failureDomain === "host") return [];
  return [
    { name: "builtin-mgr", spec: { name: ".mgr", failureDomain: plan.ceph.failureDomain, replicated: replicated(plan.ceph.poolSize) }, storageClass: { enabled: false } },
  ];
}

/**
 * With zones, the mons spread over them (one host then holds no quorum of three); preferred, not
 * required, so that Rook can still fail a mon over while a host is down.
 */
function monSpread(plan: PlatformPlan): { topologySpreadConstraints?: TopologySpreadConstraint[] } {
  if (plan.spreadTopologyKey !== ZONE_LABEL) return {};
  return { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "rook-ceph-mon" } } }] };
}

export function rookClusterValues(plan: PlatformPlan): RookClusterValues {
  const { ceph, settings } = plan;
  const cephFileSystems = settings.ceph.filesystem
    ? [
        {
          name: "ceph-filesystem",
          spec: {
            metadataPool: { ...(ceph.failureDomain === "host" ? {} : { failureDomain: ceph.failureDomain }), replicated: replicated(ceph.poolSize) },
            dataPools: [{ name: "data0", failureDomain: ceph.failureDomain, replicated: replicated(ceph.poolSize) }],
            metadataServer: { activeCount: 1, activeStandby: true, resources: SIZING.cephMds, priorityClassName: "system-cluster-critical" },
          },
          storageClass: {
            enabled: true,
            isDefault: false,
            name: "ceph-filesystem",
            pool: "data0",
            reclaimPolicy: "Delete",
            allowVolumeExpansion: true,
            volumeBindingMode: "Immediate",
            parameters: rbdSecretParameters("cephfs"),
          },
        },
      ]
    : [];
  const cephObjectStores = settings.ceph.objectStore
    ? [
        {
          name: "ceph-objectstore",
          spec: {
            metadataPool: { failureDomain: ceph.failureDomain, replicated: replicated(ceph.poolSize) },
            dataPool: { failureDomain: ceph.failureDomain, replicated: replicated(ceph.poolSize) },
            preservePoolsOnDelete: true,
            gateway: { port: 80, instances: 1, resources: SIZING.cephRgw, priorityClassName: "system-cluster-critical" },
          },
          storageClass: { enabled: true, name: "ceph-bucket", reclaimPolicy: "Delete", volumeBindingMode: "Immediate", parameters: { region: "us-east-1" } },
        },
      ]
    : [];
  return {
    operatorNamespace: NS,
    toolbox: { enabled: false },
    monitoring: { enabled: false, metricsDisabled: false },
    cephClusterSpec: {
      mon: { count: ceph.monCount, allowMultiplePerNode: false },
      mgr: { count: ceph.mgrCount, allowMultiplePerNode: false },
      // Traefik terminates TLS; inside the cluster the dashboard speaks plain HTTP on 7000.
      dashboard: { enabled: true, ssl: false },
      cephConfig: cephConfig(plan),
      crashCollector: { disable: false },
      // Daemons log to stdout, which K3s already keeps; the file collector would add a sidecar per daemon.
      logCollector: { enabled: false },
      resources: { ...SIZING.ceph },
      storage: {
        useAllNodes: false,
        useAllDevices: false,
        nodes: plan.storageNodes.map((n) => ({ name: n.name, devices: [{ name: (n.cephDevice as string).replace(/^\/dev\//, "") }] })),
      },
      placement: { mon: { nodeAffinity: onStorageNodes(plan), ...monSpread(plan) } },
    },
    cephBlockPools: [
      ...builtinMgrPool(plan),
      {
        name: "ceph-blockpool",
        spec: { failureDomain: ceph.failureDomain, replicated: replicated(ceph.poolSize) },
        storageClass: {
          enabled: true,
          name: STORAGE_CLASS,
          isDefault: true,
          reclaimPolicy: "Delete",
          allowVolumeExpansion: true,
          volumeBindingMode: "Immediate",
          parameters: { imageFormat: "2", imageFeatures: "layering", ...rbdSecretParameters("rbd") },
        },
      },
    ],
    cephFileSystems,
    cephObjectStores,
    ingress: {
      dashboard: {
        host: { name: cephDashboardHost(plan), path: "/", pathType: "Prefix" },
        ingressClassName: INGRESS_CLASS,
        annotations: { ...TRAEFIK_HTTPS_INGRESS_ANNOTATIONS },
        // The FreeIPA-signed certificate of its host, where the stack has FreeIPA (certificates.ts).
        ...(plan.tls ? { tls: [{ hosts: [cephDashboardHost(plan)], secretName: tlsSecretName(cephDashboardHost(plan)) }] } : {}),
      },
    },
  };
}

export function rookClusterWorkloads(v: RookClusterValues, plan: PlatformPlan): Workload[] {
  const r = v.cephClusterSpec.resources;
  const release = "rook-ceph-cluster";
  const storageNodes = v.cephClusterSpec.storage.nodes.length;
  const mgrCount = v.cephClusterSpec.mgr.count;
  const out: Workload[] = [
    { release, name: "mon", kind: "Deployment", replicas: v.cephClusterSpec.mon.count, containers: [{ name: "mon", resources: r.mon }] },
    {
      release,
      name: "mgr",
      kind: "Deployment",
      replicas: mgrCount,
      // With a standby mgr, Rook adds a sidecar that follows the active one.
      containers: [{ name: "mgr", resources: r.mgr }, ...(mgrCount > 1 ? [{ name: "watch-active", resources: r["mgr-sidecar"] }] : [])],
    },
    { release, name: "osd", kind: "Deployment", replicas: storageNodes, containers: [{ name: "osd", resources: r.osd }] },
    { release, name: "osd-prepare", kind: "Job", replicas: storageNodes, containers: [{ name: "provision", resources: r.prepareosd }] },
    // Crash collector and exporter: one per node that runs Ceph daemons (the storage nodes here).
    { release, name: "crashcollector", kind: "Deployment", replicas: v.cephClusterSpec.crashCollector.disable ? 0 : plan.storageNodes.length, containers: [{ name: "ceph-crash", resources: r.crashcollector }] },
    { release, name: "exporter", kind: "Deployment", replicas: plan.storageNodes.length, containers: [{ name: "ceph-exporter", resources: r.exporter }] },
  ];
  for (const fs of v.cephFileSystems as { spec: { metadataServer: { activeCount: number; activeStandby: boolean; resources: Resources } } }[]) {
    const mds = fs.spec.metadataServer;
    out.push({ release, name: "mds", kind: "Deployment", replicas: mds.activeCount * (mds.activeStandby ? 2 : 1), containers: [{ name: "mds", resources: mds.resources }] });
  }
  for (const os of v.cephObjectStores as { spec: { gateway: { instances: number; resources: Resources } } }[]) {
    out.push({ release, name: "rgw", kind: "Deployment", replicas: os.spec.gateway.instances, containers: [{ name: "rgw", resources: os.spec.gateway.resources }] });
  }
  return out;
}
