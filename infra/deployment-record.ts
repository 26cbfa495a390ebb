/**
 * What the last `pulumi up` deployed, as far as day two needs it: per VM the fingerprints of what
 * replaces its root disk (its first-boot identity) and its domain (vCPU, memory and the other
 * ForceNew inputs of the libvirt domain), and the base image it was created from; per network and
 * for the pool the fingerprint of their ForceNew inputs; the K3s servers and agents.
 *
 * The program exports it as the stack output `deployment` and reads the previous one back through a
 * StackReference to its own stack (works with every backend, the DIY one included; empty on the
 * first deploy). Comparing the two (`dayTwoProblems`) refuses, before anything is touched, changes
 * that would lose data or the cluster, each naming its config key and saying what to do instead.
 *
 * Pure functions: the fingerprints are hashes of the same plain inputs stage 1 sends to libvirt
 * (infra/machines.ts), restricted to the keys whose change replaces the resource
 * (infra/replace-semantics.json).
 */
import * as pulumi from "@pulumi/pulumi";
import { CephFailureDomain } from "../config/failure-domains";
import { shortHash } from "../config/identity";
import { DEPLOY_STAGES, DeployStage, Topology } from "../config/topology";
import { poolKey } from "../config/hosts";
import { ConfigError } from "../config/validate";
import { placementProblems } from "./placement-day-two";
import semantics from "./replace-semantics.json";

export const DEPLOYMENT_RECORD_VERSION = 1;

/**
 * Version of the steps that run before a K3s node's VM goes (cluster/index.ts): 2 = a drain that
 * does not finish fails the run, a storage node waits for a clean Ceph, the guest powers off
 * cleanly before its domain is deleted. pulumi-command runs the `delete` stored with a command, so
 * a live stack gets these only once a run has updated its steps in place: until its record says
 * so, no K3s node is re-created or removed.
 */
export const NODE_STEPS_VERSION = 2;

export interface MachineRecord {
  role: string;
  os: string;
  /** First-boot identity: the hash in the root disk's name; a new one is a new machine. */
  identity: string;
  /**
   * Rocky VMs: fingerprint of the config their first boot is rendered from (./machines.ts
   * `firstBootInputs`), not of the program's code. Unchanged, a live VM keeps its first boot (and
   * root disk) when a new program renders first boot differently. Absent in earlier records.
   */
  firstBootInputs?: string;
  /** Fingerprint of the domain's ForceNew inputs other than its disks and first-boot object. */
  domain: string;
  /** Size of the Ceph OSD disk (ForceNew: a new size is a new, empty disk). */
  dataDiskGiB?: number;
  /**
   * Size of the Ceph state disk when the domain has it attached (./ceph-state-disk.ts); absent in
   * records of earlier programs, whose storage VMs do not have it yet.
   */
  cephStateDiskGiB?: number;
  /**
   * The host it runs on, the pool of its root disk and (storage nodes) of its Ceph OSD disk. Absent
   * in records of programs before the hosts list: then the first host and its first pool.
   */
  host?: string;
  pool?: string;
  dataPool?: string;
}

/** A host as recorded: its name and its pools with the fingerprint of each pool's inputs (all ForceNew or path-bound). */
export interface HostRecord {
  name: string;
  pools: { name: string; print: string }[];
  /**
   * The libvirt networks defined on this host (infra/placement.ts `networksOn`), each with the
   * fingerprint of its ForceNew inputs there (a bridge network's bridge differs per host:
   * `hostBridges`) and the VMs of this host with a NIC on it. Absent in records of earlier programs.
   */
  networks?: { name: string; print: string; vms: string[] }[];
}

export interface DeploymentRecord {
  version: number;
  /** The DNS domain: every VM's FQDN, the NAT networks' DNS domain, FreeIPA's realm. */
  domain: string;
  /** The Rocky VMs' admin user: the SSH login every command on them uses. */
  adminUser: string;
  /** The network K3s runs on (node-ip, flannel-iface of every node). */
  clusterNetwork: string;
  /** Fingerprint of the first host's first pool (the one pool before the hosts list). */
  pool: string;
  /** Every host in order with its pools; absent in records of programs before the hosts list. */
  hosts?: HostRecord[];
  networks: Record<string, string>;
  machines: Record<string, MachineRecord>;
  k3s: { servers: string[]; agents: string[] };
  /**
   * The CRUSH failure domain of the Ceph layout (config/failure-domains.ts), when not `host`; absent
   * in records of earlier programs and of one-host, one-pool stacks (`host`).
   */
  cephFailureDomain?: CephFailureDomain;
  /**
   * The last stage deployed (`deployUpTo`). Absent in records of earlier programs: then a lowering
   * is not detected.
   */
  deployUpTo?: DeployStage;
  /**
   * NODE_STEPS_VERSION of the program that recorded it; absent in records of earlier programs,
   * whose drain let a failed drain through and whose VMs were powered off hard.
   */
  nodeSteps?: number;
  /**
   * The stages the recording program knew (DEPLOY_STAGES). A record without `apps` among them comes
   * from a program before the apps stage, whose `platform` deployed the apps too.
   */
  stages?: string[];
  /**
   * Where the run took the K3s token from: `config` (the stack config's k3sToken) or `generated`.
   * Absent in records of earlier programs: generated (./k3s-token-day-two.ts).
   */
  k3sToken?: "config" | "generated";
}

/**
 * Whether a stack with this record may still hold K3s node steps whose stored delete is an earlier
 * program's (see NODE_STEPS_VERSION). Not when the last run deployed no cluster: the next creates
 * them afresh.
 */
export function holdsEarlierNodeSteps(previous: DeploymentRecord | undefined): boolean {
  if (!previous || previous.nodeSteps === NODE_STEPS_VERSION) return false;
  return previous.deployUpTo === undefined || DEPLOY_STAGES.indexOf(previous.deployUpTo) >= DEPLOY_STAGES.indexOf("cluster");
}

const RULES = semantics.resources as Record<string, { forceNew: string[] }>;

/**
 * The part of `value` (input `path` of a resource of `type`) whose change replaces the resource:
 * all of it when `path` is ForceNew itself, only its ForceNew fields when some nested field is
 * (e.g. a network's `dns.forwarders`, not its `dns.hosts`), nothing otherwise.
 */
export function forceNewPart(type: string, path: string, value: unknown): unknown {
  const forceNew = RULES[type]?.forceNew ?? [];
  if (forceNew.includes("*") || forceNew.includes(path)) return value;
  const nested = [...new Set(forceNew.filter((k) => k.startsWith(`${path}.`)).map((k) => k.slice(path.length + 1).split(".")[0]))];
  if (nested.length === 0 || value === undefined || value === null) return undefined;
  const project = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(nested.map((k) => [k, forceNewPart(type, `${path}.${k}`, (v as Record<string, unknown>)[k])]))
      : v;
  return Array.isArray(value) ? value.map(project) : project(value);
}

/** Hash of the inputs of a `type` resource whose change replaces it. */
export function replaceFingerprint(type: string, inputs: Record<string, unknown>): string {
  if (!RULES[type]) throw new Error(`no replace rules for ${type}`);
  const picked = Object.fromEntries(Object.keys(inputs).sort().map((k) => [k, forceNewPart(type, k, inputs[k])]));
  return shortHash(JSON.stringify(picked));
}

/** Reads a stack output back into a record; anything else (first deploy, older program) is none. */
export function parseDeploymentRecord(value: unknown): DeploymentRecord | undefined {
  if (!value || typeof value !== "object") return undefined;
  const r = value as Partial<DeploymentRecord>;
  if (r.version !== DEPLOYMENT_RECORD_VERSION || typeof r.domain !== "string" || typeof r.adminUser !== "string" || !r.machines || !r.networks || !r.k3s || typeof r.pool !== "string") return undefined;
  return r as DeploymentRecord;
}

/** The VMs whose disks hold state beyond Ceph, protected with protectStatefulDisks. */
const STATEFUL = ["freeipa", "postgresql"];

export interface DayTwoSettings {
  /** K3s servers in join order (the first is the init server). */
  servers: string[];
  agents: string[];
  /** How many K3s nodes one `pulumi up` may re-create or remove (`k3sNodeChangesPerUp`). */
  k3sNodeChangesPerUp: number;
}

/** What changes for each K3s node between two records. */
export function k3sNodeChanges(previous: DeploymentRecord, current: DeploymentRecord): { name: string; change: "new machine" | "new VM" | "removed" }[] {
  const out: { name: string; change: "new machine" | "new VM" | "removed" }[] = [];
  for (const name of [...previous.k3s.servers, ...previous.k3s.agents]) {
    const before = previous.machines[name];
    const after = current.machines[name];
    if (!after || !isK3s(current, name)) out.push({ name, change: "removed" });
    else if (before && before.identity !== after.identity) out.push({ name, change: "new machine" });
    else if (before && (before.domain !== after.domain || diskLayout(before) !== diskLayout(after))) out.push({ name, change: "new VM" });
  }
  return out;
}

/** Which disks the domain has besides its root disk: a change of `disks` is ForceNew on the domain. */
function diskLayout(m: MachineRecord): string {
  return `${m.dataDiskGiB !== undefined ? "osd" : ""}:${m.cephStateDiskGiB !== undefined ? "state" : ""}`;
}

function isK3s(record: DeploymentRecord, name: string): boolean {
  return record.k3s.servers.includes(name) || record.k3s.agents.includes(name);
}

/**
 * Changes the config allows syntactically but a live stack must not take, each as `key: problem;
 * do this instead`. Empty when there is no previous deployment.
 */
export function dayTwoProblems(previous: DeploymentRecord | undefined, current: DeploymentRecord, topology: Topology, settings: DayTwoSettings): string[] {
  if (!previous) return [];
  const problems: string[] = [];

  if (previous.pool !== current.pool) {
    problems.push(
      `${poolKey(topology, 0, 0, "path")}: moving the storage pool replaces it and every disk in it (root disks, Ceph OSDs); keep the path of a live stack, or move the pool directory on the host and re-import it (pulumi import)`,
    );
  }
  problems.push(...placementProblems(previous, current, topology));
  if (previous.domain !== current.domain) {
    problems.push(
      `domain: renaming the DNS domain of a live stack changes every VM's FQDN, FreeIPA's realm and the NAT networks' DNS domain (which replaces those networks); keep "${previous.domain}", or build a new stack with the new domain and move the data over`,
    );
  }
  for (const [name, print] of Object.entries(previous.networks)) {
    const now = current.networks[name];
    if (previous.domain === current.domain && now !== undefined && now !== print) {
      const i = topology.networks.findIndex((n) => n.name === name);
      const key = networkKeyOf(topology, name) ?? `networks[${i}]`;
      problems.push(
        `${key}: this change replaces libvirt network ${name}, and libvirt never re-attaches running VMs to the new one (their NICs stay on a destroyed bridge); add a new network, move the VMs' NICs to it, then remove the old network`,
      );
    }
  }

  if (previous.adminUser !== current.adminUser) {
    problems.push(
      `adminUser: "${previous.adminUser}" is the SSH login of the running Rocky VMs (every command on them connects as that user); renaming it would give every Rocky VM a new root disk; keep "${previous.adminUser}"`,
    );
  }
  if (previous.clusterNetwork !== current.clusterNetwork) {
    problems.push(
      `clusterNetwork: K3s runs on ${previous.clusterNetwork} (every node's node-ip and flannel interface); moving a live cluster to another network breaks its pod network and etcd; keep "${previous.clusterNetwork}", or rebuild the cluster on purpose`,
    );
  }
  const resizedStateDisks: { name: string; from: number; to: number }[] = [];
  for (const [name, before] of Object.entries(previous.machines)) {
    const after = current.machines[name];
    if (!after) continue;
    if (before.dataDiskGiB !== undefined && after.dataDiskGiB !== undefined && before.dataDiskGiB !== after.dataDiskGiB) {
      problems.push(
        `${vmFieldKeyOf(topology, name, "dataDiskGiB")}: the size of a libvirt volume is ForceNew, so ${before.dataDiskGiB} -> ${after.dataDiskGiB} GiB would replace ${name}'s Ceph OSD disk with an empty one; add a storage node with the new size, let Ceph rebalance, then remove ${name}`,
      );
    }
    if (before.cephStateDiskGiB !== undefined && after.cephStateDiskGiB !== undefined && before.cephStateDiskGiB !== after.cephStateDiskGiB) {
      resizedStateDisks.push({ name, from: before.cephStateDiskGiB, to: after.cephStateDiskGiB });
    }
    if (STATEFUL.includes(before.role) && topology.protectStatefulDisks && before.identity !== after.identity) {
      problems.push(
        `${vmKeyOf(topology, name)}: this change alters ${name}'s first-boot config, which gives it a new root disk, but that disk holds its ${before.role} data (protected by protectStatefulDisks); revert the change, or back up, \`pulumi state unprotect\` the disk and restore afterwards (docs/guest-roles.md)`,
      );
    }
  }

  if (resizedStateDisks.length > 0) {
    const { from, to } = resizedStateDisks[0];
    problems.push(
      `cephStateDiskGiB: the size of a libvirt volume is ForceNew, so ${from} -> ${to} GiB would replace the Ceph state disk (and the mon store on it) of ${resizedStateDisks.map((d) => d.name).join(", ")} with an empty one; keep ${from}`,
    );
  }
  const deployed = deployedStage(previous);
  const lowered = loweredStages(deployed, current.deployUpTo);
  if (lowered) problems.push(`deployUpTo: the last \`pulumi up\` deployed up to "${deployed}"; "${current.deployUpTo}" would delete ${lowered}; keep "${deployed}", or remove the whole stack with \`pulumi destroy\``);
  const changes = k3sNodeChanges(previous, current);
  if (changes.length > settings.k3sNodeChangesPerUp) {
    problems.push(
      `k3sNodeChangesPerUp: this update would re-create or remove ${changes.length} K3s nodes (${changes.map((c) => `${c.name}: ${c.change}`).join(", ")}), at most ${settings.k3sNodeChangesPerUp} per \`pulumi up\`; change one node per run, or raise k3sNodeChangesPerUp for this run (pulumi config set k3sNodeChangesPerUp ${changes.length})`,
    );
  }
  if (changes.length > 0 && holdsEarlierNodeSteps(previous)) {
    problems.push(
      `${changes.map((c) => vmKeyOf(topology, c.name)).join(", ")}: this run would re-create or remove K3s node(s) ${changes.map((c) => `${c.name} (${c.change})`).join(", ")}, but their drain steps were deployed by an earlier program, and Pulumi runs the delete stored with a step: a drain that fails would be ignored and the VM powered off hard. Run \`pulumi up\` once without this change first (it updates every node's steps in place and re-creates nothing), then make the change`,
    );
  }
  const runningServers = previous.k3s.servers.filter((s) => settings.servers.includes(s));
  for (const c of changes) {
    if (!previous.k3s.servers.includes(c.name) || c.change === "new VM") continue;
    const vmKey = vmKeyOf(topology, c.name);
    if (previous.k3s.servers.length === 1) {
      problems.push(
        `${vmKey}: this change gives ${c.name}, the only K3s server, a new root disk (or removes it): its etcd data is the whole cluster and would be lost; add servers first (three, for etcd quorum), or rebuild the cluster on purpose (pulumi destroy)`,
      );
    } else if (runningServers.length < 3) {
      problems.push(
        `${vmKey}: this change gives K3s server ${c.name} a new root disk (or removes it); with ${previous.k3s.servers.length} servers etcd loses quorum when one leaves; add a third server first (k3sServers), then change ${c.name}`,
      );
    }
  }
  return problems;
}

/**
 * The last stage a record says was deployed. Before the apps stage existed, `platform` was everything:
 * a record whose program knew no `apps` stage and says `platform` deployed the apps too.
 */
export function deployedStage(record: DeploymentRecord): DeployStage | undefined {
  if (record.deployUpTo === "platform" && !(record.stages ?? []).includes("apps")) return "apps";
  return record.deployUpTo;
}

/**
 * What lowering `deployUpTo` from `before` to `after` deletes from the stack, as a live stack would
 * see it; undefined when it is no lowering (or the older record has no stage).
 */
function loweredStages(before: DeployStage | undefined, after: DeployStage | undefined): string | undefined {
  if (before === undefined || after === undefined) return undefined;
  const at = (s: DeployStage) => DEPLOY_STAGES.indexOf(s);
  if (at(after) >= at(before)) return undefined;
  // Stage 2's resources go with the cluster token: their deletes (drain, uninstall) and the
  // platform's are skipped (deletedWith), so K3s keeps running, unknown to the stack.
  if (at(after) < at("cluster") && at(before) >= at("cluster")) {
    return "the K3s cluster from the stack without uninstalling it (its per-node deletes go with the cluster token): K3s keeps running on the VMs, unknown to Pulumi, and raising deployUpTo again would install a new cluster with a new token over it";
  }
  if (at(before) >= at("platform") && after === "cluster") {
    return "the platform and the apps while the cluster lives: Helm uninstalls every platform release (the Rook-Ceph cluster included) and every app, and their PVCs' data goes with them";
  }
  if (before === "apps" && after === "platform") {
    return "every app with its namespace: Deployments, Services, routes, certificates, Secrets, and its KafkaTopic resources (the topics and their events go with them)";
  }
  // guest-roles -> vms: the after-boot commands leave the stack (they have no delete); later
  // changes of what they deliver (keys, NTP, backends, records) would no longer reach the VMs.
  return "the after-boot commands from the stack: the VMs keep what they delivered, but later changes of the SSH key, NTP, resolvers, load balancer backends and FreeIPA records would no longer reach them";
}

function vmKeyOf(topology: Topology, name: string): string {
  const i = topology.vms.findIndex((v) => v.name === name);
  return i === -1 ? `vms (${name} removed)` : `vms[${i}] (${name})`;
}

function vmFieldKeyOf(topology: Topology, name: string, field: string): string {
  const i = topology.vms.findIndex((v) => v.name === name);
  return `vms[${i}].${field} (${name})`;
}

function networkKeyOf(topology: Topology, name: string): string | undefined {
  const i = topology.networks.findIndex((n) => n.name === name);
  return i === -1 ? undefined : `networks[${i}] (${name})`;
}

/**
 * The first-boot hash in each live VM's root volume name (`<vm>-root-<hash>.qcow2`), read from the
 * `nodes` output (`rootVolumeId`, the volume's path) of the last `pulumi up`: the actual name, which
 * the record's identity is not for VMs whose first boot carried secrets (earlier programs).
 */
export function liveRootHashes(nodes: unknown): Record<string, string> {
  if (!Array.isArray(nodes)) return {};
  const out: Record<string, string> = {};
  for (const node of nodes as unknown[]) {
    const { name, rootVolumeId } = (node ?? {}) as { name?: unknown; rootVolumeId?: unknown };
    if (typeof name !== "string" || typeof rootVolumeId !== "string") continue;
    const file = rootVolumeId.split("/").pop() ?? "";
    const hash = file.startsWith(`${name}-root-`) && file.endsWith(".qcow2") ? file.slice(name.length + 6, -6) : "";
    if (/^[0-9a-f]{10}$/.test(hash)) out[name] = hash;
  }
  return out;
}

export interface PreviousDeployment {
  record?: DeploymentRecord;
  /** See liveRootHashes. */
  rootHashes: Record<string, string>;
  /** The K3s token the last run deployed (its secret stack output `k3sToken`), for ./k3s-token-day-two.ts. */
  k3sToken?: string;
}

/**
 * The `deployment` and `nodes` outputs of the last `pulumi up` of this very stack, through a
 * StackReference to itself (the backend's last saved state; none on the first deploy or from an
 * older program).
 */
export function previousDeployment(): pulumi.Output<PreviousDeployment> {
  const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
  // `outputs` rather than getOutput: an absent output is no record, not an error.
  return self.outputs.apply((outputs) => {
    const o = outputs as Record<string, unknown> | undefined;
    const token = o?.k3sToken;
    return { record: parseDeploymentRecord(o?.deployment), rootHashes: liveRootHashes(o?.nodes), ...(typeof token === "string" ? { k3sToken: token } : {}) };
  });
}

/**
 * Resolves once the change from `previous` to `current` is one a live stack may take; otherwise
 * fails the program with every problem, naming its key. Stage 1's provider waits for it, so nothing
 * on the host is touched by a refused change (preview and up both stop here).
 */
/**
 * Warnings about a live Ceph whose layout the config changes: Rook v1.20.6 reads an OSD's CRUSH
 * location from its node's labels once, when it first deploys it, and changes an existing pool's
 * rule only with `enableCrushUpdates` (off; pkg/daemon/ceph/client/pool.go), so the OSDs deployed
 * before stay in their old buckets and the pools keep their old failure domain (docs/day-two.md,
 * "Failure domains"). No data is lost; the cluster is not what the plan says until moved by hand.
 */
export function cephLayoutWarnings(previous: DeploymentRecord | undefined, current: DeploymentRecord): string[] {
  if (!previous) return [];
  const stage = deployedStage(previous);
  if (stage === undefined || DEPLOY_STAGES.indexOf(stage) < DEPLOY_STAGES.indexOf("platform")) return [];
  const before = previous.cephFailureDomain ?? "host";
  const after = current.cephFailureDomain ?? "host";
  const live = Object.keys(previous.machines).filter((name) => previous.machines[name].dataDiskGiB !== undefined && current.machines[name]?.dataDiskGiB !== undefined);
  if (before === after || live.length === 0) return [];
  return [
    `hosts: Ceph's failure domain becomes ${after} (was ${before}), but Rook keeps the live pools' CRUSH rule (enableCrushUpdates is off) and the OSDs of ` +
      `${live.join(", ")} in the buckets of their first deployment: the pools still spread replicas by ${before}, and a pool created now would get ` +
      `a ${after} rule over the new OSDs only; move the old OSD nodes under their ${after} buckets and set the pools' rule by hand (docs/day-two.md, "Failure domains")`,
  ];
}

export function admitDayTwoChange(
  previous: pulumi.Output<DeploymentRecord | undefined>,
  current: pulumi.Input<DeploymentRecord>,
  topology: Topology,
  settings: DayTwoSettings,
): pulumi.Output<true> {
  return pulumi.all([previous, current]).apply(([prev, cur]) => {
    const problems = dayTwoProblems(prev, cur, topology, settings);
    if (problems.length > 0) throw new ConfigError(problems);
    for (const warning of cephLayoutWarnings(prev, cur)) void pulumi.log.warn(warning);
    return true as const;
  });
}
