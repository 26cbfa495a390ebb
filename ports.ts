/**
 * Fixed ports shared by the load balancer VM (stage 1 guest role) and the platform (stage 3): the
 * load balancer forwards the public ports to these NodePorts on every K3s agent, so both sides must
 * read them from here.
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
