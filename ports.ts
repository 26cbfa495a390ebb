/**
 * Fixed network facts shared by the stages: ports the load balancer VM (stage 1 guest role) forwards
 * to NodePorts of the platform (stage 3), the names the ingress answers on, and K3s's own address
 * ranges, which the cluster sets, the platform's NetworkPolicies name and the topology must avoid.
 */
export const K3S_API_PORT = 6443;

export const INGRESS = {
  /** Traefik `web` entry point: HTTP, redirected to HTTPS. */
  http: { publicPort: 80, nodePort: 30080 },
  /** Traefik `websecure` entry point. */
  https: { publicPort: 443, nodePort: 30443 },
  /** Mosquitto MQTT (TCP, authenticated). */
  mqtt: { publicPort: 1883, nodePort: 31883 },
} as const;

/**
 * Names under the stack's domain that Traefik routes for the platform on every stack
 * (`<name>.<domain>`). FreeIPA resolves each of them to the load balancer, and the platform's routes
 * answer on them.
 */
export const INGRESS_HOSTS = {
  grafana: "grafana",
  traefikDashboard: "traefik",
  cephDashboard: "ceph",
} as const;

/**
 * The opt-ins' route hosts, by opt-in (platform/opt-ins.ts OPT_INS `key`): the one list of them. Each
 * is routed, and gets a Certificate, only while its opt-in is on (Kibana's only with `logs.stack:
 * elk`), but reserved on every stack like INGRESS_HOSTS: no app may take it, and FreeIPA resolves it
 * and cert-manager's HTTP-01 self-check knows it on every stack, so turning an opt-in on or off
 * changes neither FreeIPA's records nor cert-manager's release (docs/day-two.md).
 */
export const OPT_IN_HOSTS = {
  gitops: { argocd: "argocd" },
  registry: { registry: "registry" },
  logs: { kibana: "kibana" },
} as const;

/** Every name the platform reserves under the domain: its own routes' and every opt-in's. */
export const PLATFORM_HOST_NAMES: readonly string[] = [...Object.values(INGRESS_HOSTS), ...Object.values(OPT_IN_HOSTS).flatMap((hosts) => Object.values(hosts))];

/** PLATFORM_HOST_NAMES under `domain`: what FreeIPA resolves to the load balancer and no app may take. */
export function platformHosts(domain: string): string[] {
  return PLATFORM_HOST_NAMES.map((name) => `${name}.${domain}`);
}

/**
 * K3s's pod and service ranges (its defaults, set explicitly). Traffic from a node's host network to a
 * pod on another node leaves through flannel with that node's flannel.1 address as its source, the
 * first address of the node's pod subnet (platform/node-sources.ts): policies that admit "the nodes"
 * name those addresses, never the whole range (which holds every pod).
 */
export const K3S_NETWORK = {
  clusterCidr: "10.42.0.0/16",
  serviceCidr: "10.43.0.0/16",
} as const;

/**
 * The prefix of each node's pod subnet inside `clusterCidr`: the controller-manager's
 * `node-cidr-mask-size-ipv4`, whose default (24) K3s keeps and this project does not change.
 */
export const K3S_NODE_CIDR_MASK = 24;
