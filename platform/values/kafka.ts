/**
 * Kafka through Strimzi 1.2: the operator chart, then a `Kafka` and a `KafkaNodePool` in KRaft mode
 * (API kafka.strimzi.io/v1, the only one Strimzi 1.x serves). The nodes are dual-role (controller and
 * broker), so the broker count is also the controller quorum; topics are replicated up to three ways
 * on `ceph-block` volumes, and old segments go by the retention policy from the stack config.
 */
import { KAFKA_VERSION } from "../../versions";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { PlatformPlan } from "../plan";
import { preferredSpread } from "../spread";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { STORAGE_CLASS } from "./rook";

export const KAFKA_CLUSTER = "kafka";
export const KAFKA_NODE_POOL = "dual-role";
export const KAFKA_PLAIN_PORT = 9092;
export const KAFKA_API_VERSION = "kafka.strimzi.io/v1";

/**
 * How long `pulumi up` waits for the `Kafka` resource to be Ready (Strimzi sets that condition once a
 * reconciliation has the brokers of every node pool running and the entity operator up; the
 * provider awaits custom resources only with `pulumi.com/waitFor`). The operator waits at most
 * `operationTimeoutMs` (the chart's 300 s, not overridden) for pods in one reconciliation and starts
 * the next one every `fullReconciliationIntervalMs` (120 s): three attempts, so a first one lost to
 * pulling the Kafka image onto three nodes and binding three new Ceph volumes still succeeds.
 */
export const STRIMZI_OPERATION_TIMEOUT_SECONDS = 300;
export const STRIMZI_RECONCILIATION_INTERVAL_SECONDS = 120;
export const KAFKA_READY_TIMEOUT_SECONDS = 3 * (STRIMZI_OPERATION_TIMEOUT_SECONDS + STRIMZI_RECONCILIATION_INTERVAL_SECONDS);

export interface StrimziValues {
  resources: Resources;
  /** Empty: the operator watches its own namespace, where the Kafka cluster lives. */
  watchNamespaces: string[];
  extraEnvs: { name: string; value: string }[];
}

export function strimziValues(): StrimziValues {
  return {
    resources: SIZING.strimziOperator,
    watchNamespaces: [],
    // Pods that meet the `restricted` Pod Security Standard, so the namespace can enforce it.
    extraEnvs: [{ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" }],
  };
}

export function strimziWorkloads(v: StrimziValues): Workload[] {
  return [{ release: "strimzi", name: "strimzi-cluster-operator", kind: "Deployment", replicas: 1, containers: [{ name: "operator", resources: v.resources }] }];
}

export interface KafkaSpec {
  kafka: {
    version: string;
    listeners: { name: string; port: number; type: "internal"; tls: boolean }[];
    config: Record<string, number | string>;
  };
  entityOperator: { topicOperator: { resources: Resources } };
}

export interface KafkaNodePoolSpec {
  replicas: number;
  roles: ("controller" | "broker")[];
  storage: {
    type: "jbod";
    volumes: { id: number; type: "persistent-claim"; size: string; class: string; deleteClaim: boolean; kraftMetadata: "shared" }[];
  };
  resources: Resources;
  jvmOptions: { "-Xms": string; "-Xmx": string };
  template: { pod: { affinity: Record<string, unknown> } };
}

/** Segment size: at most 1 GiB (Kafka's default), and small enough that size-based retention bites. */
export function segmentBytes(retentionBytes: number): number {
  return Math.max(16 * 1024 ** 2, Math.min(1024 ** 3, Math.floor(retentionBytes / 4)));
}

export function kafkaSpec(plan: PlatformPlan): KafkaSpec {
  const { kafka, settings } = plan;
  return {
    kafka: {
      version: KAFKA_VERSION,
      listeners: [{ name: "plain", port: KAFKA_PLAIN_PORT, type: "internal", tls: false }],
      config: {
        "default.replication.factor": kafka.replicationFactor,
        "min.insync.replicas": kafka.minInsyncReplicas,
        "offsets.topic.replication.factor": kafka.replicationFactor,
        "transaction.state.log.replication.factor": kafka.replicationFactor,
        "transaction.state.log.min.isr": kafka.minInsyncReplicas,
        "log.retention.hours": settings.kafka.retentionHours,
        "log.retention.bytes": settings.kafka.retentionBytes,
        "log.segment.bytes": segmentBytes(settings.kafka.retentionBytes),
      },
    },
    entityOperator: { topicOperator: { resources: SIZING.topicOperator } },
  };
}

export function kafkaNodePoolSpec(plan: PlatformPlan): KafkaNodePoolSpec {
  return {
    replicas: plan.kafka.brokers,
    roles: ["controller", "broker"],
    storage: {
      type: "jbod",
      volumes: [
        { id: 0, type: "persistent-claim", size: `${plan.settings.kafka.volumeGiB}Gi`, class: STORAGE_CLASS, deleteClaim: false, kraftMetadata: "shared" },
      ],
    },
    resources: SIZING.kafka,
    jvmOptions: { "-Xms": SIZING.kafkaHeap, "-Xmx": SIZING.kafkaHeap },
    template: {
      pod: {
        // One broker per node (with zones: per host first) where possible, so a node's (a host's)
        // failure costs one replica of each partition.
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: preferredSpread(plan.spreadTopologyKey, {
              "strimzi.io/cluster": KAFKA_CLUSTER,
              "strimzi.io/pool-name": KAFKA_NODE_POOL,
            }),
          },
        },
      },
    },
  };
}

export function kafkaWorkloads(kafka: KafkaSpec, pool: KafkaNodePoolSpec): Workload[] {
  return [
    { release: "kafka", name: `${KAFKA_CLUSTER}-${KAFKA_NODE_POOL}`, kind: "StatefulSet", replicas: pool.replicas, containers: [{ name: "kafka", resources: pool.resources }] },
    { release: "kafka", name: `${KAFKA_CLUSTER}-entity-operator`, kind: "Deployment", replicas: 1, containers: [{ name: "topic-operator", resources: kafka.entityOperator.topicOperator.resources }] },
  ];
}

/** In-cluster bootstrap address of the plain listener. */
export function kafkaBootstrap(): string {
  return `${KAFKA_CLUSTER}-kafka-bootstrap.${NAMESPACES.kafka.name}.svc.cluster.local:${KAFKA_PLAIN_PORT}`;
}
