/**
 * CPU and memory of every container the platform runs, in one table. Sized for the seed's host: three
 * workers of 4 vCPU / 6.25 GiB (3.5 cores and ~5.1 GiB allocatable each after the K3s reservations).
 * Requests are what the scheduler reserves (their sum must fit the workers: the capacity test prints
 * it); limits cap a container's burst. The charts' values read these entries, and so does the
 * capacity check, so the two never disagree.
 */
import { resources } from "./resources";

export const SIZING = {
  traefik: resources("100m", "128Mi", "1", "256Mi"),

  rookOperator: resources("100m", "128Mi", "500m", "512Mi"),
  // The ceph-csi-operator subchart's own defaults, restated so the capacity check counts them.
  cephCsiOperator: resources("10m", "64Mi", "500m", "128Mi"),
  csiNodePlugin: {
    plugin: resources("50m", "128Mi", "500m", "512Mi"),
    registrar: resources("10m", "32Mi", "100m", "64Mi"),
    liveness: resources("10m", "32Mi", "100m", "64Mi"),
    addons: resources("10m", "32Mi", "100m", "64Mi"),
    logRotator: resources("10m", "32Mi", "100m", "64Mi"),
  },
  csiControllerPlugin: {
    plugin: resources("50m", "128Mi", "500m", "512Mi"),
    provisioner: resources("20m", "64Mi", "200m", "128Mi"),
    attacher: resources("10m", "32Mi", "100m", "64Mi"),
    resizer: resources("10m", "32Mi", "100m", "64Mi"),
    snapshotter: resources("10m", "32Mi", "100m", "64Mi"),
    omapGenerator: resources("10m", "32Mi", "100m", "64Mi"),
    liveness: resources("10m", "32Mi", "100m", "64Mi"),
    addons: resources("10m", "32Mi", "100m", "64Mi"),
    logRotator: resources("10m", "32Mi", "100m", "64Mi"),
  },
  ceph: {
    // A mon of a three-OSD cluster holds a small RocksDB: ~300 MiB resident; the limit keeps the headroom.
    mon: resources("150m", "384Mi", "1", "1Gi"),
    mgr: resources("150m", "512Mi", "1", "1Gi"),
    "mgr-sidecar": resources("10m", "40Mi", "100m", "100Mi"),
    // Rook derives osd_memory_target from the memory limit: 2Gi leaves the BlueStore cache ~1.6 GiB.
    osd: resources("250m", "1280Mi", "2", "2Gi"),
    // A one-off job per disk; 1200Mi suffices for OSDs up to 15 TiB (the chart's own note).
    prepareosd: resources("100m", "64Mi", "1", "1200Mi"),
    crashcollector: resources("10m", "32Mi", "100m", "64Mi"),
    exporter: resources("20m", "32Mi", "200m", "128Mi"),
    logcollector: resources("10m", "32Mi", "100m", "128Mi"),
    cleanup: resources("100m", "64Mi", "500m", "512Mi"),
    "cmd-reporter": resources("50m", "64Mi", "500m", "256Mi"),
  },
  cephMds: resources("100m", "512Mi", "1", "1Gi"),
  cephRgw: resources("100m", "256Mi", "1", "512Mi"),

  strimziOperator: resources("100m", "384Mi", "1", "384Mi"),
  // Requests what a broker holds resident: the fixed heap plus ~250 MiB metaspace, threads and direct
  // buffers; the page cache it reads through lives in the limit's burst, not in the reservation.
  kafka: resources("200m", "896Mi", "1", "1536Mi"),
  /** JVM heap of a dual-role Kafka node: half the memory limit, the rest is page cache and metaspace. */
  kafkaHeap: "640m",
  topicOperator: resources("50m", "256Mi", "500m", "384Mi"),

  redis: {
    redis: resources("50m", "128Mi", "500m", "384Mi"),
    sentinel: resources("20m", "32Mi", "200m", "64Mi"),
    splitBrain: resources("10m", "32Mi", "100m", "64Mi"),
    exporter: resources("10m", "32Mi", "100m", "64Mi"),
    init: resources("10m", "32Mi", "100m", "64Mi"),
  },
  /** Redis `maxmemory`: below the container limit, leaving room for the fork of a background save. */
  redisMaxMemory: "192mb",

  mosquitto: resources("20m", "32Mi", "200m", "128Mi"),

  // A few hundred series per node on a dozen targets: ~400 MiB resident; compaction bursts to the limit.
  prometheus: resources("200m", "512Mi", "1", "1536Mi"),
  configReloader: resources("10m", "32Mi", "100m", "64Mi"),
  alertmanager: resources("20m", "48Mi", "200m", "128Mi"),
  prometheusOperator: resources("50m", "96Mi", "500m", "256Mi"),
  admissionPatch: resources("10m", "32Mi", "100m", "64Mi"),
  kubeStateMetrics: resources("20m", "64Mi", "200m", "192Mi"),
  nodeExporter: resources("20m", "32Mi", "200m", "64Mi"),
  grafana: resources("100m", "192Mi", "500m", "384Mi"),
  grafanaSidecar: resources("10m", "64Mi", "100m", "128Mi"),

  // cert-manager's controllers hold informers of Certificates, Secrets and Ingresses: small on a
  // cluster of a few dozen certificates.
  certManager: {
    controller: resources("20m", "96Mi", "200m", "256Mi"),
    webhook: resources("10m", "48Mi", "100m", "96Mi"),
    cainjector: resources("10m", "64Mi", "100m", "192Mi"),
    startupapicheck: resources("10m", "32Mi", "100m", "64Mi"),
  },

  // kured: one Go process per node that wakes every few minutes (a sentinel command, an API call, a
  // Prometheus query); ~20 MiB resident, more only while it lists a node's pods to drain them.
  kured: resources("10m", "32Mi", "100m", "96Mi"),

  /**
   * Namespace defaults (LimitRange) for any container a chart gives no resources knob, such as an init
   * container: every pod then has requests and limits, even where the values cannot set them.
   */
  namespaceDefault: resources("10m", "32Mi", "200m", "256Mi"),

  /**
   * K3s's own add-ons (CoreDNS, metrics-server): their requests as K3s ships them, counted (not set)
   * by the platform because they share the workers; the limits only feed the report.
   */
  k3sAddons: {
    coredns: resources("100m", "70Mi", "100m", "170Mi"),
    metricsServer: resources("100m", "70Mi", "100m", "70Mi"),
  },
} as const;
