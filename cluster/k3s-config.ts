/**
 * /etc/rancher/k3s/config.yaml of one node, from plain data. Keys are K3s's flag names; settings
 * the servers must agree on (`disable`, `secrets-encryption`) come from one place here.
 */
import { stringify } from "yaml";
import { NodeInfo } from "../nodes";
import { K3S_NETWORK } from "../ports";
import { kubeletReservationArgs } from "./reservations";

/** The label Rook's placement selects OSD nodes by (the platform stage reads it from here). */
export const STORAGE_NODE_LABEL = { key: "flatcarmicrocloud.io/storage", value: "ceph" } as const;

/** Built-in K3s add-ons the platform replaces: Traefik from Helm, the load balancer VM, Rook's `ceph-block`. */
export const DISABLED_ADDONS = ["traefik", "servicelb", "local-storage"] as const;

/**
 * `init-server`: the one server that creates the cluster (`cluster-init`); `server`: joins it as
 * another control-plane and etcd member; `agent`: a worker.
 */
export type K3sNodeKind = "init-server" | "server" | "agent";

export interface K3sNodeConfigArgs {
  node: NodeInfo;
  kind: K3sNodeKind;
  token: string;
  /** `https://<first server>:6443`: where a joining node registers (unused by the init server). */
  serverUrl: string;
  /** Extra API certificate names (servers only). */
  tlsSans: string[];
  storage: boolean;
  /** Servers only: K3s's etcd snapshot keys (./etcd-snapshots.ts), credentials included. */
  etcdSnapshots?: Record<string, unknown>;
  /**
   * The air gap (`registryMirror.airGap`): containerd pulls only from the mirrors of registries.yaml,
   * never the public registries (K3s `disable-default-registry-endpoint`, ./registries.ts).
   */
  disableDefaultRegistryEndpoint?: boolean;
}

/** Well-known kubernetes.io labels the kubelet may set on its own Node (NodeRestriction). */
const KUBELET_LABELS = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/arch",
  "kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
]);

/**
 * True when the kubelet may register the label itself. The kubelet refuses to start with any other
 * label in the kubernetes.io / k8s.io namespaces (e.g. `node-role.kubernetes.io/worker`), so those
 * are applied from a server with kubectl instead.
 */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash === -1) return true;
  const prefix = key.slice(0, slash);
  const reserved = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  if (!reserved) return true;
  return KUBELET_LABELS.has(key) || /(^|\.)(kubelet|node)\.kubernetes\.io$/.test(prefix);
}

/** Every label a node should carry: its config labels plus the storage label on Ceph nodes. */
export function nodeLabels(node: Pick<NodeInfo, "labels">, storage: boolean): Record<string, string> {
  return storage ? { ...node.labels, [STORAGE_NODE_LABEL.key]: STORAGE_NODE_LABEL.value } : { ...node.labels };
}

function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export function renderK3sConfig(args: K3sNodeConfigArgs): string {
  const { node, kind } = args;
  if (!node.clusterAddress || !node.clusterIface) {
    throw new Error(`${node.name} has no address on the cluster network; it cannot be a K3s node`);
  }
  if (kind !== "init-server" && !args.serverUrl.startsWith("https://")) {
    throw new Error(`${node.name}: a joining node needs the https:// URL of a server, got "${args.serverUrl}"`);
  }
  const labels = labelArgs(nodeLabels(node, args.storage)).filter((l) => kubeletMaySetLabel(l.split("=")[0]));

  const config: Record<string, unknown> = {
    token: args.token,
    "node-name": node.name,
    "node-ip": node.clusterAddress,
    // No flannel-iface here: the NIC's name is not reliable (a .link rename does not apply to a NIC
    // already up), so the service's ExecStartPre writes the interface that carries node-ip into
    // config.yaml.d at every start (cluster/scripts/flannel-iface.sh).
  };
  if (kind === "init-server") config["cluster-init"] = true;
  else config.server = args.serverUrl;
  if (kind !== "agent") {
    Object.assign(config, {
      "tls-san": args.tlsSans,
      disable: [...DISABLED_ADDONS],
      "secrets-encryption": true,
      "write-kubeconfig-mode": "0600",
      // K3s's defaults, stated: the platform's NetworkPolicies and the topology check name them.
      "cluster-cidr": K3S_NETWORK.clusterCidr,
      "service-cidr": K3S_NETWORK.serviceCidr,
      // Prometheus scrapes etcd here; the other control-plane components stay on 127.0.0.1.
      "etcd-expose-metrics": true,
      ...args.etcdSnapshots,
    });
  }
  config["kubelet-arg"] = kubeletReservationArgs(kind === "agent" ? "agent" : "server");
  // Only when set: a stack without the air gap keeps its config.yaml byte for byte.
  if (args.disableDefaultRegistryEndpoint) config["disable-default-registry-endpoint"] = true;
  if (labels.length > 0) config["node-label"] = labels;
  // Registered with the node, so nothing is scheduled before the taint exists.
  if (node.taints.length > 0) config["node-taint"] = [...node.taints];

  const header = `# Written by FlatcarMicroCloud (Pulumi, stage 2). Edits here are replaced on the next \`pulumi up\`.\n`;
  return header + stringify(config, { lineWidth: 0 });
}
