/**
 * Wiring of the `logs` opt-in (issue 20 item 3; values in ./values/logs-elk.ts, ./values/fluent-bit.ts,
 * ./values/loki.ts, retention in ./logs-retention.ts, monitoring in ./logs-monitoring.ts). Nothing
 * here without `logs`; each object is created only for its stack, so switching `logs.stack` deletes
 * the other stack's objects and creates this one's.
 *
 * elk: eck-operator (its CRDs) -> eck-stack (the Elasticsearch and Kibana resources; the operator
 *   makes their pods) -> the retention Job, which waits for Elasticsearch itself and must succeed
 *   before the collector starts (so the first daily index already gets the ILM policy) -> fluent-bit.
 * loki: loki (after the storage gate) -> fluent-bit; the Loki datasource ConfigMap for Grafana once
 *   kube-prometheus-stack is there.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GRAFANA_DATASOURCE_LABEL } from "./logs-monitoring";
import { RETENTION_JOB } from "./logs-retention";
import { NamespaceKey } from "./namespaces";
import { ChartKey } from "./releases";
import { RenderedPlatform } from "./render";

/** Minutes Pulumi waits for the retention Job: its script waits up to 15 min for Elasticsearch, then retries. */
export const RETENTION_JOB_TIMEOUT = "40m";

export interface LogsWiring {
  rendered: RenderedPlatform;
  release: (key: ChartKey, dependsOn: pulumi.Resource[], values?: pulumi.Input<object>) => k8s.helm.v3.Release;
  namespaces: Record<NamespaceKey, k8s.core.v1.Namespace>;
  storageReady: pulumi.Resource;
  monitoring: pulumi.Resource;
  opts: pulumi.CustomResourceOptions;
}

/** The logs stack's resources; undefined without `logs`. `collector` is Fluent Bit's release. */
export function registerLogs(name: string, w: LogsWiring): { collector: k8s.helm.v3.Release } | undefined {
  const { values } = w.rendered;
  if (!values.fluentBit) return undefined;
  let collectorAfter: pulumi.Resource[];
  if (values.eckOperator && values.eckStack && w.rendered.logsRetentionJob) {
    const operator = w.release("eckOperator", [], values.eckOperator);
    const stack = w.release("eckStack", [operator, w.storageReady], values.eckStack);
    // A Job's pod template is immutable: another retention is a new Job (replaceOnChanges), which
    // PUTs the new documents; Pulumi waits for it to succeed.
    const retention = new k8s.batch.v1.Job(
      `${name}-${RETENTION_JOB}`,
      {
        metadata: { namespace: w.namespaces.logging.metadata.name, labels: { "app.kubernetes.io/name": RETENTION_JOB } },
        spec: w.rendered.logsRetentionJob,
      },
      { ...w.opts, dependsOn: [stack], replaceOnChanges: ["spec"], customTimeouts: { create: RETENTION_JOB_TIMEOUT, update: RETENTION_JOB_TIMEOUT } },
    );
    collectorAfter = [retention];
  } else if (values.loki) {
    const loki = w.release("loki", [w.storageReady], values.loki);
    for (const ds of w.rendered.datasources) {
      new k8s.core.v1.ConfigMap(
        `${name}-${ds.name}`,
        { metadata: { name: ds.name, namespace: w.namespaces.monitoring.metadata.name, labels: { ...GRAFANA_DATASOURCE_LABEL } }, data: { [ds.key]: ds.yaml } },
        { ...w.opts, dependsOn: [w.monitoring, loki] },
      );
    }
    collectorAfter = [loki];
  } else {
    throw new Error("logs: rendered without a store (neither elk nor loki values)");
  }
  return { collector: w.release("fluentBit", collectorAfter, values.fluentBit) };
}


