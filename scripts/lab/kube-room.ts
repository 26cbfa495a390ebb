/**
 * Room for the opt-ins in `npm run lab:kube` (docs/lab.md, "Opt-ins"). The lab's stack is prod's
 * nodes as an existing cluster (kube-nodes.ts `labStackConfig`), and prod beside its reference apps
 * has no room for ELK or the builds (the capacity check refuses them, rightly). The remedy the
 * check names for an existing cluster is "add nodes to the cluster and list them in existingNodes":
 * the lab does exactly that, with KWOK nodes sized as the K3s agents a second host like prod's first
 * would hold (cluster/second-host.ts `secondHostRoom`, the figure the check prints for a VM stack),
 * as few of them as the opt-ins need. The check itself is the program's, unchanged: it counts the
 * new nodes' allocatable because they are in `existingNodes`, as on any existing cluster.
 *
 * Pure: the capacity check as index.ts runs it on an existing-cluster stack (from the raw stack
 * config), the nodes, and what adding them changes (tests/lab-kube-opt-ins.test.ts).
 */
import { assertStackFits } from "../../apps/capacity";
import { APPS_NAMESPACE } from "../../apps/render";
import { ClusterNode } from "../../cluster-facts";
import { allocatable } from "../../cluster/reservations";
import { secondHostRoom } from "../../cluster/second-host";
import { parseApps } from "../../config/apps";
import { BACKUP_SECRET_KEYS, parseBackupSettings, RawBackupSecrets } from "../../config/backup";
import { parseExistingCluster } from "../../config/existing-cluster";
import { parseIpv4 } from "../../config/net";
import { OptInContext, parsePlatformSettings } from "../../config/platform";
import { isK3sNode, Topology } from "../../config/topology";
import { ConfigError } from "../../config/validate";
import { existingClusterFacts, existingNodesConfig } from "../../existing-cluster/facts";
import { renderNetworkPolicies } from "../../platform/network-policies";
import { OPT_INS, optInContext } from "../../platform/opt-ins";
import { planPlatform } from "../../platform/plan";
import { volumeBackupPlan } from "../../platform/volume-backups";
import { KwokNode, kwokNodeOf } from "./kube-nodes";

/** The names the lab gives the added nodes (a second host's agents, as its VMs would be named). */
export const ROOM_NODE_PREFIX = "lab-second-host-agent";

/**
 * The capacity check of an existing-cluster stack, as index.ts runs it (`assertStackFits` with the
 * platform, the apps at replicas.max and the volume backups, more room: existingNodes), from the raw
 * stack config (keys without the project prefix) and the names of the secret keys that are set.
 * Returns the refusal's problems, or [] when the stack fits.
 */
export function capacityRefusal(raw: Record<string, unknown>, secretKeys: readonly string[]): string[] {
  const existing = parseExistingCluster(raw);
  const facts = existingClusterFacts(existing, String(raw.domain));
  // What config/platform.ts's loader reads from the other keys for the opt-ins (builds: where to push).
  const context: OptInContext = {
    ...optInContext(),
    ...(raw.builds !== undefined ? { builds: { appsRegistry: raw.appsRegistry as string | undefined, pushPassword: { set: secretKeys.includes("buildsPushPassword"), secret: true } } } : {}),
  };
  const platform = parsePlatformSettings(raw, { nodes: existing.nodes }, context);
  const apps = parseApps(raw, { domain: String(raw.domain), vms: [] }).apps;
  // The secrets' values do not count, only that they are set (the check reads none of them).
  const secrets: RawBackupSecrets = Object.fromEntries(BACKUP_SECRET_KEYS.filter((k) => secretKeys.includes(k)).map((k) => [k, { value: "x".repeat(40), secret: true }]));
  const backups = parseBackupSettings(raw, secrets, "kube");
  try {
    assertStackFits(facts, platform, apps, volumeBackupPlan(backups, apps, APPS_NAMESPACE), { kind: "existingNodes" });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

/** `raw` with every opt-in of `keys` on with its OPT_INS example (and the plain keys it needs that are absent). */
export function withOptIns(raw: Record<string, unknown>, keys: readonly string[] = OPT_INS.map((o) => o.key)): Record<string, unknown> {
  const out = { ...raw };
  for (const o of OPT_INS.filter((x) => keys.includes(x.key))) {
    out[o.key] = o.example;
    for (const [k, v] of Object.entries(o.needs?.config ?? {})) if (out[k] === undefined) out[k] = v;
  }
  return out;
}

/** The next `count` free addresses after the highest of `taken` in its /24 (the cluster network). */
export function nextAddresses(taken: readonly string[], count: number): string[] {
  const highest = [...taken].sort((a, b) => (parseIpv4(a) ?? 0) - (parseIpv4(b) ?? 0)).pop();
  if (!highest) throw new Error("no node address to continue from");
  const [a, b, c, d] = highest.split(".").map(Number);
  if (d + count > 254) throw new Error(`no room for ${count} more addresses after ${highest} in ${a}.${b}.${c}.0/24`);
  return Array.from({ length: count }, (_, i) => `${a}.${b}.${c}.${d + 1 + i}`);
}

export interface Room {
  /** What the nodes are, in one line (the step's). */
  description: string;
  /** The KWOK Node objects. */
  nodes: KwokNode[];
  /** Their `existingNodes` entries, as the stack config holds them. */
  existingNodes: Record<string, unknown>[];
}

/**
 * The first `count` K3s agents a second host like the topology's first would hold, as KWOK nodes
 * and `existingNodes` entries: allocatable from the capacity model (as secondHostRoom gives it),
 * the copied agent's vCPUs and memory as capacity, addresses after `taken`, no taint, no Ceph disk.
 */
export function secondHostAgents(topology: Topology, count: number, taken: readonly string[], kubeletVersion: string, flatcar: boolean): Room {
  const more = secondHostRoom(topology);
  if (more.kind !== "secondHost") throw new Error("no second host for this topology");
  if (count < 1 || count > more.nodes.length) throw new Error(`${count} agents asked; ${more.description}`);
  // The VM the agents copy: the schedulable K3s node whose allocatable they share.
  const like = topology.vms.find((vm) => isK3sNode(vm) && JSON.stringify(allocatable(vm)) === JSON.stringify(more.nodes[0].allocatable));
  if (!like) throw new Error(`no VM of ${topology.stack} has the agents' allocatable`);
  const addresses = nextAddresses(taken, count);
  const cluster: ClusterNode[] = more.nodes.slice(0, count).map((n, i) => ({ ...n, name: `${ROOM_NODE_PREFIX}${i + 1}`, address: addresses[i], topologyLabels: undefined, host: undefined }));
  return {
    description: `${count} of the ${more.nodes.length} K3s agents ${more.description.replace(/ holding \d+ K3s agents? like/, " would hold, like")}`,
    nodes: cluster.map((n) =>
      kwokNodeOf({ name: n.name, role: "k3s-agent", address: n.address, taints: [], labels: {}, vcpus: like.vcpus, memoryMiB: like.memoryMiB, allocatable: n.allocatable }, kubeletVersion),
    ),
    existingNodes: existingNodesConfig({ nodes: cluster, flatcarReboots: flatcar }),
  };
}

/**
 * The fewest second-host agents with which the stack `raw` with every opt-in on fits (the check's
 * own arithmetic), and the Room they make; throws when a whole second host is not enough.
 */
export function roomForOptIns(raw: Record<string, unknown>, secretKeys: readonly string[], topology: Topology, kubeletVersion: string): Room & { count: number } {
  const nodes = raw.existingNodes as Record<string, unknown>[];
  const taken = nodes.map((n) => String(n.address));
  const flatcar = nodes.every((n) => n.os === "flatcar");
  const on = withOptIns(raw);
  // The opt-ins' secret needs (buildsPushPassword) are set with them.
  const secrets = [...secretKeys, ...OPT_INS.flatMap((o) => Object.keys(o.needs?.secrets ?? {}))];
  const total = (secondHostRoom(topology) as { nodes: unknown[] }).nodes.length;
  for (let count = 1; count <= total; count++) {
    const room = secondHostAgents(topology, count, taken, kubeletVersion, flatcar);
    if (capacityRefusal({ ...on, existingNodes: [...nodes, ...room.existingNodes] }, secrets).length === 0) return { ...room, count };
  }
  throw new Error(`the opt-ins do not fit even with a whole second host: ${capacityRefusal(on, secrets).join("; ")}`);
}

/**
 * What adding nodes to `existingNodes` changes in the program's objects, as "<op> <Kind> <name>"
 * preview steps: the NetworkPolicies that list the nodes' addresses (the platform renders them from
 * the nodes: Rook's egress to the nodes, Prometheus's scrape of the kubelets and node exporters),
 * updated in place. Nothing else of the platform depends on the node list (the replica counts do
 * only below three schedulable nodes, which prod already has).
 */
export function roomPolicyUpdates(raw: Record<string, unknown>, added: Record<string, unknown>[]): string[] {
  const policies = (existingNodes: unknown) => {
    const existing = parseExistingCluster({ ...raw, existingNodes });
    const facts = existingClusterFacts(existing, String(raw.domain));
    const settings = parsePlatformSettings(raw, { nodes: existing.nodes }, optInContext());
    return new Map(renderNetworkPolicies(planPlatform({ ...facts, settings })).map((p) => [`${p.namespace}-${p.name}`, JSON.stringify(p.spec)]));
  };
  const before = policies(raw.existingNodes);
  const after = policies([...(raw.existingNodes as unknown[]), ...added]);
  const changed = [...after].filter(([k, v]) => before.has(k) && before.get(k) !== v).map(([k]) => `update NetworkPolicy platform-${k}`);
  const other = [...after.keys()].filter((k) => !before.has(k)).concat([...before.keys()].filter((k) => !after.has(k)));
  if (other.length > 0) throw new Error(`adding nodes would create or delete NetworkPolicies: ${other.join(", ")}`);
  return changed.sort();
}
