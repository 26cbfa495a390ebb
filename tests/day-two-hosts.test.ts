/**
 * The deployment record's hosts and pools (infra/deployment-record.ts, infra/placement-day-two.ts):
 * each VM's host and pools are recorded; a record of an earlier program, without them, reads as
 * every VM on the first host's first pool; the moves and removals a live stack must not take are
 * refused from the record alone. The rows of docs/day-two.md run the whole program
 * (tests/day-two-matrix.test.ts); these are the record's own cases.
 */
import { parseClusterSettings } from "../config/cluster";
import { parseRoleSettings } from "../config/roles";
import { parseTopology } from "../config/validate";
import { dayTwoProblems, DeploymentRecord } from "../infra/deployment-record";
import { deploymentRecord } from "../infra/machines";
import { stackConfig } from "./helpers/stacks";
import { bridgeClusterNetwork, listHosts, Raw, RawVm, secondHost, seedHost } from "./helpers/two-hosts";

function recordOf(raw: Raw): { record: DeploymentRecord; problems: (previous: DeploymentRecord) => string[] } {
  const topology = parseTopology(raw, "prod");
  const cluster = parseClusterSettings(raw, topology);
  const record = deploymentRecord(topology, parseRoleSettings(raw, topology), cluster);
  return { record, problems: (previous) => dayTwoProblems(previous, record, topology, { ...cluster }) };
}

/** prod with its cluster network bridged onto a LAN all hosts share, so K3s nodes may run on any. */
function prod(): Raw & { vms: RawVm[] } {
  const raw = structuredClone(stackConfig("prod")) as Raw & { vms: RawVm[] };
  bridgeClusterNetwork(raw);
  return raw;
}

/** prod() in `hosts` form; `edit` changes it further. */
function listed(hosts: Raw[], edit: (raw: Raw & { vms: RawVm[] }) => void = () => undefined): Raw {
  const raw = prod();
  listHosts(raw, hosts);
  edit(raw);
  return raw;
}

/** A record as a program before the hosts list wrote it: no hosts, no VM's host or pool. */
function earlierProgram(record: DeploymentRecord): DeploymentRecord {
  const rest: DeploymentRecord = { ...record };
  delete rest.hosts;
  const machines = Object.fromEntries(
    Object.entries(record.machines).map(([name, m]) => {
      const earlier = { ...m };
      delete earlier.host;
      delete earlier.pool;
      delete earlier.dataPool;
      return [name, earlier];
    }),
  );
  return { ...rest, machines };
}

it("records each VM's host, pool and data pool, and every host's pools", () => {
  const { record } = recordOf(listed([seedHost(2), secondHost()], (r) => (r.vms.find((v) => v.name === "worker3") as RawVm).dataPool = "disk2"));
  expect(record.hosts?.map((h) => [h.name, h.pools.map((p) => p.name)])).toEqual([
    ["proliant1", ["disk1", "disk2"]],
    ["proliant2", ["disk1"]],
  ]);
  expect(record.machines.worker3).toMatchObject({ host: "proliant1", pool: "disk1", dataPool: "disk2" });
  expect(record.machines.bastion1).toMatchObject({ host: "proliant1", pool: "disk1" });
  expect(record.machines.bastion1.dataPool).toBeUndefined();
  // The first host's first pool keeps the one-host fingerprint.
  expect(record.hosts?.[0].pools[0].print).toBe(record.pool);
});

it("reads a record without hosts as every VM on the first host's first pool", () => {
  const oneHost = recordOf(prod());
  const before = earlierProgram(oneHost.record);
  // The same VMs in hosts form (first host, first pool): nothing to refuse.
  expect(recordOf(listed([seedHost(2), secondHost()])).problems(before)).toEqual([]);
  // worker3 elsewhere: a move, refused naming its key.
  const moved = recordOf(listed([seedHost(2), secondHost()], (r) => ((r.vms.find((v) => v.name === "worker3") as RawVm).host = "proliant2")));
  expect(moved.problems(before)).toEqual([expect.stringMatching(/^vms\[8\]\.host \(worker3\): moving worker3 from host proliant1 to proliant2 would replace its domain and every disk of it .* add a new VM/)]);
  const pool = recordOf(listed([seedHost(2)], (r) => ((r.vms.find((v) => v.name === "worker1") as RawVm).pool = "disk2")));
  expect(pool.problems(before)).toEqual([expect.stringMatching(/^vms\[6\]\.pool \(worker1\): moving worker1's root disk from pool disk1 to disk2/)]);
});

const WORKER4 = { name: "worker4", role: "k3s-agent", os: "flatcar", vcpus: 4, memoryMiB: 6400, rootDiskGiB: 40, nics: [{ network: "kube_network_03", address: "10.17.4.27" }] };

it("takes a renamed first host (its provider keeps infra-host) while no failure-domain label carries its name, but not a renamed other host with VMs", () => {
  const withWorker4 = (name: string, first = "proliant1") => listed([{ ...seedHost(1), name: first }, { ...secondHost(), name }], (r) => r.vms.push({ ...structuredClone(WORKER4), host: name }));
  const before = recordOf(withWorker4("proliant2")).record;
  // K3s nodes on two hosts: "proliant1" is the zone label of the first host's nodes (and Rook's CRUSH bucket).
  expect(recordOf(withWorker4("proliant2", "seed")).problems(before)).toEqual([
    expect.stringMatching(/^hosts\[0\]\.name: renaming proliant1 to seed changes no libvirt object .* "proliant1" is the topology\.kubernetes\.io\/zone label of bootstrap1, master1, worker1, worker2, worker3: .*keep "proliant1"/),
  ]);
  // Every K3s node on the first host: no label carries its name.
  const alone = (first: string) => listed([{ ...seedHost(1), name: first }, secondHost()]);
  expect(recordOf(alone("seed")).problems(recordOf(alone("proliant1")).record)).toEqual([]);
  // One host with the Ceph disks on two of its disks: its name is in the storage nodes' chassis label.
  const twoDisks = (first: string) => listed([{ ...seedHost(2), name: first }], (r) => ((r.vms.find((v) => v.name === "worker3") as RawVm).dataPool = "disk2"));
  expect(recordOf(twoDisks("seed")).problems(recordOf(twoDisks("proliant1")).record)).toEqual([
    expect.stringMatching(/^hosts\[0\]\.name: .* is the topology\.rook\.io\/chassis \(proliant1-<pool>\) label of worker1, worker2, worker3:/),
  ]);
  const problems = recordOf(withWorker4("proliant3")).problems(before);
  expect(problems).toEqual([
    expect.stringMatching(/^vms\[9\]\.host \(worker4\): moving worker4 from host proliant2 to proliant3/),
    expect.stringMatching(/^hosts: removing host proliant2 while worker4 runs on it/),
  ]);
});

it("refuses removing a host or pool only while the record has VMs or disks on it", () => {
  const both = recordOf(listed([seedHost(2), secondHost()])).record;
  // Nothing lives on proliant2 or disk2: removing them is fine.
  expect(recordOf(listed([seedHost(1)])).problems(both)).toEqual([]);
  const worker3OnDisk2 = recordOf(listed([seedHost(2)], (r) => ((r.vms.find((v) => v.name === "worker3") as RawVm).dataPool = "disk2"))).record;
  const withoutWorker3 = recordOf(listed([seedHost(1)], (r) => (r.vms = r.vms.filter((v) => v.name !== "worker3"))));
  expect(withoutWorker3.problems(worker3OnDisk2)).toEqual([expect.stringMatching(/^hosts\[0\]\.pools: pool disk2 of host proliant1 holds disks of worker3/)]);
});

it("refuses another host first, and a moved pool path", () => {
  const before = recordOf(listed([seedHost(2), secondHost()], (r) => ((r.vms.find((v) => v.name === "worker2") as RawVm).dataPool = "disk2"))).record;
  // (The load balancer is then on a remote host: the API host must be given.)
  expect(recordOf(listed([secondHost(), seedHost(2)], (r) => (r.k3sApiHost = "10.17.3.12"))).problems(before)).toEqual([
    expect.stringMatching(/^hosts\[0\]: proliant2 would become the first host in place of proliant1/),
  ]);
  const moved = seedHost(2);
  (moved.pools as Raw[])[1].path = "/srv/disk3";
  expect(recordOf(listed([moved, secondHost()], (r) => ((r.vms.find((v) => v.name === "worker2") as RawVm).dataPool = "disk2"))).problems(before)).toEqual([
    expect.stringMatching(/^hosts\[0\]\.pools\[1\]\.path: moving pool disk2 of host proliant1 replaces it and every disk in it/),
  ]);
  const primary = seedHost(2);
  (primary.pools as Raw[])[0].path = "/srv/disk0";
  expect(recordOf(listed([primary, secondHost()], (r) => ((r.vms.find((v) => v.name === "worker2") as RawVm).dataPool = "disk2"))).problems(before)).toEqual([
    expect.stringMatching(/^hosts\[0\]\.pools\[0\]\.path: moving the storage pool replaces it/),
  ]);
});

describe("networks of a host other than the first", () => {
  const pro2Nat = { name: "pro2_nat", mode: "nat", host: "proliant2", cidr: "10.17.6.0/24" };
  /** worker4 on proliant2 with a NIC on the cluster network (a bridge) and, with `nat`, on proliant2's NAT network. */
  const stack = (edit: (r: Raw & { vms: RawVm[] }) => void = () => undefined, nat = false) =>
    // (The seed's host with room for worker4 too, which the NAT network's move takes along.)
    listed([{ ...seedHost(1), threads: 32, memoryGiB: 48 }, secondHost()], (r) => {
      r.networks = [...(r.networks as Raw[]), pro2Nat];
      r.vms.push({ ...structuredClone(WORKER4), host: "proliant2", nics: [...WORKER4.nics, ...(nat ? [{ network: "pro2_nat", address: "10.17.6.27" }] : [])] });
      edit(r);
    });

  it("are recorded per host with their ForceNew inputs there and the VMs of that host on them", () => {
    const { record } = recordOf(stack(() => undefined, true));
    expect(record.hosts?.[1].networks?.map((n) => [n.name, n.vms])).toEqual([
      ["kube_network_03", ["worker4"]],
      ["pro2_nat", ["worker4"]],
    ]);
  });

  it("refuses another bridge on that host (hostBridges) while a VM there has a NIC on the network", () => {
    const before = recordOf(stack()).record;
    const problems = recordOf(stack((r) => ((r.networks as Raw[])[2].hostBridges = { proliant2: "br0" }))).problems(before);
    expect(problems).toEqual([expect.stringMatching(/^networks\[2\]\.hostBridges\.proliant2 \(kube_network_03\): this replaces libvirt network kube_network_03 on host proliant2 .*worker4 has NICs on it there.*give the new bridge the old name/)]);
    // A record of an earlier program has no per-host networks: nothing to compare yet.
    const earlier = { ...before, hosts: before.hosts?.map(({ networks: _n, ...h }) => h) };
    expect(recordOf(stack((r) => ((r.networks as Raw[])[2].hostBridges = { proliant2: "br0" }))).problems(earlier)).toEqual([]);
    // Without a VM on the network on that host, the network is not even defined there.
    const empty = listed([seedHost(1), secondHost()]);
    const emptyBridged = listed([seedHost(1), secondHost()], (r) => ((r.networks as Raw[])[2].hostBridges = { proliant2: "br0" }));
    expect(recordOf(emptyBridged).problems(recordOf(empty).record)).toEqual([]);
  });

  it("refuses moving a NAT network to another host while a VM has a NIC on it, naming networks[i].host", () => {
    const before = recordOf(stack(() => undefined, true)).record;
    const moved = stack((r) => {
      (r.networks as Raw[])[3].host = "proliant1";
      (r.vms.find((v) => v.name === "worker4") as RawVm).host = "proliant1";
    }, true);
    expect(recordOf(moved).problems(before)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^networks\[3\]\.host \(pro2_nat\): pro2_nat would leave host proliant2 .*worker4 has NICs on it there/),
        expect.stringMatching(/^vms\[9\]\.host \(worker4\): moving worker4/),
      ]),
    );
    // Without a VM on it, the NAT network moves: deleted on proliant2, created on proliant1.
    const bare = (host: string) => listed([seedHost(1), secondHost()], (r) => (r.networks = [...(r.networks as Raw[]), { ...pro2Nat, host }]));
    expect(recordOf(bare("proliant1")).problems(recordOf(bare("proliant2")).record)).toEqual([]);
  });
});
