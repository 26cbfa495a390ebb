/**
 * Everything the platform sends to the cluster, rendered as plain data from the plan: the values of
 * each chart, the Kafka custom resources, NetworkPolicies, ServiceMonitors, and the workloads those
 * produce (for the capacity check). The Platform component only wires these into resources.
 */
import { Workload } from "./capacity";
import { renderNetworkPolicies, NetworkPolicyDoc } from "./network-policies";
import { cephServiceMonitors, redisServiceMonitor, ServiceMonitorDoc, traefikServiceMonitor } from "./monitors";
import { PlatformPlan } from "./plan";
import { ChartKey } from "./releases";
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

export interface ChartValues {
  traefik: TraefikValues;
  rookCeph: RookOperatorValues;
  cephCsiDrivers: CephCsiDriversValues;
  rookCephCluster: RookClusterValues;
  strimzi: StrimziValues;
  redisHa: RedisValues;
  mosquitto: MosquittoValues;
  kubePrometheusStack: MonitoringValues;
}

export interface RenderedPlatform {
  values: { [K in ChartKey]: ChartValues[K] };
  kafka: KafkaSpec;
  kafkaNodePool: KafkaNodePoolSpec;
  networkPolicies: NetworkPolicyDoc[];
  serviceMonitors: ServiceMonitorDoc[];
  workloads: Workload[];
}

/** K3s's own add-ons share the workers with the platform, so the capacity check counts them. */
function k3sAddonWorkloads(): Workload[] {
  const a = SIZING.k3sAddons;
  return [
    { release: "k3s", name: "coredns", kind: "Deployment", replicas: 1, containers: [{ name: "coredns", resources: a.coredns }] },
    { release: "k3s", name: "metrics-server", kind: "Deployment", replicas: 1, containers: [{ name: "metrics-server", resources: a.metricsServer }] },
  ];
}

export function renderPlatform(plan: PlatformPlan): RenderedPlatform {
  const values: ChartValues = {
    traefik: traefikValues(plan),
    rookCeph: rookOperatorValues(),
    cephCsiDrivers: cephCsiDriversValues(plan),
    rookCephCluster: rookClusterValues(plan),
    strimzi: strimziValues(),
    redisHa: redisValues(plan),
    mosquitto: mosquittoValues(),
    kubePrometheusStack: monitoringValues(plan),
  };
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
    ...k3sAddonWorkloads(),
  ];
  return {
    values,
    kafka,
    kafkaNodePool,
    networkPolicies: renderNetworkPolicies(plan),
    serviceMonitors: [...cephServiceMonitors(), traefikServiceMonitor(), redisServiceMonitor()],
    workloads,
  };
}
