/**
 * Day two across hosts and pools: what the last `pulumi up` recorded of each VM's host and pools
 * (./deployment-record.ts) against this run's config.
 *
 * From the engine's and the provider's rules, not the mock engine's: a resource whose provider
 * changes to another provider is replaced (the old one deleted through the old provider, the new
 * one created through the new), and a volume's `pool` is ForceNew (terraform-provider-libvirt 0.8.3,
 * ../shared/reference/libvirt/force-new-0.8.3.json). So moving a VM to another host gives it a new,
 * empty root disk and, for a storage node, a new, empty Ceph OSD disk; moving it to another pool
 * replaces the disks in that pool. libvirt has no move between pools or hosts here, so each is
 * refused, with the safe way: a new VM where it should be, then drain and remove the old one.
 * Removing a host (or pool) is refused while the record has VMs (or disks) on it. A network of a
 * host is replaced there when a ForceNew input of it changes there (a bridge network's bridge on a
 * host other than the first: `hostBridges`), and deleted there when a NAT network moves to another
 * host (`networks[].host`); libvirt never re-attaches running VMs to a new network (the provider's
 * domain update does not touch NICs: infra/replace-semantics.json `domainUpdateNote`), so either is
 * refused while the record has VMs of that host on the network. Renaming the first host changes no
 * libvirt object, but its name is the zone (and chassis) label of its K3s nodes once labels are in
 * use, and Rook keeps a live OSD's CRUSH location: refused then.
 *
 * A host's identity is its provider's (./placement.ts): the first host's (`<prefix>-host`) whatever
 * its name, the others' by name. Records of programs before the hosts list name no host or pool:
 * every VM there was on the first host's first pool.
 */
import { hostKey } from "../config/hosts";
import { Topology } from "../config/topology";
import type { DeploymentRecord, HostRecord, MachineRecord } from "./deployment-record";
import { hostIdentity, HostNames, poolIdentity } from "./placement";

interface Placement {
  /** For messages. */
  hostName: string;
  poolName: string;
  dataPoolName?: string;
  /** Identities: equal means the same provider, pool resource and libvirt pool. */
  host: string;
  pool: string;
  dataPool?: string;
}

/** The hosts a record knows; an earlier record's one host has neither name nor pool names. */
function hostsOf(record: DeploymentRecord): HostRecord[] {
  return record.hosts ?? [];
}

/**
 * Where a recorded VM lives. `named`: the hosts whose names stand for the first host and pool in
 * messages when the record (an earlier program's) names none.
 */
function placementOf(record: DeploymentRecord, m: MachineRecord, named: HostRecord[] = []): Placement {
  const names: HostNames = { hosts: hostsOf(record) };
  const first = names.hosts[0];
  const hostName = m.host ?? first?.name ?? named[0]?.name ?? "the first host";
  const host = names.hosts.find((h) => h.name === hostName) ?? first;
  const poolName = m.pool ?? host?.pools[0]?.name ?? named[0]?.pools[0]?.name ?? "its first pool";
  const dataPoolName = m.dataDiskGiB === undefined ? undefined : (m.dataPool ?? poolName);
  // Without hosts in the record, everything was on the first host's first pool.
  const id = (pool: string) => (first ? poolIdentity(names, { host: hostName, pool }) : "");
  return {
    hostName,
    poolName,
    ...(dataPoolName !== undefined ? { dataPoolName } : {}),
    host: first ? hostIdentity(names, hostName) : "",
    pool: id(poolName),
    ...(dataPoolName !== undefined ? { dataPool: id(dataPoolName) } : {}),
  };
}

function vmKey(topology: Topology, name: string, field: "host" | "pool" | "dataPool"): string {
  return `vms[${topology.vms.findIndex((v) => v.name === name)}].${field} (${name})`;
}

/** Moves of a VM between hosts and pools, refused with the safe way to do them. */
function moveProblems(previous: DeploymentRecord, current: DeploymentRecord, topology: Topology): string[] {
  const problems: string[] = [];
  for (const [name, before] of Object.entries(previous.machines)) {
    const after = current.machines[name];
    if (!after) continue;
    const was = placementOf(previous, before, hostsOf(current));
    const now = placementOf(current, after);
    const safeWay = (where: string) =>
      `add a new VM (another name) ${where} in this run or the next, let it join the cluster${before.dataDiskGiB !== undefined ? " and Ceph rebalance onto its OSD" : ""}, ` +
      `then remove ${name} from vms (its node is drained and removed from the cluster before its VM and disks go)`;
    if (was.host !== now.host) {
      problems.push(
        `${vmKey(topology, name, "host")}: moving ${name} from host ${was.hostName} to ${now.hostName} would replace its domain and every disk of it ` +
          "(their libvirt provider changes, and Pulumi replaces a resource whose provider changes): a new, empty machine" +
          `${before.dataDiskGiB !== undefined ? " with an empty Ceph OSD disk" : ""}, and libvirt cannot carry the old one over; ` +
          `keep ${name} on ${was.hostName}; to move it, ${safeWay(`on ${now.hostName}`)}`,
      );
    } else if (was.pool !== now.pool) {
      problems.push(
        `${vmKey(topology, name, "pool")}: moving ${name}'s root disk from pool ${was.poolName} to ${now.poolName} would replace it and its first-boot and Ceph state disks ` +
          `(a libvirt volume's pool is ForceNew): a new machine; keep ${was.poolName}; to move it, ${safeWay(`with its pool ${now.poolName}`)}`,
      );
    } else if (was.dataPool !== undefined && now.dataPool !== undefined && was.dataPool !== now.dataPool) {
      problems.push(
        `${vmKey(topology, name, "dataPool")}: moving ${name}'s Ceph OSD disk from pool ${was.dataPoolName} to ${now.dataPoolName} would replace it with an empty one ` +
          `(a libvirt volume's pool is ForceNew); keep ${was.dataPoolName}; add a storage node with its dataPool ${now.dataPoolName}, let Ceph rebalance, then remove ${name}`,
      );
    }
  }
  return problems;
}

/** The first host keeps `<prefix>-host` and the primary pool's names: it must stay first. */
function firstHostProblem(previous: DeploymentRecord, current: DeploymentRecord): string | undefined {
  const before = hostsOf(previous);
  const now = hostsOf(current);
  if (before.length === 0 || now.length === 0 || before[0].name === now[0].name) return undefined;
  const promoted = before.slice(1).some((h) => h.name === now[0].name);
  const demoted = now.slice(1).some((h) => h.name === before[0].name);
  if (!promoted && !demoted) return undefined;
  return (
    `hosts[0]: ${now[0].name} would become the first host in place of ${before[0].name}: the first host's libvirt provider and first pool keep the names ` +
    `of a one-host stack, so reordering the hosts would point them at another machine and move VMs between providers; keep ${before[0].name} first ` +
    "(add new hosts after the others)"
  );
}

/** Hosts and pools removed while the record has VMs or disks on them. */
function removalProblems(previous: DeploymentRecord, current: DeploymentRecord, topology: Topology): string[] {
  const problems: string[] = [];
  const before = hostsOf(previous);
  if (before.length === 0) return problems;
  const nowNames: HostNames = { hosts: hostsOf(current) };
  const placements = Object.entries(previous.machines).map(([name, m]) => ({ name, at: placementOf(previous, m) }));
  const beforeNames: HostNames = { hosts: before };
  const nowHosts = new Set(nowNames.hosts.map((h) => hostIdentity(nowNames, h.name)));
  const nowPools = new Set(nowNames.hosts.flatMap((h) => h.pools.map((p) => poolIdentity(nowNames, { host: h.name, pool: p.name }))));
  for (const host of before) {
    const id = hostIdentity(beforeNames, host.name);
    if (nowHosts.has(id)) {
      for (const pool of host.pools) {
        const poolId = poolIdentity(beforeNames, { host: host.name, pool: pool.name });
        if (nowPools.has(poolId)) continue;
        const users = placements.filter((p) => p.at.pool === poolId || p.at.dataPool === poolId).map((p) => p.name);
        if (users.length === 0) continue;
        const i = nowNames.hosts.findIndex((h) => hostIdentity(nowNames, h.name) === id);
        problems.push(
          `hosts[${i}].pools: pool ${pool.name} of host ${host.name} holds disks of ${users.join(", ")} (at the last \`pulumi up\`); removing it would delete them; ` +
            `keep it; to retire it, move those VMs first (a new VM in another pool, then drain and remove the old one), then remove the pool`,
        );
      }
      continue;
    }
    const on = placements.filter((p) => p.at.host === id).map((p) => p.name);
    if (on.length === 0) continue;
    problems.push(
      `hosts: removing host ${host.name} while ${on.join(", ")} ${on.length === 1 ? "runs" : "run"} on it (at the last \`pulumi up\`); ` +
        `keep it in hosts (as ${hostKey(topology, before.indexOf(host), "name")} was) for the run that removes its VMs (each K3s node is drained and removed from the cluster first), then remove the host`,
    );
  }
  return problems;
}

/** Changes of hosts and pools a live stack must not take, each naming its key. */
export function placementProblems(previous: DeploymentRecord, current: DeploymentRecord, topology: Topology): string[] {
  const first = firstHostProblem(previous, current);
  if (first) return [first];
  const renamed = firstHostRenameProblem(previous, current);
  return [
    ...(renamed ? [renamed] : []),
    ...moveProblems(previous, current, topology),
    ...removalProblems(previous, current, topology),
    ...poolPathProblems(previous, current),
    ...hostNetworkProblems(previous, current, topology),
  ];
}

/**
 * The first host renamed while its name is a failure-domain label of live K3s nodes: the zone of
 * every K3s node once they span two or more hosts, the chassis (`<host>-<pool>`) of every storage
 * node once the Ceph disks lie on two or more physical disks (config/failure-domains.ts, here from
 * the record). The labels would follow in place, but Rook v1.20.6 keeps each live OSD in the CRUSH
 * buckets of its first deployment: OSDs created after the rename would sit in buckets of another
 * name on the same machine, and Ceph could put two replicas of an object on it.
 */
function firstHostRenameProblem(previous: DeploymentRecord, current: DeploymentRecord): string | undefined {
  const before = hostsOf(previous);
  const now = hostsOf(current);
  if (before.length === 0 || now.length === 0 || before[0].name === now[0].name) return undefined;
  const old = before[0].name;
  const k3s = [...previous.k3s.servers, ...previous.k3s.agents].filter((n) => previous.machines[n] !== undefined);
  const hostOfVm = (n: string) => previous.machines[n].host ?? old;
  const storage = k3s.filter((n) => previous.machines[n].dataDiskGiB !== undefined);
  const diskOf = (n: string) => `${hostOfVm(n)}-${previous.machines[n].dataPool ?? previous.machines[n].pool ?? ""}`;
  const zones = new Set(k3s.map(hostOfVm)).size >= 2;
  const chassis = new Set(storage.map(diskOf)).size >= 2;
  const labelled = k3s.filter((n) => hostOfVm(n) === old && (zones || (chassis && storage.includes(n))));
  if (labelled.length === 0) return undefined;
  const labels = [...(zones ? ["topology.kubernetes.io/zone"] : []), ...(chassis ? [`topology.rook.io/chassis (${old}-<pool>)`] : [])].join(" and ");
  return (
    `hosts[0].name: renaming ${old} to ${now[0].name} changes no libvirt object (the first host's provider and pools keep their names), but "${old}" is the ${labels} label ` +
    `of ${labelled.join(", ")}: Rook keeps each live OSD in the CRUSH bucket named at its first deployment, so OSDs created after the rename would sit in ` +
    `buckets of another name on the same machine, and Ceph could put two replicas of an object there; keep "${old}" (it is the stack's name for the machine, ` +
    "not its hostname: the host's own name may differ)"
  );
}

/**
 * Networks of a host other than the first that this change would replace or remove there while VMs
 * of that host have NICs on them (the first host's: DeploymentRecord.networks, checked with
 * `networks[i]`). A record of an earlier program has no per-host networks: checked from the next run.
 */
function hostNetworkProblems(previous: DeploymentRecord, current: DeploymentRecord, topology: Topology): string[] {
  const beforeNames: HostNames = { hosts: hostsOf(previous) };
  const nowNames: HostNames = { hosts: hostsOf(current) };
  const nowHosts = new Map(hostsOf(current).map((h) => [hostIdentity(nowNames, h.name), h]));
  const problems: string[] = [];
  for (const host of hostsOf(previous)) {
    const id = hostIdentity(beforeNames, host.name);
    const after = nowHosts.get(id);
    // The first host (record.networks), a removed host (removalProblems) or a record without networks.
    if (id === "" || !after || !host.networks || !after.networks) continue;
    for (const net of host.networks) {
      const staying = net.vms.filter((vm) => current.machines[vm] !== undefined);
      if (staying.length === 0) continue;
      const now = after.networks.find((n) => n.name === net.name);
      if (now && now.print === net.print) continue;
      const i = topology.networks.findIndex((n) => n.name === net.name);
      const spec = topology.networks[i];
      const on = `${staying.join(", ")} ${staying.length === 1 ? "has" : "have"} NICs on it there`;
      if (!now) {
        const key = spec?.mode === "nat" ? `networks[${i}].host` : `networks[${i}]`;
        problems.push(
          `${key} (${net.name}): ${net.name} would leave host ${host.name} (deleted there, through its provider), and ${on}: a NAT network of another host is another network, ` +
            `and libvirt never re-attaches running VMs, so their NICs would stay on a destroyed bridge; keep it on ${host.name}; to move those VMs, add new VMs on the other host ` +
            "with NICs on it, let them join, remove the old ones (one per run), then move the network once no VM of this host is on it",
        );
        continue;
      }
      // Its bridge there comes from hostBridges.<host> (set now, or dropped while `bridge`, which the
      // first host's record covers, stayed), else from `bridge`.
      const viaHostBridges = spec?.hostBridges?.[host.name] !== undefined || previous.networks[net.name] === current.networks[net.name];
      const key = spec?.mode !== "bridge" ? `networks[${i}]` : viaHostBridges ? `networks[${i}].hostBridges.${host.name}` : `networks[${i}].bridge`;
      problems.push(
        `${key} (${net.name}): this replaces libvirt network ${net.name} on host ${host.name} (a network's bridge is ForceNew), and ${on}: libvirt never re-attaches ` +
          "running VMs to the new one, and the provider's domain update does not move their NICs, so they stay on the old bridge; keep that host's bridge as it was; " +
          "if the host's bridge must change, give the new bridge the old name on that host, or add a new bridge network, move each VM's NIC to it (a new machine each, one per run), then remove the old one",
      );
    }
  }
  return problems;
}

/** A pool other than the first host's first whose inputs (its path) changed: replaced with every disk in it. */
function poolPathProblems(previous: DeploymentRecord, current: DeploymentRecord): string[] {
  const beforeNames: HostNames = { hosts: hostsOf(previous) };
  const nowNames: HostNames = { hosts: hostsOf(current) };
  const prints = new Map(hostsOf(previous).flatMap((h) => h.pools.map((p) => [poolIdentity(beforeNames, { host: h.name, pool: p.name }), p.print] as const)));
  const problems: string[] = [];
  hostsOf(current).forEach((h, i) =>
    h.pools.forEach((p, j) => {
      const id = poolIdentity(nowNames, { host: h.name, pool: p.name });
      const was = prints.get(id);
      // The first host's first pool: DeploymentRecord.pool, checked with the one-host key.
      if (id === "" || was === undefined || was === p.print) return;
      problems.push(
        `hosts[${i}].pools[${j}].path: moving pool ${p.name} of host ${h.name} replaces it and every disk in it (a pool's path is ForceNew); keep the path, ` +
          "or move the directory on the host and re-import the pool (pulumi import)",
      );
    }),
  );
  return problems;
}
