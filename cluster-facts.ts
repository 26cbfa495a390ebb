/**
 * What stage 3 (and the capacity check before anything is created) needs to know about the
 * Kubernetes cluster it deploys onto, as plain data. Two sources provide it: the K3s stage from the
 * VM topology (`cluster/facts.ts`), or an existing cluster from its `existingNodes` list
 * (`existing-cluster/facts.ts`). It lives below the stages, so the platform reads it without
 * importing either source.
 */

export interface NodeCapacity {
  cpuMilli: number;
  memoryMiB: number;
}

export interface ClusterNode {
  /** Kubernetes node name. */
  name: string;
  /** Whether the node runs the API server (its address then serves :6443 and etcd metrics :2381). */
  role: "k3s-server" | "k3s-agent";
  /** The node's InternalIP: API server endpoints, NetworkPolicy peers (Ceph, scrapes). */
  address: string;
  /** `key[=value]:Effect`, as the node carries them. */
  taints: string[];
  /** Raw disk Rook takes for a Ceph OSD (`/dev/vdb`, `sdb`); only on storage nodes. */
  cephDevice?: string;
  /** What the kubelet reports as allocatable (requests of every pod must fit it). */
  allocatable: NodeCapacity;
  /** The physical machine (KVM host) the node runs on; unknown (undefined) on an existing cluster. */
  host?: string;
  /** The physical disk its Ceph OSD writes to (`<host>-<pool>`); storage nodes of a VM topology. */
  cephDisk?: string;
  /** Failure-domain labels the node carries (topology.kubernetes.io/zone, topology.rook.io/chassis). */
  topologyLabels?: Record<string, string>;
}

export interface IngressEndpoint {
  /** Address clients outside the cluster use (the load balancer, a node, or the user's load balancer). */
  address: string;
  httpsPort: number;
  /**
   * Where clients outside the cluster reach MQTT, which is plain text: the load balancer VM's first
   * VM-network (NAT) address, never its LAN one; a node, or the user's address on an existing cluster.
   */
  mqttAddress: string;
  mqttPort: number;
  /**
   * The Service type of Traefik and Mosquitto: `NodePort` behind the load balancer VM (or straight
   * to a node), `LoadBalancer` where the cluster has a load balancer implementation (MetalLB,
   * K3s's ServiceLB, a cloud's).
   */
  serviceType: "NodePort" | "LoadBalancer";
}

/**
 * The user's own ACME server (an existing cluster's `tlsIssuer: acme`): its directory URL, the
 * account's e-mail, the External Account Binding key id (its HMAC key is a secret, wired apart) and
 * the PEM CA bundle the server's HTTPS certificate chains to, when not a public one.
 */
export interface AcmeServer {
  server: string;
  email: string;
  eabKeyId?: string;
  caBundle?: string;
}

/**
 * The issuer of the platform's and the apps' certificates (a cert-manager ClusterIssuer), and the
 * ingress address pods reach (cert-manager's HTTP-01 self-check goes through it):
 * - `freeipa`: FreeIPA's ACME service on the VM topology (FreeIPA as pods reach it);
 * - `selfSigned`: a CA the program makes in the cluster (an existing cluster's `tlsIssuer: selfSigned`);
 * - `acme`: the user's ACME server (an existing cluster's `tlsIssuer: acme`).
 */
export type TlsFacts =
  | { issuer: "freeipa"; freeipa: { fqdn: string; address: string }; ingressAddress: string }
  | { issuer: "selfSigned"; ingressAddress: string }
  | { issuer: "acme"; acme: AcmeServer; ingressAddress: string };

export interface ClusterFacts {
  domain: string;
  nodes: ClusterNode[];
  ingress: IngressEndpoint;
  /** The cluster's pod range: host processes reach pods on other nodes from an address in it (flannel). */
  podCidr: string;
  /**
   * Whether every node runs Flatcar with its own reboots held back for kured (stage 1's Ignition
   * sets `REBOOT_STRATEGY=off`): then kured installs and reboots nodes whose update is staged.
   */
  flatcarReboots: boolean;
  /** Undefined without an issuer (no FreeIPA VM, no `tlsIssuer`): routes use Traefik's default certificate. */
  tls?: TlsFacts;
}

/**
 * Where more room for pods would come from, for the capacity check's refusals (issue 19): on the VM
 * topology, a second KVM host like the first, filled with K3s agents like the first host's (its
 * nodes as the K3s stage would make them, cluster/second-host.ts); on an existing cluster, more
 * `existingNodes`, whose size the program cannot guess.
 */
export type MoreRoom = { kind: "secondHost"; description: string; nodes: ClusterNode[] } | { kind: "existingNodes" };

/** A node ordinary pods land on: no NoSchedule/NoExecute taint. */
export function isSchedulable(node: Pick<ClusterNode, "taints">): boolean {
  return !node.taints.some((t) => /:(NoSchedule|NoExecute)$/.test(t));
}
