/**
 * The KWOK nodes of `npm run lab:kube` (docs/lab.md): one Node object per K3s VM of a stack, named,
 * labelled, tainted and sized as stage 2 makes it, from the program's own modules (no fact restated):
 * - name, role, taints and allocatable: cluster/facts.ts `k3sClusterFacts` (allocatable from
 *   cluster/reservations.ts, the figures the kubelet reports after the K3s reservations, which the
 *   platform's capacity check also uses), so the real scheduler checks the same capacity claims;
 * - labels: cluster/k3s-config.ts `nodeLabels` (config labels plus the Ceph storage label), the labels
 *   the kubelet sets itself, and the node-role labels K3s gives its servers;
 * - capacity: the VM's vCPUs and memory (what the kubelet reports before reservations).
 */
import { STORAGE_NODE_LABEL, nodeLabels } from "../../cluster/k3s-config";
import { ClusterSettings, parseClusterSettings } from "../../config/cluster";
import { isStorageNode, Topology } from "../../config/topology";
import { parseTopology } from "../../config/validate";
import { k3sClusterFacts } from "../../cluster/facts";
import { VM_ONLY_KEYS } from "../../config/existing-cluster";
import { existingNodesConfig } from "../../existing-cluster/facts";
import { readStackFile } from "../../plan/stack-config";

/** K3s's kubelet default (`max-pods`), which the program does not change. */
export const MAX_PODS = 110;

/** The labels K3s puts on a server's Node (its node-role labels). */
export const K3S_SERVER_ROLE_LABELS = {
  "node-role.kubernetes.io/control-plane": "true",
  "node-role.kubernetes.io/master": "true",
  "node-role.kubernetes.io/etcd": "true",
} as const;

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** `key[=value]:Effect`, as K3s's `node-taint` takes it, to a Node's taint. */
export function parseTaint(text: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text);
  if (!m) throw new Error(`taint "${text}" is not key[=value]:Effect`);
  return m[2] === undefined ? { key: m[1], effect: m[3] as Taint["effect"] } : { key: m[1], value: m[2], effect: m[3] as Taint["effect"] };
}

export interface KwokNode {
  apiVersion: "v1";
  kind: "Node";
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { taints?: Taint[] };
  status: {
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    addresses: { type: string; address: string }[];
    nodeInfo: Record<string, string>;
  };
}

/** The annotation kwok's `--manage-nodes-with-annotation-selector` picks its nodes by. */
export const KWOK_NODE_ANNOTATION = { key: "kwok.x-k8s.io/node", value: "fake" } as const;

/** One node as kwok runs it: what the kubelet would register (`role` k3s-server gets K3s's role labels). */
export interface KwokNodeSpec {
  name: string;
  role: "k3s-server" | "k3s-agent";
  address: string;
  /** `key[=value]:Effect`, as K3s takes them. */
  taints: readonly string[];
  /** Labels besides the kubelet's own and K3s's role labels. */
  labels: Record<string, string>;
  /** The VM's size (the kubelet's capacity) and what it reports after the reservations. */
  vcpus: number;
  memoryMiB: number;
  allocatable: { cpuMilli: number; memoryMiB: number };
}

/** The Node object kwok runs for `spec`. */
export function kwokNodeOf(spec: KwokNodeSpec, kubeletVersion: string): KwokNode {
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": spec.name,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": "amd64",
    ...(spec.role === "k3s-server" ? K3S_SERVER_ROLE_LABELS : {}),
    ...spec.labels,
  };
  const taints = spec.taints.map(parseTaint);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: spec.name, labels, annotations: { [KWOK_NODE_ANNOTATION.key]: KWOK_NODE_ANNOTATION.value, "node.alpha.kubernetes.io/ttl": "0" } },
    spec: taints.length > 0 ? { taints } : {},
    status: {
      capacity: { cpu: `${spec.vcpus}`, memory: `${spec.memoryMiB}Mi`, pods: `${MAX_PODS}` },
      allocatable: { cpu: `${spec.allocatable.cpuMilli}m`, memory: `${spec.allocatable.memoryMiB}Mi`, pods: `${MAX_PODS}` },
      addresses: [
        { type: "InternalIP", address: spec.address },
        { type: "Hostname", address: spec.name },
      ],
      nodeInfo: { kubeletVersion, operatingSystem: "linux", architecture: "amd64", containerRuntimeVersion: "kwok" },
    },
  };
}

/** The Node objects a stack's K3s nodes would register, for kwok to run. */
export function kwokNodes(topology: Topology, settings: Pick<ClusterSettings, "storageNodes">, kubeletVersion: string): KwokNode[] {
  const storage = new Set(settings.storageNodes);
  const vms = new Map(topology.vms.map((vm) => [vm.name, vm]));
  return k3sClusterFacts(topology).nodes.map((node) => {
    const vm = vms.get(node.name);
    if (!vm) throw new Error(`no VM ${node.name}`);
    if (storage.has(node.name) !== isStorageNode(vm)) throw new Error(`${node.name}: storage nodes disagree between config and topology`);
    return kwokNodeOf(
      {
        name: node.name,
        role: node.role,
        address: node.address,
        taints: node.taints,
        labels: nodeLabels(vm, storage.has(node.name)),
        vcpus: vm.vcpus,
        memoryMiB: vm.memoryMiB,
        allocatable: node.allocatable,
      },
      kubeletVersion,
    );
  });
}

/** The storage label, for the lab's checks of where Rook's pods land. */
export const STORAGE_LABEL = STORAGE_NODE_LABEL;

/** The nodes of a stack file (Pulumi.<stack>.yaml in `dir`), validated as the program validates it. */
export function stackKwokNodes(dir: string, stack: string, kubeletVersion: string): KwokNode[] {
  const { config } = readStackFile(dir, stack);
  const topology = parseTopology(config, stack);
  const settings = parseClusterSettings(config, topology);
  return kwokNodes(topology, settings, kubeletVersion);
}

/**
 * The config of the lab's `kube` stack: the VM stack's (Pulumi.<stack>.yaml) stage 3-4 keys, deployed
 * onto the lab cluster as an existing cluster (docs/existing-cluster.md): `existingNodes` are the
 * stack's K3s nodes (`existingNodesConfig` of the K3s facts, as the KWOK nodes), every stage 1-2 key
 * dropped (a stack with kubeconfig refuses them). An existing cluster has no PostgreSQL VM, so an
 * app's `uses.postgres` is dropped too (the program refuses it there), and listed in `dropped`.
 * Without the project prefix; `kubeconfig` and `chartMirror` are set by the lab.
 */
export function labStackConfig(dir: string, stack: string): { config: Record<string, unknown>; dropped: string[] } {
  const { config } = readStackFile(dir, stack);
  const topology = parseTopology(config, stack);
  const dropped: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (VM_ONLY_KEYS.includes(key) || key === "sshPrivateKey") dropped.push(key);
    else out[key] = value;
  }
  out.existingNodes = existingNodesConfig(k3sClusterFacts(topology));
  if (Array.isArray(out.apps)) {
    out.apps = (out.apps as Record<string, unknown>[]).map((app) => {
      const uses = app.uses as Record<string, unknown> | undefined;
      if (!uses || uses.postgres === undefined) return app;
      dropped.push(`apps[${String(app.name)}].uses.postgres`);
      const rest = Object.fromEntries(Object.entries(uses).filter(([k]) => k !== "postgres"));
      return { ...app, uses: rest };
    });
  }
  return { config: out, dropped };
}
