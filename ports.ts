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
} as const;

/**
 * K3s's pod and service ranges (its defaults, set explicitly). Pod traffic that crosses nodes leaves
 * through flannel with the sending node's address in the pod range, so policies that admit "the
 * nodes" must name this range as well as the node addresses.
 */
export const K3S_NETWORK = {
  clusterCidr: "10.42.0.0/16",
  serviceCidr: "10.43.0.0/16",
} as const;
