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
 * Names under the stack's domain that Traefik routes (`<name>.<domain>`). FreeIPA resolves each of
 * them to the load balancer, and the platform's routes answer on them.
 */
export const INGRESS_HOSTS = {
  grafana: "grafana",
  traefikDashboard: "traefik",
  cephDashboard: "ceph",
  /**
   * Argo CD's UI, routed only with the `gitops` opt-in. Reserved on every stack (FreeIPA's record,
   * no app may take it), so turning GitOps on or off changes no DNS record.
   */
  argocd: "argocd",
} as const;

/**
 * The registry opt-in's route (`registry.<domain>`, platform/values/zot.ts). Not in INGRESS_HOSTS: it
 * gets a certificate and a DNS record only while the opt-in is on; an app may never take the name.
 */
export const REGISTRY_HOST = "registry";

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
