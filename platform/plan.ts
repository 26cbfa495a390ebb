/**
 * The platform's shape, derived once from the cluster facts and the stage 3 settings: how many of
 * each replicated thing the cluster can carry. Every chart's values read these figures, so the rules
 * (mon count from storage nodes, replication from brokers, ...) live here and nowhere else.
 */
import { AlertSettings } from "../config/alerts";
import { BackupMonitoring } from "../config/backup-freshness";
import { PlatformSettings } from "../config/platform";
import { ZONE_LABEL } from "../config/failure-domains";
import { platformHosts } from "../ports";
import { CephLayout, cephLayout } from "./ceph-layout";
import { IngressEndpoint, isSchedulable, PlatformNode, TlsFacts } from "./facts";
import { VolumeBackupPlan, watchVolumes } from "./volume-backups";

export interface PlatformPlan {
  domain: string;
  nodes: PlatformNode[];
  /** Nodes with a raw Ceph disk: one OSD each. */
  storageNodes: PlatformNode[];
  /** Nodes ordinary pods land on (no NoSchedule/NoExecute taint). */
  schedulableNodes: PlatformNode[];
  /** K3s servers' cluster addresses: the API server endpoints (6443) and etcd metrics (2381). */
  apiServerAddresses: string[];
  ingress: IngressEndpoint;
  /** The cluster's pod range (NetworkPolicy peers: node processes reach other nodes' pods from it). */
  podCidr: string;
  /** kured installs only on Flatcar nodes whose own reboots wait for it (ClusterFacts.flatcarReboots). */
  kured: boolean;
  settings: PlatformSettings;
  /**
   * Where Ceph spreads replicas and what it survives (./ceph-layout.ts): mons odd, one per storage
   * node (at most 5); a standby mgr only on two or more hosts; replicas one per failure-domain
   * bucket (host = VM, chassis = physical disk, zone = physical host), at most 3.
   */
  ceph: CephLayout;
  /**
   * The node label the platform's spread and anti-affinity rules use: the zone (the KVM host) when
   * the schedulable nodes sit on two or more hosts, else the node's hostname.
   */
  spreadTopologyKey: typeof HOSTNAME_LABEL | typeof ZONE_LABEL;
  kafka: {
    brokers: number;
    /** Replicas of every topic and of the internal topics: at most 3, never more than brokers. */
    replicationFactor: number;
    /** Writes with acks=all survive one broker down when there are 3 replicas. */
    minInsyncReplicas: number;
  };
  redis: {
    /** Redis + Sentinel pods (hard anti-affinity: one per node): 3 or 1. */
    replicas: number;
    /** Sentinels that must agree on a failover: a majority. */
    quorum: number;
    /** Replicas a write must reach: 1 when there are replicas at all. */
    minReplicasToWrite: number;
  };
  /** Traefik pods: two where two nodes can take them. */
  traefikReplicas: number;
  /** Ceph CSI provisioner pods: a standby where the cluster has room for one. */
  csiControllerReplicas: number;
  /**
   * Certificates from FreeIPA's ACME service through cert-manager, for every host Traefik answers on
   * (the platform's and the apps'); undefined without FreeIPA.
   */
  tls?: TlsFacts & { hosts: string[] };
  /** Where Alertmanager sends alerts (the receivers' secrets stay out of the plan). */
  alerts: AlertSettings;
  /** The backup kinds the alerts watch and the VMs Prometheus reads their metric from; none: nothing watched. */
  backups: BackupMonitoring;
  /** Velero's volume backups to the stack's target; undefined without a backup target (./volume-backups.ts). */
  volumeBackups?: VolumeBackupPlan;
}

export interface PlanInput {
  domain: string;
  nodes: PlatformNode[];
  ingress: IngressEndpoint;
  podCidr: string;
  flatcarReboots: boolean;
  settings: PlatformSettings;
  tls?: TlsFacts;
  /** Hosts of the apps' routes (stage 4), which need certificates too. */
  appHosts?: string[];
  /** Alert receivers; none when unset. */
  alerts?: AlertSettings;
  /** Backup kinds to watch (config/backup-freshness.ts); none when unset. */
  backups?: BackupMonitoring;
  /** Volume backups; none without a backup target. */
  volumeBackups?: VolumeBackupPlan;
}

export const HOSTNAME_LABEL = "kubernetes.io/hostname";

/** The zone label when the nodes carry two or more zones, else the hostname label. */
export function spreadTopologyKey(nodes: Pick<PlatformNode, "topologyLabels">[]): typeof HOSTNAME_LABEL | typeof ZONE_LABEL {
  const zones = new Set(nodes.map((n) => n.topologyLabels?.[ZONE_LABEL]));
  return zones.size >= 2 && !zones.has(undefined) ? ZONE_LABEL : HOSTNAME_LABEL;
}

export function planPlatform(input: PlanInput): PlatformPlan {
  const storageNodes = input.nodes.filter((n) => n.cephDevice !== undefined);
  const schedulableNodes = input.nodes.filter(isSchedulable);
  if (storageNodes.length === 0) throw new Error("the platform needs at least one Ceph storage node (a K3s node with dataDiskGiB)");
  if (schedulableNodes.length === 0) throw new Error("the platform needs at least one K3s node without a NoSchedule taint");
  const storageNotSchedulable = storageNodes.filter((n) => !isSchedulable(n));
  if (storageNotSchedulable.length > 0) {
    throw new Error(`Ceph OSDs cannot run on tainted nodes: ${storageNotSchedulable.map((n) => n.name).join(", ")}`);
  }
  const brokers = input.settings.kafka.brokers;
  const replicationFactor = Math.min(3, brokers);
  const redisReplicas = schedulableNodes.length >= 3 ? 3 : 1;
  return {
    domain: input.domain,
    nodes: input.nodes,
    storageNodes,
    schedulableNodes,
    apiServerAddresses: input.nodes.filter((n) => n.role === "k3s-server").map((n) => n.address),
    ingress: input.ingress,
    podCidr: input.podCidr,
    kured: input.flatcarReboots,
    settings: input.settings,
    ceph: cephLayout(storageNodes),
    spreadTopologyKey: spreadTopologyKey(schedulableNodes),
    kafka: { brokers, replicationFactor, minInsyncReplicas: Math.max(1, replicationFactor - 1) },
    redis: {
      replicas: redisReplicas,
      quorum: Math.floor(redisReplicas / 2) + 1,
      minReplicasToWrite: redisReplicas > 1 ? 1 : 0,
    },
    traefikReplicas: Math.min(2, schedulableNodes.length),
    csiControllerReplicas: schedulableNodes.length >= 3 ? 2 : 1,
    alerts: input.alerts ?? { warnings: [] },
    backups: watchVolumes(input.backups ?? { kinds: [], vmTargets: [] }, input.volumeBackups),
    volumeBackups: input.volumeBackups,
    tls: input.tls && {
      ...input.tls,
      hosts: [
        ...new Set([
          ...platformHosts(input.domain),
          ...(input.appHosts ?? []),
        ]),
      ].sort(),
    },
  };
}
