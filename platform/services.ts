/**
 * What the platform offers the apps stage, as plain data: where each service answers inside the
 * cluster, which namespace and pod ports a NetworkPolicy must admit, how Kafka topics are created,
 * and the issuer of route certificates. Derived from the same constants the charts' values use, so
 * the apps never restate an address.
 */
import { SpreadKey } from "./spread";
import { ISSUER_NAMES, usesHttp01 } from "./certificates";
import { NAMESPACES } from "./namespaces";
import { POD_PORTS } from "./network-policies";
import { PlatformPlan } from "./plan";
import { KAFKA_CLUSTER, kafkaBootstrap } from "./values/kafka";
import { MOSQUITTO_RELEASE, MOSQUITTO_USER } from "./values/mosquitto";
import { REDIS_MASTER_SET, REDIS_RELEASE } from "./values/redis";
import { INGRESS } from "../ports";

export interface PlatformServices {
  kafka: {
    bootstrap: string;
    namespace: string;
    /** The `strimzi.io/cluster` label a KafkaTopic needs. */
    cluster: string;
    /** Replicas of an app's topic: the platform's replication factor. */
    replicationFactor: number;
    minInsyncReplicas: number;
    /** Pod ports clients reach (bootstrap and brokers share the plain listener). */
    podPorts: number[];
  };
  /**
   * redis-ha runs without HAProxy: clients ask Sentinel (host:port here) for the master of
   * `masterSet`, then talk to it; both ports must be open.
   */
  redis: { sentinelHost: string; sentinelPort: number; masterSet: string; namespace: string; podPorts: number[] };
  mqtt: { host: string; port: number; user: string; namespace: string; podPorts: number[] };
  /** Namespace of the ingress controller, which alone may reach an app's port. */
  traefikNamespace: string;
  /** cert-manager ClusterIssuer of route certificates; undefined without an issuer (Traefik's default certificate). */
  certificateIssuer?: string;
  /** Whether that issuer validates by HTTP-01 (an ACME one): each namespace with a route then admits its solver pods. */
  http01Solver: boolean;
  /** Port clients outside the cluster use for HTTPS (443 on the load balancer, else the NodePort). */
  httpsPort: number;
  /** The node label apps spread their replicas over (the zone with two or more hosts; default the hostname). */
  spreadTopologyKey?: SpreadKey;
  /** The `vpa` opt-in is on: each app Deployment gets a VerticalPodAutoscaler recommending only (./vpa-objects.ts). */
  verticalPodAutoscaler?: boolean;
}

export function platformServices(plan: Pick<PlatformPlan, "kafka" | "ingress" | "tls"> & Partial<Pick<PlatformPlan, "spreadTopologyKey" | "settings">>): PlatformServices {
  return {
    kafka: {
      bootstrap: kafkaBootstrap(),
      namespace: NAMESPACES.kafka.name,
      cluster: KAFKA_CLUSTER,
      replicationFactor: plan.kafka.replicationFactor,
      minInsyncReplicas: plan.kafka.minInsyncReplicas,
      podPorts: [POD_PORTS.kafkaPlain],
    },
    redis: {
      sentinelHost: `${REDIS_RELEASE}.${NAMESPACES.redis.name}.svc.cluster.local`,
      sentinelPort: POD_PORTS.sentinel,
      masterSet: REDIS_MASTER_SET,
      namespace: NAMESPACES.redis.name,
      podPorts: [POD_PORTS.redis, POD_PORTS.sentinel],
    },
    mqtt: {
      host: `${MOSQUITTO_RELEASE}.${NAMESPACES.mosquitto.name}.svc.cluster.local`,
      port: INGRESS.mqtt.publicPort,
      user: MOSQUITTO_USER,
      namespace: NAMESPACES.mosquitto.name,
      podPorts: [POD_PORTS.mqtt],
    },
    traefikNamespace: NAMESPACES.traefik.name,
    certificateIssuer: plan.tls ? ISSUER_NAMES[plan.tls.issuer] : undefined,
    http01Solver: plan.tls ? usesHttp01(plan.tls.issuer) : false,
    httpsPort: plan.ingress.httpsPort,
    ...(plan.spreadTopologyKey ? { spreadTopologyKey: plan.spreadTopologyKey } : {}),
    ...(plan.settings?.vpa ? { verticalPodAutoscaler: true } : {}),
  };
}
