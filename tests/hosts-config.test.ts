/**
 * The `hosts` list (config/hosts.ts): the one host of a stack without it, exactly as the one-host
 * keys have always described it; the list itself, each host and each pool checked on its own and
 * the hosts together; each VM's host and pools; every problem naming its key.
 */
import { poolVolumes } from "../config/host-disk";
import { hostOf, Topology } from "../config/topology";
import { ConfigError, parseTopology, RawStackConfig } from "../config/validate";
import { rawStack } from "./helpers/stacks";
import { SEED_POOL, TwoHostRaw, twoHostStack } from "./helpers/two-hosts";

type Raw = Record<string, unknown>;
type RawVm = Record<string, unknown> & { name: string };

function twoHosts(edit: (raw: TwoHostRaw) => void = () => undefined): RawStackConfig {
  return twoHostStack(edit);
}

function problemsOf(raw: RawStackConfig): string[] {
  try {
    parseTopology(raw, "prod");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("a stack without hosts", () => {
  it("has one host from the one-host keys, with one pool at storagePoolPath, and every VM on it", () => {
    const t = parseTopology(rawStack("prod"), "prod");
    expect(t.hosts).toEqual([
      {
        name: "ProLiant DL380 G7",
        libvirtUri: "qemu:///system",
        threads: 24,
        memoryGiB: 35,
        reservedMemoryGiB: 1,
        cpuMode: "host-passthrough",
        addresses: ["192.168.0.15", "192.168.0.16", "192.168.0.18", "192.168.0.20"],
        pools: [{ name: "default", path: SEED_POOL }],
      },
    ]);
    expect(t.hostsListed).toBeUndefined();
    expect(t.vms.map((vm) => [vm.name, vm.host, vm.pool, vm.dataPool])).toEqual([
      ["bastion1", "ProLiant DL380 G7", "default", undefined],
      ["loadbalancer1", "ProLiant DL380 G7", "default", undefined],
      ["freeipa1", "ProLiant DL380 G7", "default", undefined],
      ["postgresql1", "ProLiant DL380 G7", "default", undefined],
      ["bootstrap1", "ProLiant DL380 G7", "default", undefined],
      ["master1", "ProLiant DL380 G7", "default", undefined],
      ["worker1", "ProLiant DL380 G7", "default", "default"],
      ["worker2", "ProLiant DL380 G7", "default", "default"],
      ["worker3", "ProLiant DL380 G7", "default", "default"],
    ]);
  });

  it("takes Pulumi.yaml's defaults (empty, 0) as unset: kvm-host, qemu:///system, 2 GiB kept for the host", () => {
    const t = parseTopology(rawStack("dev", { hostReservedMemoryGiB: "0", storagePoolCapacityGiB: "0" }), "dev");
    expect(t.hosts).toEqual([
      expect.objectContaining({ name: "workstation", libvirtUri: "qemu:///system", reservedMemoryGiB: 2, pools: [{ name: "default", path: "/var/lib/libvirt/images/flatcarmicrocloud-dev" }] }),
    ]);
    const bare = rawStack("dev") as Raw;
    delete bare.hostName;
    expect(parseTopology(bare, "dev").hosts[0].name).toBe("kvm-host");
  });

  it("lets a VM name its one host and pool, and nothing else", () => {
    const raw = rawStack("dev") as Raw & { vms: RawVm[] };
    raw.vms[0] = { ...raw.vms[0], host: "workstation", pool: "default" };
    expect(parseTopology(raw, "dev").vms[0]).toMatchObject({ host: "workstation", pool: "default" });
    raw.vms[1] = { ...raw.vms[1], host: "kvm2", pool: "fast" };
    expect(problemsOf(raw)).toEqual(['vms[1].host: unknown host "kvm2"; the hosts are workstation']);
  });
});

describe("hosts", () => {
  it("refuses the one-host keys beside it, naming both", () => {
    const problems = problemsOf(twoHosts((r) => Object.assign(r, { hostName: "ProLiant DL380 G7", hostVcpus: 24, storagePoolPath: SEED_POOL })));
    expect(problems).toEqual([expect.stringMatching(/^hosts: cannot be used together with the one-host keys hostName, hostVcpus, storagePoolPath: .* remove hostName, hostVcpus, storagePoolPath$/)]);
  });

  it("does not count Pulumi.yaml's defaults of the one-host keys (as the CLI passes them) as set", () => {
    expect(problemsOf(twoHosts((r) => Object.assign(r, { hostVcpus: "0", hostMemoryGiB: "0", hostReservedMemoryGiB: "0", storagePoolCapacityGiB: "0" })))).toEqual([]);
  });

  it("places each VM on its host and pools: the first host and its first pool unless it names others", () => {
    const t = parseTopology(twoHosts(), "prod");
    expect(t.hostsListed).toBe(true);
    expect(t.hosts.map((h) => [h.name, h.threads, h.reservedMemoryGiB, h.cpuMode, h.pools.map((p) => p.name)])).toEqual([
      ["proliant1", 24, 1, "host-passthrough", ["disk1", "disk2"]],
      ["proliant2", 24, 2, "host-passthrough", ["disk1"]],
    ]);
    const placed = Object.fromEntries(t.vms.map((vm) => [vm.name, [vm.host, vm.pool, vm.dataPool]]));
    expect(placed).toMatchObject({
      bastion1: ["proliant1", "disk1", undefined],
      worker1: ["proliant1", "disk1", "disk1"],
      worker2: ["proliant1", "disk1", "disk2"],
      worker3: ["proliant2", "disk1", "disk1"],
    });
    expect(hostOf(t, t.vms[8]).libvirtUri).toBe("qemu+ssh://root@192.168.0.30/system");
  });

  it("takes each host's cpuMode, vmCpuMode when it has none", () => {
    const t = parseTopology(
      twoHosts((r) => {
        r.vmCpuMode = "host-model";
        r.hosts[1].cpuMode = "maximum";
      }),
      "prod",
    );
    expect(t.hosts.map((h) => h.cpuMode)).toEqual(["host-model", "maximum"]);
    expect(problemsOf(twoHosts((r) => (r.hosts[1].cpuMode = "host")))).toEqual(['hosts[1].cpuMode: unknown value "host"; expected one of host-passthrough, host-model, maximum']);
  });

  it("checks each host and pool on its own and the hosts together, naming each key", () => {
    const problems = problemsOf(
      twoHosts((r) => {
        r.hosts[0].pools = [{ name: "disk1", path: SEED_POOL }, { name: "disk2", path: `${SEED_POOL}/inner` }, { name: "disk3", path: "/srv/disk3/" }];
        Object.assign(r.hosts[1], {
          name: "Proliant 2",
          libvirtUri: "qemu:///system",
          reservedMemoryGiB: 35,
          addresses: ["192.168.0.20", "192.168.0.300"],
          pools: [{ name: "disk1", path: "srv/disk1" }, { name: "disk1", path: "/srv/disk1b", capacityGiB: 0 }],
        });
        r.hosts.push({ name: "proliant3", threads: 8, pools: [] });
      }),
    );
    expect(problems).toEqual([
      'hosts[0].pools[2].path: "/srv/disk3/" must be an absolute path in normal form (no trailing slash, no . or .. parts)',
      "hosts[0].pools[1].path: /var/lib/libvirt/images/flatcarmicrocloud-prod/inner overlaps hosts[0].pools[0]'s /var/lib/libvirt/images/flatcarmicrocloud-prod: each pool needs a directory of its own (one per physical disk), neither inside the other",
      'hosts[1].name: "Proliant 2" is not an RFC 1123 label: lowercase letters, digits and inner hyphens, at most 63',
      "hosts[1].pools[0].path: \"srv/disk1\" must be an absolute path in normal form (no trailing slash, no . or .. parts)",
      "hosts[1].pools[1].capacityGiB: must be a positive whole number (got 0)",
      'hosts[1].pools[1].name: "disk1" is also hosts[1].pools[0]\'s name',
      'hosts[1].addresses: "192.168.0.300" is not an IPv4 address',
      "hosts[1].reservedMemoryGiB: 35 GiB leaves nothing of the host's 35 GiB",
      "hosts[2].libvirtUri: is required",
      "hosts[2].memoryGiB: is required",
      "hosts[2].pools: must be a non-empty list",
      "hosts[1].libvirtUri: qemu:///system is also hosts[0]'s (proliant1): one libvirt daemon is one host",
      "hosts[1].addresses: 192.168.0.20 is also an address of hosts[0] (proliant1)",
      // worker3 names proliant2, which is no host under its invalid name.
      'vms[8].host: unknown host "proliant2"; the hosts are proliant1, Proliant 2, proliant3',
    ]);
  });

  it("refuses a VM on an unknown host or pool, and a data pool without a data disk, naming the VM's key", () => {
    const problems = problemsOf(
      twoHosts((r) => {
        r.vms[4].host = "proliant9";
        r.vms[5].pool = "disk2";
        r.vms[5].host = "proliant2";
        r.vms[0].dataPool = "disk2";
        r.vms[6].dataPool = "ssd";
      }),
    );
    expect(problems).toEqual([
      "vms[0].dataPool: only a Ceph storage node (dataDiskGiB) has a data disk to place",
      'vms[4].host: unknown host "proliant9"; the hosts are proliant1, proliant2',
      'vms[5].pool: host proliant2 has no pool "disk2"; its pools are disk1',
      'vms[6].dataPool: host proliant1 has no pool "ssd"; its pools are disk1, disk2',
    ]);
  });

  it("sums each host's threads and memory (with its qemu, libvirt and host overhead) over its own VMs, naming its key", () => {
    // proliant2 runs the three workers: 3 x 4 vCPUs and 3 x 6400 MiB.
    const workers = (r: { vms: RawVm[] }) =>
      r.vms.filter((v) => v.name.startsWith("worker")).forEach((v) => {
        v.host = "proliant2";
        delete v.dataPool;
      });
    expect(problemsOf(twoHosts(workers))).toEqual([]);
    const problems = problemsOf(
      twoHosts((r) => {
        workers(r);
        Object.assign(r.hosts[1], { threads: 8, memoryGiB: 20, reservedMemoryGiB: 2 });
      }),
    );
    expect(problems).toEqual([
      "hosts[1].threads: the VMs on proliant2 ask for 12 vCPUs in total but the host has 8",
      // 19200 MiB of guests; qemu 3 x (192 + 50) MiB; remote libvirtUri: no Pulumi run on it.
      "hosts[1].memoryGiB: the VMs on proliant2 ask for 19200 MiB in total but the host offers them 17450 MiB (20480 MiB less qemu 726 MiB (3 VMs), libvirt 256 MiB, " +
        "Pulumi run elsewhere (remote libvirtUri), host OS 2048 MiB (hosts[1].reservedMemoryGiB); config/host-memory.ts)",
    ]);
  });

  it("counts a pool's capacity over the disks in it: root disks in pool, Ceph OSD disks in dataPool", () => {
    const t = parseTopology(twoHosts(), "prod");
    const names = (host: string, pool: string) => poolVolumes(t, { flatcar: ["f1"], rocky: ["r1"] }, { host, pool }).map((v) => v.name);
    expect(names("proliant1", "disk2")).toEqual(["worker2-ceph-osd.raw"]);
    expect(names("proliant2", "disk1")).toEqual(["flatcar-f1.qcow2", "worker3-root-*.qcow2", "worker3-*.ign", "worker3-ceph-osd.raw", "worker3-ceph-state.raw"]);
    expect(names("proliant1", "disk1")).toContain("worker2-ceph-state.raw");
    expect(names("proliant1", "disk1")).not.toContain("worker2-ceph-osd.raw");
    // disk2 holds worker2's 200 GiB OSD disk only.
    expect(problemsOf(twoHosts((r) => ((r.hosts[0].pools as Raw[])[1].capacityGiB = 200)))).toEqual([]);
    expect(problemsOf(twoHosts((r) => ((r.hosts[0].pools as Raw[])[1].capacityGiB = 199)))).toEqual([
      expect.stringMatching(
        /^hosts\[0\]\.pools\[1\]\.capacityGiB: the VMs' disks in the storage pool \(\/srv\/disk2\/flatcarmicrocloud-prod\) can take 200 GiB but the pool's filesystem gives the stack 199 GiB .*put hosts\[0\]\.pools\[1\]\.path on a larger filesystem/,
      ),
    ]);
  });

  it("refuses a VM address that is any host's own, naming the NIC and the host", () => {
    const problems = problemsOf(twoHosts((r) => ((r.vms[0].nics as Raw[])[0].address = "192.168.0.30")));
    expect(problems).toEqual([
      "vms[0].nics[0].address: 192.168.0.30 (bastion1 on br0) is one of host proliant2's own addresses (hosts[1].addresses): the VM and the host would answer for it on the LAN; give the VM a free address (outside the LAN's DHCP pool)",
    ]);
  });

  it("is the same topology as the one-host keys when it lists that one host", () => {
    const legacy: Topology = parseTopology(rawStack("prod"), "prod");
    const listed = parseTopology(
      twoHosts((r) => {
        r.hosts = [{ ...r.hosts[0], name: "proliant1", pools: [{ name: "default", path: SEED_POOL }] }];
        r.networks = rawStack("prod").networks;
        for (const vm of r.vms) {
          delete vm.host;
          delete vm.dataPool;
        }
      }),
      "prod",
    );
    const rename = (t: Topology) => ({ ...t, hostsListed: undefined, hosts: t.hosts.map((h) => ({ ...h, name: "h" })), vms: t.vms.map((vm) => ({ ...vm, host: "h" })) });
    expect(rename(listed)).toEqual(rename(legacy));
  });
});
