/**
 * Fluent Bit (fluent-bit chart), the `logs` opt-in's collector for either stack: a DaemonSet on every
 * node, the tainted servers included (it tolerates NoSchedule), reading
 * - the pods' logs: /var/log/containers/*.log (containerd's CRI format; K3s keeps them under
 *   /var/log/pods, which the links point into), enriched with the pod's namespace, name and labels by
 *   the kubernetes filter (it asks the API server);
 * - the node's journal: /var/log/journal (Flatcar's journal is persistent), every unit (K3s, containerd,
 *   the kernel, sshd), tagged with the node's name.
 * It reads through hostPath mounts and runs as the image's root user to read files of any owner: the
 * namespace's Pod Security level is privileged for it (../namespaces.ts). Its read positions are kept
 * in databases on the node (/var/log/fluent-bit-*.db), so a restarted pod neither loses nor repeats
 * lines.
 * Outputs: Elasticsearch over HTTPS verified with ECK's CA, as `elastic` (password from ECK's Secret,
 * in the environment only), one index per kind and day (`fmc-logs-containers-YYYY.MM.DD`, `fmc-logs-nodes-...`:
 * ../logs-retention.ts deletes them); or Loki's push API, labelled by namespace, pod, container
 * (pods) and unit (journal).
 */
import type { LogsSettings } from "../../config/opt-ins/logs";
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { LOGS_INDICES } from "../logs-retention";
import { ELASTIC_USER_SECRET, ELASTICSEARCH_CA_SECRET, ELASTICSEARCH_HTTP_PORT, ELASTICSEARCH_HTTP_SERVICE } from "./logs-elk";
import { LOKI_HTTP_PORT, LOKI_SERVICE } from "./loki";

export const FLUENT_BIT_RELEASE = "fluent-bit";
export const FLUENT_BIT_METRICS_PORT = 2020;
const CA_DIR = "/fluent-bit/elasticsearch-ca";

type EnvVar = { name: string; valueFrom: { fieldRef: { fieldPath: string } } | { secretKeyRef: { name: string; key: string } } };
type Volume = { name: string; hostPath: { path: string; type?: string } } | { name: string; secret: { secretName: string } };
type Mount = { name: string; mountPath: string; readOnly?: boolean };

export interface FluentBitValues {
  kind: "DaemonSet";
  image: { repository: string; tag: string };
  testFramework: { enabled: false };
  resources: Resources;
  tolerations: { operator: "Exists"; effect: string }[];
  securityContext: { allowPrivilegeEscalation: false; readOnlyRootFilesystem: true };
  metricsPort: number;
  serviceMonitor: { enabled: false };
  dashboards: { enabled: true; labelKey: string; labelValue: string };
  env: EnvVar[];
  daemonSetVolumes: Volume[];
  daemonSetVolumeMounts: Mount[];
  extraVolumes: Volume[];
  extraVolumeMounts: Mount[];
  config: { service: string; inputs: string; filters: string; outputs: string; customParsers: string };
}

/** One Fluent Bit section, its keys aligned as the chart's defaults write them. */
function section(name: string, entries: [string, string | number][]): string {
  return [`[${name}]`, ...entries.map(([k, v]) => `    ${k} ${v}`)].join("\n") + "\n";
}

export function fluentBitInputs(): string {
  return [
    section("INPUT", [
      ["Name", "tail"],
      ["Path", "/var/log/containers/*.log"],
      ["multiline.parser", "cri"],
      ["Tag", "kube.*"],
      ["DB", "/var/log/fluent-bit-containers.db"],
      ["Mem_Buf_Limit", "5MB"],
      ["Skip_Long_Lines", "On"],
    ]),
    section("INPUT", [
      ["Name", "systemd"],
      ["Tag", "node.*"],
      ["Path", "/var/log/journal"],
      ["DB", "/var/log/fluent-bit-journal.db"],
      ["Read_From_Tail", "On"],
      ["Strip_Underscores", "On"],
    ]),
  ].join("");
}

export function fluentBitFilters(): string {
  return [
    section("FILTER", [
      ["Name", "kubernetes"],
      ["Match", "kube.*"],
      ["Merge_Log", "On"],
      ["Keep_Log", "Off"],
      ["K8S-Logging.Parser", "On"],
      ["K8S-Logging.Exclude", "On"],
    ]),
    section("FILTER", [
      ["Name", "record_modifier"],
      ["Match", "node.*"],
      ["Record", "node ${NODE_NAME}"],
    ]),
  ].join("");
}

/** The outputs to the stack's store: one per kind of log. */
export function fluentBitOutputs(logs: LogsSettings): string {
  if (logs.stack === "elk") {
    const es = (match: string, prefix: string) =>
      section("OUTPUT", [
        ["Name", "es"],
        ["Match", match],
        ["Host", `${ELASTICSEARCH_HTTP_SERVICE}.${NAMESPACES.logging.name}.svc`],
        ["Port", ELASTICSEARCH_HTTP_PORT],
        ["HTTP_User", ELASTIC_USER_SECRET.key],
        ["HTTP_Passwd", "${ELASTIC_PASSWORD}"],
        ["tls", "On"],
        ["tls.verify", "On"],
        ["tls.ca_file", `${CA_DIR}/${ELASTICSEARCH_CA_SECRET.key}`],
        ["Logstash_Format", "On"],
        ["Logstash_Prefix", prefix],
        ["Suppress_Type_Name", "On"],
        ["Replace_Dots", "On"],
        ["Trace_Error", "On"],
        ["Retry_Limit", "False"],
      ]);
    return es("kube.*", LOGS_INDICES.containers) + es("node.*", LOGS_INDICES.nodes);
  }
  const loki = (match: string, job: string, labelKeys: string) =>
    section("OUTPUT", [
      ["Name", "loki"],
      ["Match", match],
      ["Host", `${LOKI_SERVICE}.${NAMESPACES.logging.name}.svc`],
      ["Port", LOKI_HTTP_PORT],
      ["Labels", `job=${job}, node=\${NODE_NAME}`],
      ["Label_Keys", labelKeys],
      ["Line_Format", "json"],
      ["Retry_Limit", "False"],
    ]);
  return (
    loki("kube.*", "containers", "$kubernetes['namespace_name'],$kubernetes['pod_name'],$kubernetes['container_name']") +
    loki("node.*", "journal", "$SYSTEMD_UNIT")
  );
}

export function fluentBitValues(logs: LogsSettings): FluentBitValues {
  const elk = logs.stack === "elk";
  return {
    kind: "DaemonSet",
    image: { ...CHARTS.fluentBit.image },
    // The chart's test pod pulls busybox:latest: nothing unpinned.
    testFramework: { enabled: false },
    resources: SIZING.logs.fluentBit,
    // Every node, the tainted servers included: their logs too.
    tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
    metricsPort: FLUENT_BIT_METRICS_PORT,
    // The platform's own ServiceMonitor (../logs-monitoring.ts): the chart's would need the monitoring CRDs first.
    serviceMonitor: { enabled: false },
    // The chart's dashboard as a ConfigMap with Grafana's sidecar label (kube-prometheus-stack's Grafana reads every namespace).
    dashboards: { enabled: true, labelKey: "grafana_dashboard", labelValue: "1" },
    env: [
      { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      ...(elk ? [{ name: "ELASTIC_PASSWORD", valueFrom: { secretKeyRef: { name: ELASTIC_USER_SECRET.name, key: ELASTIC_USER_SECRET.key } } }] : []),
    ],
    // /var/log only (the chart's default also mounts Docker's directory, which K3s does not use).
    daemonSetVolumes: [
      { name: "varlog", hostPath: { path: "/var/log" } },
      { name: "etcmachineid", hostPath: { path: "/etc/machine-id", type: "File" } },
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log" },
      { name: "etcmachineid", mountPath: "/etc/machine-id", readOnly: true },
    ],
    extraVolumes: elk ? [{ name: "elasticsearch-ca", secret: { secretName: ELASTICSEARCH_CA_SECRET.name } }] : [],
    extraVolumeMounts: elk ? [{ name: "elasticsearch-ca", mountPath: CA_DIR, readOnly: true }] : [],
    config: {
      service: section("SERVICE", [
        ["Daemon", "Off"],
        ["Flush", 1],
        ["Log_Level", "info"],
        ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
        ["Parsers_File", "/fluent-bit/etc/conf/custom_parsers.conf"],
        ["HTTP_Server", "On"],
        ["HTTP_Listen", "0.0.0.0"],
        ["HTTP_Port", FLUENT_BIT_METRICS_PORT],
        ["Health_Check", "On"],
      ]),
      inputs: fluentBitInputs(),
      filters: fluentBitFilters(),
      outputs: fluentBitOutputs(logs),
      customParsers: "",
    },
  };
}

export function fluentBitWorkloads(v: FluentBitValues): Workload[] {
  return [
    {
      release: FLUENT_BIT_RELEASE,
      name: "fluent-bit",
      kind: "DaemonSet",
      replicas: 0,
      toleratesTaints: v.tolerations.some((t) => t.operator === "Exists" && t.effect === "NoSchedule"),
      containers: [{ name: "fluent-bit", resources: v.resources }],
    },
  ];
}
