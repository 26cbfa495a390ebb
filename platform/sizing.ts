/**
 * CPU and memory of every container the platform runs, in one table. Sized for the seed's host: three
 * workers of 4 vCPU / 6.25 GiB (3.5 cores and ~4.9 GiB allocatable each after the guest kernel's own
 * share and the K3s reservations: cluster/reservations.ts). The seed's 35 GiB host has no memory left
 * for larger workers, and this table fills them (docs/platform.md, "Sizing"): a figure raised here must
 * be paid for by another.
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
    // A mon of a three-OSD cluster holds a small RocksDB: ~300 MiB resident; the limit keeps the headroom
    // and meets Rook's 1 GiB minimum. Ceph does not derive mon_memory_target from the pod (its default
    // is 2 GiB, above this limit): the cluster values set it to min(request, 0.8 x limit) = 384 MiB, so
    // the mon's cache autotuner keeps its caches small instead of growing towards an OOM kill.
    mon: resources("150m", "384Mi", "1", "1Gi"),
    mgr: resources("150m", "512Mi", "1", "1Gi"),
    "mgr-sidecar": resources("10m", "40Mi", "100m", "100Mi"),
    // Ceph sets osd_memory_target = min(request, 0.8 x limit) (src/common/config.cc): 1536 MiB here, the
    // whole OSD process (BlueStore caches included) tuned to it, with the limit's 512 MiB above it for
    // what the autotuner does not count. Below the 2 GiB Rook and Ceph recommend (Rook warns only on a
    // limit below 2048 MiB, which this meets): the seed's workers cannot carry 3 x 2 GiB next to the rest
    // of the platform; on a larger host raise the request to 2Gi and the limit to 2560Mi.
    osd: resources("250m", "1536Mi", "2", "2Gi"),
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
  kafka: resources("200m", "768Mi", "1", "1280Mi"),
  /**
   * JVM heap of a dual-role Kafka node: 512 MiB carries a few topics of a lab's traffic (Kafka keeps its
   * data in the page cache, not the heap); it was 640 MiB until the OSDs needed the memory.
   */
  kafkaHeap: "512m",
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

  // Five nodes' kubelet/cAdvisor, node-exporter, kube-state-metrics, the API server, etcd, Ceph, Traefik
  // and Redis: an estimated 60-90k active series at ~5 KiB each in the head block, plus the WAL replay on
  // start; compaction and heavy queries burst into the limit. An estimate: measure
  // `process_resident_memory_bytes{job="prometheus"}` on the real stack and adjust.
  prometheus: resources("200m", "768Mi", "1", "2Gi"),
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

  // Volume backups (values/velero.ts), only while the stack has a backup target. The server holds
  // informers of its own CRs and the claims it backs up: ~60-100 MiB resident (Velero's own guidance
  // starts it at 128Mi). The node agent only hosts controllers since 1.14 (the data moves in the data
  // mover pods): ~40-60 MiB. A data mover pod runs kopia over one volume at a time (concurrency 1 per
  // node) while a backup or restore runs; kopia's index and upload buffers grow with the volume's file
  // count, hence the 1 GiB limit. The repository maintenance job (kopia's GC) runs about once an hour.
  velero: {
    server: resources("50m", "128Mi", "1", "512Mi"),
    awsPlugin: resources("10m", "32Mi", "100m", "64Mi"),
    nodeAgent: resources("20m", "64Mi", "1", "512Mi"),
    dataMover: resources("100m", "128Mi", "1", "1Gi"),
    maintenance: resources("50m", "128Mi", "1", "1Gi"),
  },
  // The registry opt-in (values/zot.ts): zot is one Go process serving blobs from its volume (it
  // streams them, so memory does not grow with image size) plus its metadata DB (BoltDB, mmapped) and
  // the on-demand sync of public images. The chart sets no resources and zot states no minimum.
  // With CVE scanning, Trivy's vulnerability DB (a BoltDB of ~0.7-1 GiB, mmapped: page cache, counted
  // against the limit) is opened in the same process and each scan unpacks an image's layers'
  // package lists in memory: the request and limit grow with it (docs/registry.md).
  zot: resources("100m", "256Mi", "1", "1Gi"),
  zotScanning: resources("200m", "1Gi", "2", "3Gi"),
  // The CSI snapshot controller: one Go controller watching VolumeSnapshots (idle ~20 MiB).
  snapshotController: resources("10m", "32Mi", "100m", "128Mi"),
  // The VPA recommender (opt-in `vpa`, values/vpa.ts): one Go process holding a decaying histogram
  // per container of every pod it watches and its checkpoints. Upstream's manifest asks 50m/500Mi
  // (limit 200m/1000Mi), sized for clusters of thousands of pods; this cluster runs about a hundred
  // containers, so a quarter of it, with the same CPU and a 512Mi ceiling.
  vpaRecommender: resources("50m", "128Mi", "200m", "512Mi"),

  // Logs (opt-in `logs`, values/logs-*.ts), only while the stack sets it. Elasticsearch's memory is
  // not here: it comes from `logs.elasticsearchMemoryGiB` (request = limit, heap half of it), since it
  // is what the host's room decides.
  logs: {
    // The eck-operator chart's own defaults: one Go operator reconciling a handful of resources.
    eckOperator: resources("100m", "150Mi", "1", "1Gi"),
    // Elasticsearch's CPU: indexing a small cluster's logs is bursty (segment merges), mostly idle.
    elasticsearchCpu: { request: "250m", limit: "2" },
    // ECK's default for Kibana (1Gi request = limit); Kibana's Node.js heap is sized from it.
    kibana: resources("100m", "1Gi", "1", "1Gi"),
    // One per node: tail with Mem_Buf_Limit 5MB per input and the systemd input; ~20-40 MiB resident.
    fluentBit: resources("20m", "48Mi", "200m", "128Mi"),
    // Loki's single binary at a few GB a day (Loki documents no minimum, monolithic mode is for up to
    // ~20 GB/day): ingester chunks in memory plus the query path; the limit covers a wide query.
    loki: resources("100m", "256Mi", "1", "1Gi"),
    // The ILM job: bash and curl in the Elasticsearch image, a few requests.
    ilmJob: resources("10m", "32Mi", "100m", "64Mi"),
  },
  // GitOps (values/argocd.ts), only with the `gitops` opt-in. The application controller caches every
  // object of the managed namespace and reconciles Applications: ~100-200 MiB for a few apps, growing
  // with the objects it watches. The repo server clones the repository and renders manifests (Helm,
  // Kustomize): idle ~60 MiB, peaks during a render, hence the 1 GiB limit. The API server serves the
  // UI (~50 MiB idle); redis is its cache (~10 MiB for a few apps). The ApplicationSet controller is
  // scaled to zero (the chart has no switch for it) and copyutil is the repo server's init container.
  argocd: {
    controller: resources("100m", "256Mi", "1", "1Gi"),
    repoServer: resources("50m", "128Mi", "1", "1Gi"),
    server: resources("25m", "64Mi", "500m", "256Mi"),
    redis: resources("10m", "32Mi", "200m", "128Mi"),
    applicationSet: resources("10m", "32Mi", "100m", "128Mi"),
    copyutil: resources("10m", "16Mi", "100m", "64Mi"),
  },

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
