/**
 * Retention of the ELK stack's logs (`logs.retentionDays`): an Elasticsearch ILM policy whose delete
 * phase removes each daily index `retentionDays` after it was created, and an index template that
 * gives the collector's indices (`fmc-logs-*`, one per day and kind: Fluent Bit's Logstash_Format)
 * that policy, one shard, and replicas only where there is a second node to hold them.
 *
 * How it reaches Elasticsearch: the Elasticsearch resource of ECK 3.5 has no ILM or template field,
 * and ECK's StackConfigPolicy (which has) needs an Enterprise licence; the stack runs on basic. So a
 * Job of the program's (retentionJob) PUTs both documents through Elasticsearch's REST API, with the
 * `elastic` user's password and the HTTP CA that ECK generated. PUT replaces a policy or template as a
 * whole: running it again with another retention updates both in place. Each change of the documents
 * changes the Job's spec, and the program replaces the Job (a Job's pod template is immutable), so the
 * new documents are sent once.
 * Pure: the documents, the script and the Job's spec are plain data, tested without a cluster.
 */
import type { LogsSettings } from "../config/opt-ins/logs";
import { CHARTS } from "../versions";
import { Workload } from "./capacity";
import { resources } from "./resources";
import { SIZING } from "./sizing";
import { ELASTIC_USER_SECRET, ELASTICSEARCH_CA_SECRET, elasticsearchUrl } from "./values/logs-elk";

export const LOGS_INDEX_PREFIX = "fmc-logs";
/** The collector's two kinds of indices: the pods' logs and the nodes' journals. */
export const LOGS_INDICES = { containers: `${LOGS_INDEX_PREFIX}-containers`, nodes: `${LOGS_INDEX_PREFIX}-nodes` } as const;
export const ILM_POLICY_NAME = LOGS_INDEX_PREFIX;
export const INDEX_TEMPLATE_NAME = LOGS_INDEX_PREFIX;
export const RETENTION_JOB = "logs-retention";
/** How long the script waits for Elasticsearch (a first install pulls images and binds a volume). */
export const RETENTION_WAIT = { tries: 90, intervalSeconds: 10 } as const;

export interface IlmPolicy {
  policy: {
    _meta: { managed_by: string };
    phases: { hot: { min_age: "0ms"; actions: Record<string, never> }; delete: { min_age: string; actions: { delete: Record<string, never> } } };
  };
}

/** ILM policy: hot from creation, deleted `retentionDays` after the index was created (no rollover: daily indices). */
export function ilmPolicy(retentionDays: number): IlmPolicy {
  return {
    policy: {
      _meta: { managed_by: "flatcarmicrocloud (logs.retentionDays)" },
      phases: { hot: { min_age: "0ms", actions: {} }, delete: { min_age: `${retentionDays}d`, actions: { delete: {} } } },
    },
  };
}

export interface IndexTemplate {
  index_patterns: string[];
  priority: number;
  template: { settings: Record<string, string | number> };
  _meta: { managed_by: string };
}

/** The collector's indices: the ILM policy, one primary shard, a replica only with a second node. */
export function indexTemplate(elasticsearchNodes: number): IndexTemplate {
  return {
    index_patterns: [`${LOGS_INDEX_PREFIX}-*`],
    // Above Elasticsearch's built-in templates (priority 100 and below) for the same names.
    priority: 200,
    template: {
      settings: {
        "index.lifecycle.name": ILM_POLICY_NAME,
        "index.number_of_shards": 1,
        "index.number_of_replicas": elasticsearchNodes > 1 ? 1 : 0,
      },
    },
    _meta: { managed_by: "flatcarmicrocloud (logs)" },
  };
}

/**
 * The job's script (bash and curl, both in the Elasticsearch image): wait until the cluster is at
 * least yellow, then PUT the policy and the template given in the environment. The password goes to
 * curl on stdin (`-K -`), never on its command line.
 */
export function retentionScript(): string {
  return `#!/bin/bash
# Elasticsearch retention of the logs (platform/logs-retention.ts): ILM policy and index template.
set -euo pipefail
es="\${ES_URL}"
request() {
  local method="$1" path="$2" body="\${3:-}"
  local args=(--silent --show-error --fail-with-body --cacert "\${ES_CA}" -X "$method" "$es/$path")
  if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data-binary "$body"); fi
  printf 'user = "elastic:%s"\\n' "\${ELASTIC_PASSWORD}" | curl -K - "\${args[@]}"
}
tries=0
until request GET "_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge ${RETENTION_WAIT.tries} ]; then
    echo "Elasticsearch at $es did not answer yellow or green after $tries tries" >&2
    exit 1
  fi
  sleep ${RETENTION_WAIT.intervalSeconds}
done
request PUT "_ilm/policy/${ILM_POLICY_NAME}" "\${ILM_POLICY}"
echo
request PUT "_index_template/${INDEX_TEMPLATE_NAME}" "\${INDEX_TEMPLATE}"
echo
echo "retention: ${ILM_POLICY_NAME} policy and template applied"
`;
}

const CA_DIR = "/etc/elasticsearch-ca";

export interface RetentionJobSpec {
  backoffLimit: number;
  activeDeadlineSeconds: number;
  template: {
    metadata: { labels: Record<string, string> };
    spec: {
      restartPolicy: "Never";
      automountServiceAccountToken: false;
      securityContext: { runAsNonRoot: true; runAsUser: number; seccompProfile: { type: "RuntimeDefault" } };
      containers: {
        name: string;
        image: string;
        command: string[];
        env: ({ name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } })[];
        resources: { requests: Record<string, string>; limits: Record<string, string> };
        securityContext: { allowPrivilegeEscalation: false; readOnlyRootFilesystem: true; capabilities: { drop: ["ALL"] } };
        volumeMounts: { name: string; mountPath: string; readOnly: true }[];
      }[];
      volumes: { name: string; secret: { secretName: string } }[];
    };
  };
}

/** The Job that applies the retention (spec only: the component names it and waits for it). */
export function retentionJob(logs: LogsSettings): RetentionJobSpec {
  const image = CHARTS.eckStack.elasticsearchImage;
  return {
    backoffLimit: 3,
    activeDeadlineSeconds: RETENTION_WAIT.tries * (RETENTION_WAIT.intervalSeconds + 10) + 300,
    template: {
      metadata: { labels: { "app.kubernetes.io/name": RETENTION_JOB } },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        // The image's own user (elasticsearch, 1000).
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "retention",
            image: `${image.repository}:${image.tag}`,
            command: ["/bin/bash", "-c", retentionScript()],
            env: [
              { name: "ES_URL", value: elasticsearchUrl() },
              { name: "ES_CA", value: `${CA_DIR}/${ELASTICSEARCH_CA_SECRET.key}` },
              { name: "ELASTIC_PASSWORD", valueFrom: { secretKeyRef: { name: ELASTIC_USER_SECRET.name, key: ELASTIC_USER_SECRET.key } } },
              { name: "ILM_POLICY", value: JSON.stringify(ilmPolicy(logs.retentionDays)) },
              { name: "INDEX_TEMPLATE", value: JSON.stringify(indexTemplate(logs.elasticsearch.nodes)) },
            ],
            resources: { requests: { ...SIZING.logs.ilmJob.requests }, limits: { ...SIZING.logs.ilmJob.limits } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "elasticsearch-ca", mountPath: CA_DIR, readOnly: true }],
          },
        ],
        volumes: [{ name: "elasticsearch-ca", secret: { secretName: ELASTICSEARCH_CA_SECRET.name } }],
      },
    },
  };
}

export function retentionJobWorkload(job: RetentionJobSpec): Workload {
  return {
    release: "logs-retention",
    name: RETENTION_JOB,
    kind: "Job",
    replicas: 1,
    containers: job.template.spec.containers.map((c) => ({ name: c.name, resources: resources(c.resources.requests.cpu, c.resources.requests.memory, c.resources.limits.cpu, c.resources.limits.memory) })),
  };
}
