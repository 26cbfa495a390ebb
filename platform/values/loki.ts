/**
 * Loki (loki chart), the `logs` opt-in's lighter store (`logs.stack: loki`): one single-binary pod
 * (the `all` target, monolithic mode: Grafana documents it for up to about 20 GB of logs a day) with
 * its chunks and TSDB index on the filesystem of a Ceph volume (ceph-block). Retention is the
 * compactor's: `limits_config.retention_period` of `logs.retentionDays`, applied to every stream, and
 * chunks past it deleted (after `retention_delete_delay`). Single tenant (`auth_enabled: false`): the
 * only writer is the platform's Fluent Bit and the only reader Grafana, and the NetworkPolicies admit
 * nothing else. Nothing else of the chart runs: no gateway (clients reach the pod's Service), no
 * memcached caches, no canary, no test pod, no rules sidecar, no MinIO. Grafana (kube-prometheus-stack)
 * gets Loki as a datasource through its datasource sidecar (../logs-monitoring.ts).
 */
import type { LogsSettings } from "../../config/opt-ins/logs";
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { STORAGE_CLASS } from "./rook";

export const LOKI_RELEASE = "loki";
/** The single binary's Service (the chart names it after the release). */
export const LOKI_SERVICE = "loki";
export const LOKI_HTTP_PORT = 3100;
/** A label of the platform's on the Service only, so the ServiceMonitor selects it and not the headless one. */
export const LOKI_METRICS_LABEL = { "flatcarmicrocloud.io/metrics": "loki" } as const;

export interface LokiValues {
  deploymentMode: "SingleBinary";
  loki: {
    image: { registry: string; repository: string; tag: string };
    auth_enabled: false;
    commonConfig: { replication_factor: 1 };
    storage: { type: "filesystem" };
    schemaConfig: { configs: { from: string; store: "tsdb"; object_store: "filesystem"; schema: "v13"; index: { prefix: string; period: "24h" } }[] };
    limits_config: { retention_period: string };
    compactor: { retention_enabled: true; delete_request_store: "filesystem"; working_directory: string; retention_delete_delay: string };
    analytics: { reporting_enabled: false };
  };
  singleBinary: {
    replicas: 1;
    resources: Resources;
    service: { labels: Record<string, string> };
    persistence: { enabled: true; size: string; storageClass: string; enableStatefulSetAutoDeletePVC: false; whenDeleted: "Retain"; whenScaled: "Retain" };
  };
  read: { replicas: 0 };
  write: { replicas: 0 };
  backend: { replicas: 0 };
  gateway: { enabled: false };
  chunksCache: { enabled: false };
  resultsCache: { enabled: false };
  lokiCanary: { enabled: false };
  test: { enabled: false };
  sidecar: { rules: { enabled: false } };
  minio: { enabled: false };
}

export function lokiValues(logs: LogsSettings): LokiValues {
  return {
    deploymentMode: "SingleBinary",
    loki: {
      image: { ...CHARTS.loki.image },
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      // The schema every new install starts with (TSDB, v13); a later schema is added as a new entry, never by editing this one.
      schemaConfig: { configs: [{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "loki_index_", period: "24h" } }] },
      limits_config: { retention_period: `${logs.retentionDays * 24}h` },
      compactor: { retention_enabled: true, delete_request_store: "filesystem", working_directory: "/var/loki/compactor", retention_delete_delay: "2h" },
      analytics: { reporting_enabled: false },
    },
    singleBinary: {
      replicas: 1,
      resources: SIZING.logs.loki,
      service: { labels: { ...LOKI_METRICS_LABEL } },
      // The volume stays when Loki is uninstalled (logs.stack switched, logs removed): docs/logs.md says how to delete it.
      persistence: { enabled: true, size: `${logs.volumeGiB}Gi`, storageClass: STORAGE_CLASS, enableStatefulSetAutoDeletePVC: false, whenDeleted: "Retain", whenScaled: "Retain" },
    },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    gateway: { enabled: false },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    lokiCanary: { enabled: false },
    test: { enabled: false },
    sidecar: { rules: { enabled: false } },
    minio: { enabled: false },
  };
}

export function lokiWorkloads(v: LokiValues): Workload[] {
  return [{ release: LOKI_RELEASE, name: "loki", kind: "StatefulSet", replicas: v.singleBinary.replicas, containers: [{ name: "loki", resources: v.singleBinary.resources }] }];
}
