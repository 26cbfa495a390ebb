/**
 * Default-deny NetworkPolicies for every platform namespace, plus the allows each service needs.
 * K3s enforces them with its embedded kube-router policy controller, which lets a node reach its own
 * pods (kubelet probes) and evaluates traffic after Service DNAT: so the API server appears as the
 * servers' addresses on port 6443, and NodePort traffic from the load balancer as its address.
 * "Node" sources of ingress rules are the nodes' flannel.1 addresses, never the pod range
 * (node-sources.ts); "node" destinations of egress rules are the nodes' own addresses.
 */
import type * as k8s from "@pulumi/kubernetes";
import { INGRESS, K3S_API_PORT } from "../ports";
import { NAMESPACES, NamespaceKey, planNamespaces } from "./namespaces";
import { flannelNodeAddresses } from "./node-sources";
import { PlatformPlan } from "./plan";
import { ALERTMANAGER_POD_LABELS } from "./alertmanager";
import { PROMETHEUS_POD_LABELS } from "./backup-alerts";
import { CERT_MANAGER_WEBHOOK_PORT } from "./values/cert-manager";
import { VELERO_METRICS_PORT } from "./values/velero";
import { TEKTON_METRICS_PORT, TEKTON_OPERATOR_WEBHOOK_PORT } from "./values/tekton";
import { registryUpstreamPorts, ZOT_PORT } from "./values/zot";
import { ECK_WEBHOOK_PORT, ELASTICSEARCH_HTTP_PORT, KIBANA_PORT } from "./values/logs-elk";
import { FLUENT_BIT_METRICS_PORT } from "./values/fluent-bit";
import { LOKI_HTTP_PORT } from "./values/loki";
import { ARGOCD_POD_LABELS, ARGOCD_PORTS } from "./values/argocd";
import { VPA_METRICS_PORT } from "./values/vpa";

export type Peer =
  | { kind: "sameNamespace" }
  | { kind: "namespace"; namespace: NamespaceKey }
  | { kind: "anyPod" }
  | { kind: "dns" }
  | { kind: "cidr"; cidr: string };

export interface Port {
  port: number;
  protocol: "TCP" | "UDP";
}

export interface Allow {
  /** Policy name suffix: `allow-<name>`. */
  name: string;
  direction: "ingress" | "egress";
  peers: Peer[];
  /** Empty: every port. */
  ports: Port[];
  /** Why the service needs it. */
  reason: string;
  /** The pods it applies to (labels); every pod of the namespace when unset. */
  pods?: Record<string, string>;
}

export interface NetworkPolicyDoc {
  name: string;
  namespace: string;
  spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

const tcp = (...ports: number[]): Port[] => ports.map((port) => ({ port, protocol: "TCP" as const }));

/**
 * Anywhere: ipBlock covers addresses outside the cluster; pod sources are named separately, since
 * policy implementations may not match pod IPs against ipBlock.
 */
const ANYWHERE = { kind: "cidr", cidr: "0.0.0.0/0" } as const satisfies Peer;

/** One address as a peer. */
const address = (a: string): Peer => ({ kind: "cidr", cidr: `${a}/32` });

/**
 * A host outside the cluster by the name the config gives it: an IPv4 host is the one address; a
 * host name resolves to addresses a NetworkPolicy cannot name ahead, so anywhere (the allow keeps to
 * its port).
 */
const hostPeer = (host: string): Peer => (/^\d+\.\d+\.\d+\.\d+$/.test(host) ? address(host) : ANYWHERE);

/** One egress allow on TCP `ports`, for the pods labelled `pods` or, without, every pod of the namespace. */
function egress(name: string, peers: Peer[], ports: number[], reason: string, pods?: Record<string, string>): Allow {
  return { name, direction: "egress", peers, ports: tcp(...ports), reason, ...(pods ? { pods: { ...pods } } : {}) };
}

/** Container ports the allows refer to (Services may expose other port numbers; policies see pods). */
export const POD_PORTS = {
  traefikWeb: 8000,
  traefikWebsecure: 8443,
  traefikMetrics: 9100,
  cephDashboard: 7000,
  cephMgrMetrics: 9283,
  cephExporterMetrics: 9926,
  kafkaPlain: 9092,
  redis: 6379,
  sentinel: 26379,
  redisExporter: 9121,
  mqtt: 1883,
  grafana: 3000,
  prometheusOperatorWebhook: 10250,
  prometheus: 9090,
  veleroMetrics: VELERO_METRICS_PORT,
  tektonMetrics: TEKTON_METRICS_PORT,
  /** The operator's, Pipelines' and the proxy webhooks all listen on 8443. */
  tektonWebhooks: TEKTON_OPERATOR_WEBHOOK_PORT,
  zot: ZOT_PORT,
  vpaMetrics: VPA_METRICS_PORT,
} as const;

/**
 * The build pods' ways out (opt-in `builds`): the git server's and the registry's ports, and 443 for
 * the base images the Dockerfiles name (Docker Hub and other public registries). All by port,
 * anywhere: the hosts are the user's DNS answers, which a NetworkPolicy cannot name.
 */
function buildEgress(plan: PlatformPlan): Allow[] {
  const b = plan.settings.builds;
  if (!b) return [];
  const ports = [...new Set([b.gitPort, b.registryPort, 443])].sort((x, y) => x - y);
  const reason = "the build clones builds.gitUrl, pulls the Dockerfiles' base images and pushes to appsRegistry (an in-cluster registry is a pod)";
  return [
    egress("git-registries", [ANYWHERE, { kind: "anyPod" }], ports, reason),
    // The in-cluster registry's route: an ingress address that is a node's (NodePort) or a
    // LoadBalancer's reaches Traefik's pod on its websecure port once kube-proxy has translated it.
    ...(b.inClusterRegistry
      ? [
          egress(
            "registry-route",
            [{ kind: "namespace", namespace: NAMESPACES.traefik.name }],
            [POD_PORTS.traefikWebsecure],
            "the build pushes to the in-cluster registry through its route (Traefik, TLS), never to zot's plain-HTTP Service",
          ),
        ]
      : []),
  ];
}

/**
 * zot to the public registries it caches and to Trivy's databases: HTTPS (or a copy's own port)
 * anywhere, since their addresses are DNS answers a NetworkPolicy cannot name ahead.
 */
function registryUpstreams(plan: PlatformPlan): Allow[] {
  const registry = plan.settings.registry;
  const ports = registry ? registryUpstreamPorts(registry) : [];
  if (ports.length === 0) return [];
  return [egress("upstreams", [ANYWHERE], ports, "zot fetches the public registries' images on demand (registry.mirrors) and Trivy's databases (registry.scanning)")];
}

/**
 * Alertmanager to the configured receivers: the SMTP server's and the webhook's ports, anywhere (they
 * are host names outside the cluster, which a NetworkPolicy cannot name), for the Alertmanager pods only.
 */
function alertReceivers(plan: PlatformPlan): Allow[] {
  const ports = [...new Set([plan.alerts.email?.smtpPort, plan.alerts.webhook?.port].filter((p): p is number => p !== undefined))];
  if (ports.length === 0) return [];
  return [egress("alert-receivers", [ANYWHERE], ports, "Alertmanager sends alerts to the SMTP server and the webhook of the stack config", ALERTMANAGER_POD_LABELS)];
}

/** Prometheus to the Rocky VMs' metrics exporters (the backups' freshness), each VM by address and port. */
function backupVmScrapes(plan: PlatformPlan): Allow[] {
  const targets = plan.backups.vmTargets;
  if (targets.length === 0) return [];
  const reason = "Prometheus reads the backup metrics of the PostgreSQL and FreeIPA VMs from their node_exporter";
  return [egress("scrape-backup-vms", targets.map((t) => address(t.address)), [...new Set(targets.map((t) => t.port))], reason, PROMETHEUS_POD_LABELS)];
}

/**
 * Velero's pods to the backup target: the server (storage location checks, backup metadata), the data
 * mover pods and kopia's maintenance job (the volumes' data), on the endpoint's port only (hostPeer).
 */
function backupTarget(plan: PlatformPlan): Allow[] {
  const target = plan.volumeBackups?.target;
  if (!target) return [];
  return [egress("backup-target", [hostPeer(target.host)], [target.port], "Velero and kopia write the volumes' backups to the stack's S3 target")];
}

/**
 * Argo CD's repo server to the user's git host, on the repository's port only (22 for ssh, 443 for
 * https unless the URL names one; hostPeer).
 */
function gitHost(plan: PlatformPlan): Allow[] {
  const repo = plan.settings.gitops?.repository;
  if (!repo) return [];
  return [egress("git-host", [hostPeer(repo.host)], [repo.port], "the repo server fetches the gitops repository", ARGOCD_POD_LABELS.repoServer)];
}

/** The allows of each namespace, on top of its default deny. */
export function namespaceAllows(plan: PlatformPlan): Omit<Record<NamespaceKey, Allow[]>, LogsNamespace> & Partial<Record<LogsNamespace, Allow[]>> {
  const api = egress("api-server", plan.apiServerAddresses.map(address), [K3S_API_PORT], "controllers and operators watch the Kubernetes API");
  const dns: Allow = { name: "dns", direction: "egress", peers: [{ kind: "dns" }], ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }], reason: "name resolution through CoreDNS" };
  const within = (direction: "ingress" | "egress"): Allow => ({
    name: `same-namespace-${direction}`,
    direction,
    peers: [{ kind: "sameNamespace" }],
    ports: [],
    reason: "the release's own pods talk to each other (replication, operators to their operands)",
  });
  const scrape = (...ports: number[]): Allow => ({
    name: "from-monitoring",
    direction: "ingress",
    peers: [{ kind: "namespace", namespace: "monitoring" }],
    ports: tcp(...ports),
    reason: "Prometheus scrapes the metrics endpoints",
  });
  // Host-network traffic of the nodes as it arrives at a pod on another node: from that node's
  // flannel.1 address (node-sources.ts). Not the pod range: kube-router matches pod IPs against an
  // ipBlock, so the whole range would admit every pod. The API server calling a webhook is such traffic
  // too; since a server's pod subnet is only known once it registers, webhooks admit every node's.
  const fromNodes: Peer[] = flannelNodeAddresses(plan.podCidr).map((cidr): Peer => ({ kind: "cidr", cidr }));
  // The K3s nodes by address (not the whole node network, which also holds the service VMs): where
  // pods reach the API server, kubelets, node-exporter, etcd and hostNetwork pods.
  const toNodes: Peer[] = plan.nodes.map((n) => address(n.address));

  return {
    traefik: [
      { name: "entrypoints", direction: "ingress", peers: [ANYWHERE, { kind: "anyPod" }], ports: tcp(POD_PORTS.traefikWeb, POD_PORTS.traefikWebsecure), reason: "HTTP(S) from the load balancer through the NodePorts" },
      scrape(POD_PORTS.traefikMetrics),
      dns,
      api,
      { name: "backends", direction: "egress", peers: [{ kind: "anyPod" }], ports: [], reason: "Traefik proxies to Services in any namespace; each backend namespace admits it" },
    ],
    rookCeph: [
      within("ingress"),
      within("egress"),
      { name: "from-nodes", direction: "ingress", peers: fromNodes, ports: [], reason: "kernel RBD clients and the host-network CSI node plugin reach the mons and OSDs" },
      scrape(POD_PORTS.cephMgrMetrics, POD_PORTS.cephExporterMetrics),
      { name: "from-traefik", direction: "ingress", peers: [{ kind: "namespace", namespace: "traefik" }], ports: tcp(POD_PORTS.cephDashboard), reason: "the Ceph dashboard route" },
      dns,
      { name: "to-nodes", direction: "egress", peers: toNodes, ports: [], reason: "the API server and the host-network CSI pods live on node addresses" },
    ],
    kafka: [
      within("ingress"),
      within("egress"),
      { name: "clients", direction: "ingress", peers: [{ kind: "anyPod" }], ports: tcp(POD_PORTS.kafkaPlain), reason: "Kafka clients anywhere in the cluster use the plain listener" },
      dns,
      api,
    ],
    redis: [
      within("ingress"),
      within("egress"),
      { name: "clients", direction: "ingress", peers: [{ kind: "anyPod" }], ports: tcp(POD_PORTS.redis, POD_PORTS.sentinel), reason: "Redis clients anywhere in the cluster (password required)" },
      scrape(POD_PORTS.redisExporter),
      dns,
    ],
    mosquitto: [
      { name: "mqtt", direction: "ingress", peers: [ANYWHERE, { kind: "anyPod" }], ports: tcp(POD_PORTS.mqtt), reason: "MQTT clients in the cluster and through the load balancer's NodePort (password required)" },
      dns,
    ],
    certManager: [
      { name: "webhook", direction: "ingress", peers: fromNodes, ports: tcp(CERT_MANAGER_WEBHOOK_PORT), reason: "the API server calls cert-manager's validating and mutating webhooks" },
      dns,
      api,
      ...(plan.tls?.issuer === "freeipa"
        ? [
            {
              name: "acme-directory",
              direction: "egress",
              peers: [address(plan.tls.freeipa.address)],
              ports: tcp(443),
              reason: "the ACME directory on the FreeIPA VM (outside the cluster)",
            } satisfies Allow,
            {
              name: "http01-self-check",
              direction: "egress",
              peers: [address(plan.tls.ingressAddress)],
              ports: tcp(INGRESS.http.publicPort),
              reason: "before asking FreeIPA to validate, cert-manager fetches the challenge itself, as FreeIPA will: through the load balancer",
            } satisfies Allow,
          ]
        : []),
      // The user's ACME server and the hosts' public addresses are the user's DNS answers, unknown
      // here: the port is what is pinned.
      ...(plan.tls?.issuer === "acme"
        ? [
            {
              name: "acme-directory",
              direction: "egress",
              peers: [ANYWHERE],
              ports: tcp(acmePort(plan.tls.acme.server)),
              reason: "the user's ACME server (tlsAcmeServer), wherever the user's DNS puts it",
            } satisfies Allow,
            {
              name: "http01-self-check",
              direction: "egress",
              peers: [ANYWHERE],
              ports: tcp(INGRESS.http.publicPort),
              reason: "before asking the ACME server to validate, cert-manager fetches the challenge itself on port 80 of each host, as the server will",
            } satisfies Allow,
          ]
        : []),
    ],
    kured: [
      dns,
      api,
      {
        name: "to-prometheus",
        direction: "egress",
        peers: [{ kind: "namespace", namespace: "monitoring" }],
        ports: tcp(POD_PORTS.prometheus),
        reason: "the reboot gate: kured queries the active alerts",
      },
    ],
    monitoring: [
      within("ingress"),
      within("egress"),
      { name: "from-traefik", direction: "ingress", peers: [{ kind: "namespace", namespace: "traefik" }], ports: tcp(POD_PORTS.grafana), reason: "the Grafana route" },
      { name: "webhook", direction: "ingress", peers: fromNodes, ports: tcp(POD_PORTS.prometheusOperatorWebhook), reason: "the API server calls the operator's admission webhook" },
      { name: "from-kured", direction: "ingress", peers: [{ kind: "namespace", namespace: "kured" }], ports: tcp(POD_PORTS.prometheus), reason: "kured asks Prometheus for active alerts before it reboots a node" },
      dns,
      api,
      { name: "scrape-pods", direction: "egress", peers: [{ kind: "anyPod" }], ports: [], reason: "Prometheus scrapes pods in every namespace; Grafana queries Prometheus" },
      { name: "scrape-nodes", direction: "egress", peers: toNodes, ports: [], reason: "kubelet/cAdvisor (10250), node-exporter (9100) and etcd (2381) listen on node addresses" },
      ...alertReceivers(plan),
      ...backupVmScrapes(plan),
    ],
    velero: [
      dns,
      api,
      scrape(POD_PORTS.veleroMetrics),
      ...backupTarget(plan),
    ],
    // The opt-in `builds`. In tekton-pipelines the operator adds its own policies for Pipelines' pods
    // (TektonPipeline networkPolicy): these are the platform's floor for every pod there (the pruner
    // Job too), and admit its Prometheus.
    tektonOperator: [
      dns,
      api,
      { name: "webhook", direction: "ingress", peers: fromNodes, ports: tcp(POD_PORTS.tektonWebhooks), reason: "the API server calls the operator's admission webhook" },
      scrape(POD_PORTS.tektonMetrics),
    ],
    tektonPipelines: [
      within("ingress"),
      within("egress"),
      dns,
      api,
      { name: "webhook", direction: "ingress", peers: fromNodes, ports: tcp(POD_PORTS.tektonWebhooks), reason: "the API server calls Pipelines' webhook and the operator's proxy webhook" },
      scrape(POD_PORTS.tektonMetrics),
    ],
    builds: [dns, ...buildEgress(plan)],
    registry: [
      // Pushes and pulls through the route, builds and the apps' pods in the cluster (credentials required).
      { name: "clients", direction: "ingress", peers: [{ kind: "anyPod" }], ports: tcp(POD_PORTS.zot), reason: "Traefik's route and pods in the cluster push and pull (htpasswd users only)" },
      scrape(POD_PORTS.zot),
      dns,
      ...registryUpstreams(plan),
    ],
    argocd: [
      within("ingress"),
      within("egress"),
      { name: "from-traefik", direction: "ingress", peers: [{ kind: "namespace", namespace: "traefik" }], ports: tcp(ARGOCD_PORTS.server), reason: "the Argo CD UI route", pods: { ...ARGOCD_POD_LABELS.server } },
      scrape(ARGOCD_PORTS.controllerMetrics, ARGOCD_PORTS.serverMetrics, ARGOCD_PORTS.repoServerMetrics),
      dns,
      api,
      ...gitHost(plan),
    ],
    // The recommender reads pods, VPAs and metrics.k8s.io and writes recommendations and checkpoints:
    // all through the API server. It resolves no name (the API server's address comes from the
    // environment), so no DNS.
    vpa: [api, scrape(POD_PORTS.vpaMetrics)],
    ...logsAllows(plan, { dns, api, within, scrape, fromNodes }),
  };
}

type LogsNamespace = "logging" | "elasticSystem";

/**
 * The `logs` opt-in's namespaces. logging: the collector, the store and (elk) Kibana and the retention
 * job talk among themselves; Fluent Bit asks the API server for pod metadata; Prometheus scrapes Fluent
 * Bit and Loki, and Grafana queries Loki (both from monitoring); the ECK operator calls Elasticsearch's
 * REST API; Traefik reaches Kibana. elastic-system: the operator watches the API, is called by the API
 * server for its validating webhook, and calls Elasticsearch. Nothing leaves the cluster.
 */
function logsAllows(
  plan: PlatformPlan,
  common: { dns: Allow; api: Allow; within: (direction: "ingress" | "egress") => Allow; scrape: (...ports: number[]) => Allow; fromNodes: Peer[] },
): Partial<Record<LogsNamespace, Allow[]>> {
  const logs = plan.settings.logs;
  if (!logs) return {};
  const { dns, api, within, scrape, fromNodes } = common;
  const elk = logs.stack === "elk";
  const logging: Allow[] = [
    within("ingress"),
    within("egress"),
    dns,
    api,
    scrape(FLUENT_BIT_METRICS_PORT, ...(elk ? [] : [LOKI_HTTP_PORT])),
    ...(elk
      ? [
          { name: "from-eck-operator", direction: "ingress", peers: [{ kind: "namespace", namespace: "elasticSystem" }], ports: tcp(ELASTICSEARCH_HTTP_PORT), reason: "the ECK operator configures Elasticsearch through its REST API" } satisfies Allow,
          { name: "from-traefik", direction: "ingress", peers: [{ kind: "namespace", namespace: "traefik" }], ports: tcp(KIBANA_PORT), reason: "the Kibana route" } satisfies Allow,
        ]
      : []),
  ];
  return {
    logging,
    ...(elk
      ? {
          elasticSystem: [
            dns,
            api,
            { name: "webhook", direction: "ingress", peers: fromNodes, ports: tcp(ECK_WEBHOOK_PORT), reason: "the API server calls the operator's validating webhook" },
            { name: "to-elasticsearch", direction: "egress", peers: [{ kind: "namespace", namespace: "logging" }], ports: tcp(ELASTICSEARCH_HTTP_PORT), reason: "the operator configures Elasticsearch through its REST API" },
          ],
        }
      : {}),
  };
}

function peer(p: Peer): k8s.types.input.networking.v1.NetworkPolicyPeer {
  switch (p.kind) {
    case "sameNamespace":
      return { podSelector: {} };
    case "namespace":
      return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES[p.namespace].name } } };
    case "anyPod":
      return { namespaceSelector: {} };
    case "dns":
      return {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      };
    case "cidr":
      return { ipBlock: { cidr: p.cidr } };
  }
}

/** Every NetworkPolicy of the platform: `default-deny` and one `allow-<name>` per allow, per namespace. */
/** The port of an ACME directory URL (validated https: 443 unless the URL names one). */
export function acmePort(server: string): number {
  const url = new URL(server);
  return url.port ? Number(url.port) : 443;
}

export function renderNetworkPolicies(plan: PlatformPlan): NetworkPolicyDoc[] {
  const docs: NetworkPolicyDoc[] = [];
  const present = planNamespaces(plan);
  for (const [key, allows] of Object.entries(namespaceAllows(plan)) as [NamespaceKey, Allow[]][]) {
    if (!present.includes(key)) continue;
    const namespace = NAMESPACES[key].name;
    docs.push({ name: "default-deny", namespace, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
    for (const allow of allows) {
      const ports = allow.ports.length > 0 ? { ports: allow.ports.map((p) => ({ port: p.port, protocol: p.protocol })) } : {};
      const rule = { [allow.direction === "ingress" ? "from" : "to"]: allow.peers.map(peer), ...ports };
      docs.push({
        name: `allow-${allow.name}`,
        namespace,
        spec: {
          podSelector: allow.pods ? { matchLabels: allow.pods } : {},
          policyTypes: [allow.direction === "ingress" ? "Ingress" : "Egress"],
          [allow.direction]: [rule],
        },
      });
    }
  }
  return docs;
}
