/**
 * The backup freshness contract (issue 18): every kind of backup exposes to Prometheus
 * `fmc_backup_last_success_timestamp_seconds{kind="..."}`, the unix time of its last successful
 * backup; the alert rules and Grafana's panel read that one series per kind.
 *
 * K3s etcd (`kind="etcd"`): K3s records every snapshot it takes, and every copy it uploads, as a
 * cluster-scoped `ETCDSnapshotFile` (k3s.cattle.io/v1; K3s pkg/etcd/snapshot/types.go
 * `ToETCDSnapshotFile`): `status.creationTime`, `status.readyToUse` (false with `status.error` when
 * the save or the upload failed) and the label `etcd.k3s.cattle.io/snapshot-storage-node`, which is
 * `s3` for the copy in the bucket. kube-state-metrics turns them into series (its custom resource
 * state metrics; an RFC 3339 time becomes unix seconds, kube-state-metrics
 * pkg/customresourcestate `toFloat64`), and a recording rule keeps the newest ready copy in the
 * bucket: a snapshot that stayed on the node is no off-host backup. K3s's own snapshot histograms
 * (`k3s_etcd_snapshot_save_s3_duration_seconds`, supervisor metrics) carry no time of success.
 */
import { NAMESPACES } from "./namespaces";
import { PrometheusRuleDoc, RecordingRule } from "./monitors";

/** The contract's series and its label per kind. */
export const BACKUP_FRESHNESS_METRIC = "fmc_backup_last_success_timestamp_seconds";

/** kube-state-metrics' name prefix for the ETCDSnapshotFile series. */
export const ETCD_SNAPSHOT_METRIC_PREFIX = "fmc_k3s_etcd_snapshot";

/** The K3s label whose value is `s3` on the record of a snapshot's copy in the bucket. */
export const K3S_SNAPSHOT_STORAGE_LABEL = "etcd.k3s.cattle.io/snapshot-storage-node";

/** kube-state-metrics' custom resource state config (`CustomResourceStateMetrics`) for ETCDSnapshotFile. */
export function etcdSnapshotStateMetrics(): Record<string, unknown> {
  return {
    kind: "CustomResourceStateMetrics",
    spec: {
      resources: [
        {
          groupVersionKind: { group: "k3s.cattle.io", version: "v1", kind: "ETCDSnapshotFile" },
          metricNamePrefix: ETCD_SNAPSHOT_METRIC_PREFIX,
          labelsFromPath: {
            snapshot: ["metadata", "name"],
            node: ["spec", "nodeName"],
            storage: ["metadata", "labels", K3S_SNAPSHOT_STORAGE_LABEL],
          },
          metrics: [
            {
              name: "created_timestamp_seconds",
              help: "When K3s took the etcd snapshot (or, for a failed one, when it failed), unix seconds",
              each: { type: "Gauge", gauge: { path: ["status", "creationTime"] } },
            },
            {
              name: "ready",
              help: "1 when the etcd snapshot (or its copy in the bucket) is complete and usable",
              each: { type: "Gauge", gauge: { path: ["status", "readyToUse"], nilIsZero: true } },
            },
          ],
        },
      ],
    },
  };
}

/** kube-state-metrics subchart values: the config above, and read access to the records. */
export function etcdSnapshotKsmValues(): { customResourceState: { enabled: true; config: Record<string, unknown> }; rbac: { extraRules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] } } {
  return {
    customResourceState: { enabled: true, config: etcdSnapshotStateMetrics() },
    rbac: { extraRules: [{ apiGroups: ["k3s.cattle.io"], resources: ["etcdsnapshotfiles"], verbs: ["list", "watch"] }] },
  };
}

/** The recording rule behind `kind="etcd"`: the newest ready snapshot copy in the bucket. */
export function etcdFreshnessRule(): RecordingRule {
  const m = (name: string) => `${ETCD_SNAPSHOT_METRIC_PREFIX}_${name}`;
  return {
    record: BACKUP_FRESHNESS_METRIC,
    expr: `max(${m("created_timestamp_seconds")}{storage="s3"} and on (snapshot) (${m("ready")}{storage="s3"} == 1))`,
    labels: { kind: "etcd" },
  };
}

/**
 * The PrometheusRule holding the freshness series of the kinds the cluster itself can see: etcd's,
 * and `more` (the volumes' while Velero backs them up: ./volume-backup-monitoring.ts).
 */
export function backupFreshnessRule(more: RecordingRule[] = []): PrometheusRuleDoc {
  return {
    name: "backup-freshness",
    namespace: NAMESPACES.monitoring.name,
    spec: { groups: [{ name: "backup-freshness", rules: [etcdFreshnessRule(), ...more] }] },
  };
}
