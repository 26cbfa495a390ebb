/**
 * Redis with Sentinel (dandydeveloper/redis-ha, the upstream Redis image): one Redis + Sentinel pod per
 * node, password auth for both from a generated Secret, data on `ceph-block`, the exporter on with a
 * ServiceMonitor.
 */
import { ZONE_LABEL } from "../../config/failure-domains";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { PlatformPlan } from "../plan";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { STORAGE_CLASS } from "./rook";

export const REDIS_RELEASE = "redis-ha";
/** Secret holding the Redis password (`auth`) and the Sentinel password (`sentinel-password`). */
export const REDIS_SECRET = "redis-auth";
export const REDIS_SECRET_KEYS = { redis: "auth", sentinel: "sentinel-password" } as const;
export const REDIS_MASTER_SET = "mymaster";

export interface RedisValues {
  replicas: number;
  auth: boolean;
  existingSecret: string;
  authKey: string;
  hardAntiAffinity: boolean;
  /** The chart's one zone spread constraint (its topologyKey defaults to the zone label). */
  topologySpreadConstraints?: { enabled: boolean; maxSkew: number; topologyKey: string; whenUnsatisfiable: "ScheduleAnyway" | "DoNotSchedule" };
  redis: {
    masterGroupName: string;
    config: { "min-replicas-to-write": number; maxmemory: string; "maxmemory-policy": string };
    resources: Resources;
  };
  sentinel: { auth: boolean; existingSecret: string; authKey: string; quorum: number; resources: Resources };
  splitBrainDetection: { resources: Resources };
  init: { resources: Resources };
  persistentVolume: { enabled: boolean; storageClass: string; size: string };
  exporter: { enabled: boolean; resources: Resources; serviceMonitor: { enabled: boolean } };
  haproxy: { enabled: boolean };
}

export function redisValues(plan: PlatformPlan): RedisValues {
  const s = SIZING.redis;
  return {
    replicas: plan.redis.replicas,
    auth: true,
    existingSecret: REDIS_SECRET,
    authKey: REDIS_SECRET_KEYS.redis,
    // One pod per node (the chart's required anti-affinity on the hostname), and with zones spread
    // over the hosts too; preferred, since three replicas on two hosts must share one.
    hardAntiAffinity: true,
    ...(plan.spreadTopologyKey === ZONE_LABEL
      ? { topologySpreadConstraints: { enabled: true, maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway" as const } }
      : {}),
    redis: {
      masterGroupName: REDIS_MASTER_SET,
      config: { "min-replicas-to-write": plan.redis.minReplicasToWrite, maxmemory: SIZING.redisMaxMemory, "maxmemory-policy": "volatile-lru" },
      resources: s.redis,
    },
    sentinel: { auth: true, existingSecret: REDIS_SECRET, authKey: REDIS_SECRET_KEYS.sentinel, quorum: plan.redis.quorum, resources: s.sentinel },
    splitBrainDetection: { resources: s.splitBrain },
    init: { resources: s.init },
    persistentVolume: { enabled: true, storageClass: STORAGE_CLASS, size: "8Gi" },
    // The ServiceMonitor is the platform's own (platform/monitors.ts): the chart renders its own
    // only if the monitoring CRDs exist at install time, which would hold this release for them.
    exporter: { enabled: true, resources: s.exporter, serviceMonitor: { enabled: false } },
    haproxy: { enabled: false },
  };
}

export function redisWorkloads(v: RedisValues): Workload[] {
  return [
    {
      release: REDIS_RELEASE,
      name: "redis-ha-server",
      kind: "StatefulSet",
      replicas: v.replicas,
      containers: [
        { name: "redis", resources: v.redis.resources },
        { name: "sentinel", resources: v.sentinel.resources },
        { name: "split-brain-fix", resources: v.splitBrainDetection.resources },
        ...(v.exporter.enabled ? [{ name: "redis-exporter", resources: v.exporter.resources }] : []),
      ],
    },
  ];
}

/** Sentinel address clients ask for the current master of REDIS_MASTER_SET. */
export function redisSentinelEndpoint(): string {
  return `${REDIS_RELEASE}.${NAMESPACES.redis.name}.svc.cluster.local:26379`;
}
