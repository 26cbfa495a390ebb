/**
 * Load balancer: the layer-4 entry of the cluster, HAProxy from Rocky's AppStream (the seed names
 * Traefik here; Traefik already runs inside the cluster as the ingress controller, and a TCP
 * forwarder with health checks in front of it is HAProxy's home ground: see docs/guest-roles.md).
 * Backends come from the topology: K3s servers for the API, K3s agents for Traefik's NodePorts. First
 * boot only installs HAProxy (the VM's own business); the config, which lists other VMs, is
 * delivered after boot by GuestRoles.reconcile, so a new worker never changes this VM's first boot.
 */
import { RoleSettings } from "../../config/roles";
import { nicOn, reachableNic, Topology, VmSpec, vmsWithRole } from "../../config/topology";
import { INGRESS, K3S_API_PORT } from "../../ports";
import { CloudConfigFragment } from "../cloudinit";
import { renderFirewallScript } from "./firewall";
import { networkOf, vmNetworksOf } from "./networks";
import { renderReconcileScript } from "./reconcile";
import { executable, loadScript, SBIN } from "./shell";

export const LOADBALANCER_FILES = {
  /** HAProxy's own config file: written by the backends command, never by first boot. */
  haproxy: "/etc/haproxy/haproxy.cfg",
  setup: `${SBIN}/fmc-loadbalancer-setup`,
  firewall: `${SBIN}/fmc-firewall`,
} as const;

/** Kubernetes' default NodePort range: a NodePort outside it would never be allocated. */
const NODE_PORT_RANGE = { min: 30000, max: 32767 };

export interface Backend {
  name: string;
  address: string;
}

export interface Listener {
  /** HAProxy section name. */
  name: string;
  binds: string[];
  port: number;
  backendPort: number;
  backends: Backend[];
  /** Long-lived streams (API watches, MQTT sessions) outlive the short client/server timeouts. */
  longLived: boolean;
  /** An HTTPS check instead of a TCP connect: the backend's path and the statuses that count as up. */
  httpsCheck?: { path: string; statuses: number[] };
}

/**
 * The K3s API's check. K3s's supervisor accepts on 6443 as soon as K3s runs and answers 503
 * ("apiserver not ready") until its kube-apiserver is up, so a TCP connect takes a server in too
 * early. K3s starts the kube-apiserver with `anonymous-auth=false` (pkg/daemons/control/server.go),
 * so the probe, which has no credentials, gets 401 from the kube-apiserver's authentication once it
 * serves; 200 where anonymous requests are allowed (system:public-info-viewer grants /readyz).
 * Either proves the API server itself answers; an anonymous probe cannot see /readyz's verdict on
 * etcd. TLS without verification: the load balancer is configured before K3s exists and holds no
 * copy of its server CA (the check carries no secret, and traffic is passed through as TCP).
 */
export const K3S_API_CHECK = { path: "/readyz", statuses: [200, 401] } as const;

/** Each node's address on the cluster network when the load balancer is there too, else any shared one. */
function backendsOf(lb: VmSpec, vms: VmSpec[], topology: Topology): Backend[] {
  const onCluster = nicOn(lb, topology.clusterNetwork) !== undefined;
  return vms.map((vm) => {
    const nic = (onCluster ? nicOn(vm, topology.clusterNetwork) : undefined) ?? reachableNic(lb, vm);
    if (!nic) throw new Error(`load balancer ${lb.name} shares no network with backend ${vm.name}`);
    return { name: vm.name, address: nic.address };
  });
}

function checkPort(what: string, port: number, min = 1, max = 65535): void {
  if (!Number.isInteger(port) || port < min || port > max) throw new Error(`ports.ts: ${what} ${port} is outside ${min}-${max}`);
}

/**
 * The load balancer's addresses on the VM networks (its NAT legs): the K3s API and MQTT listen only
 * there. MQTT is plain text, so it stays off the LAN; clients outside the cluster reach it from the VM
 * networks (the bastion, the VPN) with their own credentials (platform/mqtt-users.ts).
 */
export function vmNetworkAddresses(lb: VmSpec, topology: Topology): string[] {
  return lb.nics.filter((n) => networkOf(topology, n.network).mode === "nat").map((n) => n.address);
}

/** Entry points that never listen on the LAN (see vmNetworkAddresses). */
const VM_NETWORKS_ONLY: ReadonlySet<string> = new Set(["mqtt"]);

/** What the load balancer listens on and forwards to, derived from the topology and ports.ts. */
export function loadBalancerListeners(lb: VmSpec, topology: Topology): Listener[] {
  const servers = backendsOf(lb, vmsWithRole(topology, "k3s-server"), topology);
  // NodePorts answer on every node; agents carry the workload, servers are tainted. A topology
  // without agents still gets an ingress through its servers.
  const agents = vmsWithRole(topology, "k3s-agent");
  const ingress = backendsOf(lb, agents.length > 0 ? agents : vmsWithRole(topology, "k3s-server"), topology);
  const all = lb.nics.map((n) => n.address);
  // The API is for nodes and operators (via the bastion or the VPN), not for the LAN.
  const internal = vmNetworkAddresses(lb, topology);
  checkPort("K3S_API_PORT", K3S_API_PORT);
  const listeners: Listener[] = [
    {
      name: "k3s-api",
      binds: internal.length > 0 ? internal : all,
      port: K3S_API_PORT,
      backendPort: K3S_API_PORT,
      backends: servers,
      longLived: true,
      httpsCheck: { path: K3S_API_CHECK.path, statuses: [...K3S_API_CHECK.statuses] },
    },
  ];
  for (const [name, entry] of Object.entries(INGRESS)) {
    checkPort(`INGRESS.${name}.publicPort`, entry.publicPort);
    checkPort(`INGRESS.${name}.nodePort`, entry.nodePort, NODE_PORT_RANGE.min, NODE_PORT_RANGE.max);
    const binds = VM_NETWORKS_ONLY.has(name) ? internal : all;
    // A load balancer on the LAN only has no VM-network leg: MQTT is not served through it then.
    if (binds.length === 0) continue;
    listeners.push({ name: `ingress-${name}`, binds, port: entry.publicPort, backendPort: entry.nodePort, backends: ingress, longLived: name === "mqtt" });
  }
  return listeners;
}

export function renderHaproxyConfig(lb: VmSpec, topology: Topology): string {
  const sections = [
    [
      `# HAProxy on ${lb.name}, generated by FlatcarMicroCloud from the topology and ports.ts.`,
      "global",
      "    log /dev/log local0",
      "    maxconn 8192",
      "    user haproxy",
      "    group haproxy",
      "    stats socket /var/lib/haproxy/stats mode 600 level admin",
    ].join("\n"),
    [
      "defaults",
      "    mode tcp",
      "    log global",
      "    option tcplog",
      "    option dontlognull",
      "    timeout connect 5s",
      "    timeout client 1m",
      "    timeout server 1m",
      "    timeout check 5s",
      "    # A check every 5 s (a TCP connect unless the backend says otherwise); 3 failures take a",
      "    # backend out, 2 successes put it back.",
      "    default-server inter 5s fall 3 rise 2",
    ].join("\n"),
  ];
  for (const l of loadBalancerListeners(lb, topology)) {
    sections.push(
      [
        `frontend ${l.name}`,
        ...l.binds.map((address) => `    bind ${address}:${l.port}`),
        ...(l.longLived ? ["    timeout client 1h"] : []),
        `    default_backend ${l.name}`,
      ].join("\n"),
      [
        `backend ${l.name}`,
        "    balance roundrobin",
        ...(l.longLived ? ["    timeout server 1h", "    timeout tunnel 1h"] : []),
        ...(l.httpsCheck ? [`    option httpchk GET ${l.httpsCheck.path}`, `    http-check expect rstatus ^(${l.httpsCheck.statuses.join("|")})$`] : []),
        ...l.backends.map((b) => `    server ${b.name} ${b.address}:${l.backendPort} check${l.httpsCheck ? " check-ssl verify none" : ""}`),
      ].join("\n"),
    );
  }
  return `${sections.join("\n\n")}\n`;
}

export function loadBalancerFragment(vm: VmSpec, topology: Topology, _settings: RoleSettings): CloudConfigFragment {
  const natNetworks = vmNetworksOf(vm, topology).map((n) => n.cidr);
  const vmNetworks = natNetworks.length > 0 ? natNetworks : vm.nics.map((n) => networkOf(topology, n.network).cidr);
  const firewall = renderFirewallScript(vm.name, {
    services: ["http", "https"],
    ports: [],
    // SSH, the API and MQTT (plain text) only from the VM networks: the bastion is the only SSH entry
    // from the LAN, and VPN clients arrive masqueraded to the bastion's VM-network address.
    restricted: [
      { sources: vmNetworks, service: "ssh" },
      { sources: vmNetworks, port: `${K3S_API_PORT}/tcp` },
      { sources: vmNetworks, port: `${INGRESS.mqtt.publicPort}/tcp` },
    ],
  });
  return {
    packages: ["firewalld", "haproxy"],
    write_files: [
      executable(LOADBALANCER_FILES.firewall, firewall),
      executable(LOADBALANCER_FILES.setup, loadScript("loadbalancer-setup.sh")),
    ],
    steps: [
      { name: "firewall", command: [LOADBALANCER_FILES.firewall] },
      { name: "loadbalancer-setup", command: [LOADBALANCER_FILES.setup] },
    ],
  };
}

/**
 * The backends command's script (run with `renderHaproxyConfig` on stdin): waits for first boot,
 * checks the config with `haproxy -c`, installs it when it differs from the live one, and reloads
 * (or starts) HAProxy only then.
 */
export function renderLoadBalancerBackendsScript(lb: VmSpec): string {
  return renderReconcileScript({
    vmName: lb.name,
    purpose: `HAProxy config of ${lb.name} (frontends and the backends of the current topology), from stdin.`,
    body: "loadbalancer-backends.sh",
    vars: {},
  });
}
