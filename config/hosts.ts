/**
 * The KVM hosts of a stack: the `hosts` list, or, for a stack without it, the one host that the
 * one-host keys (hostName, libvirtUri, hostVcpus, ..., storagePoolPath) have always described. A
 * stack has one form or the other, never both. Checked here: each host on its own (threads,
 * memory with its qemu/libvirt/host overhead, addresses, pools and their capacity) and the hosts
 * together (names, URIs, addresses); each problem names its key (`hosts[1].pools[0].path`, or the
 * one-host key).
 */
import { isAbsolute, normalize } from "path";
import { baseImageReleases, describePoolBudget, gibText, poolDiskBudget, poolVolumes } from "./host-disk";
import { describeHostOverhead, hostMemoryBudget } from "./host-memory";
import { parseIpv4 } from "./net";
import { CPU_MODES, CpuMode, HostSpec, PoolSpec, Topology, vmsOn } from "./topology";
import { Collector, HOST_LABEL, isObj, RawStackConfig } from "./validate";

/** The keys of the one host of a stack without `hosts`. */
export const ONE_HOST_KEYS = [
  "libvirtUri",
  "hostName",
  "hostVcpus",
  "hostMemoryGiB",
  "hostReservedMemoryGiB",
  "hostAddresses",
  "storagePoolPath",
  "storagePoolCapacityGiB",
] as const satisfies readonly (keyof RawStackConfig)[];

/** The name of the one pool of a stack without `hosts` (VMs may name it in `pool`). */
export const ONE_HOST_POOL = "default";

const DEFAULT_RESERVED_GIB = 2;

/** Where a host field comes from in the stack config: `hosts[i].<field>`, or its one-host key. */
const ONE_HOST_KEY_OF: Record<Exclude<keyof HostSpec, "pools">, string> = {
  name: "hostName",
  libvirtUri: "libvirtUri",
  threads: "hostVcpus",
  memoryGiB: "hostMemoryGiB",
  reservedMemoryGiB: "hostReservedMemoryGiB",
  addresses: "hostAddresses",
  cpuMode: "vmCpuMode",
};

export function hostKey(topology: Pick<Topology, "hostsListed">, index: number, field: Exclude<keyof HostSpec, "pools">): string {
  return topology.hostsListed ? `hosts[${index}].${field}` : ONE_HOST_KEY_OF[field];
}

export function poolKey(topology: Pick<Topology, "hostsListed">, host: number, pool: number, field: "path" | "capacityGiB"): string {
  if (topology.hostsListed) return `hosts[${host}].pools[${pool}].${field}`;
  return field === "path" ? "storagePoolPath" : "storagePoolCapacityGiB";
}

/** A one-host key counts as set unless empty or 0 (Pulumi.yaml's defaults for unset keys). */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== "" && value !== 0 && value !== "0";
}

function zeroIsUnset(value: unknown): unknown {
  return value === 0 || value === "0" ? undefined : value;
}

/** The hosts of the stack; `listed` when they come from the `hosts` list. */
export function parseHosts(c: Collector, raw: RawStackConfig, stack: string): { hosts: HostSpec[]; listed: boolean } {
  const cpuMode = c.oneOf("vmCpuMode", raw.vmCpuMode ?? "host-passthrough", CPU_MODES) ?? "host-passthrough";
  if (raw.hosts === undefined) return { hosts: [oneHost(c, raw, stack, cpuMode)], listed: false };
  const both = ONE_HOST_KEYS.filter((k) => isSet(raw[k]));
  if (both.length > 0) {
    c.fail(
      "hosts",
      `cannot be used together with the one-host key${both.length > 1 ? "s" : ""} ${both.join(", ")}: describe every host in hosts ` +
        `(hosts[0] takes their values: name, libvirtUri, threads, memoryGiB, reservedMemoryGiB, addresses, pools: [{ name, path, capacityGiB }]) and remove ${both.join(", ")}`,
    );
  }
  const hosts: HostSpec[] = [];
  c.list("hosts", raw.hosts).forEach((item, i) => {
    const key = `hosts[${i}]`;
    if (!isObj(item)) return c.fail(key, "must be an object");
    const name = c.string(`${key}.name`, item.name);
    // The name becomes part of resource names and the nodes' zone label.
    if (name && !HOST_LABEL.test(name)) c.fail(`${key}.name`, `"${name}" is not an RFC 1123 label: lowercase letters, digits and inner hyphens, at most 63`);
    const host: HostSpec = {
      name,
      libvirtUri: c.string(`${key}.libvirtUri`, item.libvirtUri),
      threads: c.positiveInt(`${key}.threads`, item.threads),
      memoryGiB: c.positiveInt(`${key}.memoryGiB`, item.memoryGiB),
      reservedMemoryGiB: c.positiveInt(`${key}.reservedMemoryGiB`, item.reservedMemoryGiB, DEFAULT_RESERVED_GIB),
      cpuMode: item.cpuMode === undefined ? cpuMode : (c.oneOf<CpuMode>(`${key}.cpuMode`, item.cpuMode, CPU_MODES) ?? cpuMode),
      addresses: c.stringList(`${key}.addresses`, item.addresses, []),
      pools: parsePools(c, key, item.pools),
    };
    checkHostOwnFields(c, host, (field) => `${key}.${field}`);
    hosts.push(host);
  });
  checkAcrossHosts(c, hosts);
  return { hosts, listed: true };
}

/** The one host of a stack without `hosts`, exactly as the one-host keys have always read. */
function oneHost(c: Collector, raw: RawStackConfig, stack: string, cpuMode: CpuMode): HostSpec {
  const capacity = zeroIsUnset(raw.storagePoolCapacityGiB);
  const pool: PoolSpec = {
    name: ONE_HOST_POOL,
    // Under /var/lib/libvirt/images, which SELinux already labels as libvirt expects of a pool
    // (virt_image_t); libvirt relabels each VM's files from there (the Ignition file too:
    // infra/ignition-delivery.ts).
    path: c.string("storagePoolPath", raw.storagePoolPath, `/var/lib/libvirt/images/flatcarmicrocloud-${stack}`),
    // 0 (Pulumi.yaml's default) states nothing: the host preflight still checks the pool's free space.
    ...(capacity === undefined ? {} : { capacityGiB: c.positiveInt("storagePoolCapacityGiB", capacity) }),
  };
  const host: HostSpec = {
    name: c.string("hostName", raw.hostName, "kvm-host"),
    libvirtUri: c.string("libvirtUri", raw.libvirtUri, "qemu:///system"),
    // 0 is Pulumi.yaml's default (declared keys need one, or the CLI requires them of every stack).
    threads: c.positiveInt("hostVcpus", zeroIsUnset(raw.hostVcpus)),
    memoryGiB: c.positiveInt("hostMemoryGiB", zeroIsUnset(raw.hostMemoryGiB)),
    reservedMemoryGiB: c.positiveInt("hostReservedMemoryGiB", zeroIsUnset(raw.hostReservedMemoryGiB), DEFAULT_RESERVED_GIB),
    cpuMode,
    addresses: c.stringList("hostAddresses", raw.hostAddresses, []),
    pools: [pool],
  };
  checkHostOwnFields(c, host, (field) => ONE_HOST_KEY_OF[field]);
  if (pool.path && !pool.path.startsWith("/")) c.fail("storagePoolPath", "must be an absolute path");
  return host;
}

function checkHostOwnFields(c: Collector, host: HostSpec, keyOf: (field: "addresses" | "reservedMemoryGiB") => string): void {
  for (const address of host.addresses) {
    if (parseIpv4(address) === undefined) c.fail(keyOf("addresses"), `"${address}" is not an IPv4 address`);
  }
  if (host.reservedMemoryGiB >= host.memoryGiB && host.memoryGiB > 0) {
    c.fail(keyOf("reservedMemoryGiB"), `${host.reservedMemoryGiB} GiB leaves nothing of the host's ${host.memoryGiB} GiB`);
  }
}

function parsePools(c: Collector, hostKeyText: string, raw: unknown): PoolSpec[] {
  const pools: PoolSpec[] = [];
  c.list(`${hostKeyText}.pools`, raw).forEach((item, j) => {
    const key = `${hostKeyText}.pools[${j}]`;
    if (!isObj(item)) return c.fail(key, "must be an object");
    const name = c.string(`${key}.name`, item.name);
    if (name && !HOST_LABEL.test(name)) c.fail(`${key}.name`, `"${name}" is not an RFC 1123 label: lowercase letters, digits and inner hyphens, at most 63`);
    const path = c.string(`${key}.path`, item.path);
    // libvirt compares pool targets as written: /a/ and /a would be two pools over one directory.
    if (path && (!isAbsolute(path) || normalize(path) !== path || (path.endsWith("/") && path !== "/"))) {
      c.fail(`${key}.path`, `"${path}" must be an absolute path in normal form (no trailing slash, no . or .. parts)`);
    }
    const capacityGiB = item.capacityGiB === undefined ? undefined : c.positiveInt(`${key}.capacityGiB`, item.capacityGiB);
    pools.push({ name, path, ...(capacityGiB !== undefined ? { capacityGiB } : {}) });
  });
  pools.forEach((a, j) => {
    pools.slice(0, j).forEach((b, k) => {
      if (a.name && a.name === b.name) c.fail(`${hostKeyText}.pools[${j}].name`, `"${a.name}" is also ${hostKeyText}.pools[${k}]'s name`);
      const inside = (x: string, y: string) => x === y || x.startsWith(y === "/" ? "/" : `${y}/`);
      if (a.path && b.path && (inside(a.path, b.path) || inside(b.path, a.path))) {
        c.fail(
          `${hostKeyText}.pools[${j}].path`,
          `${a.path} ${a.path === b.path ? "is" : "overlaps"} ${hostKeyText}.pools[${k}]'s ${b.path}: each pool needs a directory of its own (one per physical disk), neither inside the other`,
        );
      }
    });
  });
  return pools;
}

function checkAcrossHosts(c: Collector, hosts: HostSpec[]): void {
  hosts.forEach((a, i) => {
    hosts.slice(0, i).forEach((b, k) => {
      if (a.name && a.name === b.name) c.fail(`hosts[${i}].name`, `"${a.name}" is also hosts[${k}]'s name`);
      if (a.libvirtUri && a.libvirtUri === b.libvirtUri) {
        c.fail(`hosts[${i}].libvirtUri`, `${a.libvirtUri} is also hosts[${k}]'s (${b.name}): one libvirt daemon is one host`);
      }
      for (const address of a.addresses.filter((x) => b.addresses.includes(x))) {
        c.fail(`hosts[${i}].addresses`, `${address} is also an address of hosts[${k}] (${b.name})`);
      }
    });
  });
}

/** Each host against the VMs placed on it: threads, memory, and each pool's stated capacity. */
export function checkHostCapacity(c: Collector, t: Omit<Topology, "warnings">): void {
  t.hosts.forEach((host, i) => {
    const vms = vmsOn(t, host);
    const on = t.hostsListed ? ` on ${host.name}` : "";
    const vcpus = vms.reduce((sum, vm) => sum + vm.vcpus, 0);
    if (vcpus > host.threads) {
      c.fail(hostKey(t, i, "threads"), `the VMs${on} ask for ${vcpus} vCPUs in total but the host has ${host.threads}`);
    }
    const memory = hostMemoryBudget(host, vms);
    if (!memory.fits) {
      const reservedKey = hostKey(t, i, "reservedMemoryGiB");
      c.fail(
        hostKey(t, i, "memoryGiB"),
        `the VMs${on} ask for ${memory.vmsMiB} MiB in total but the host offers them ${memory.vmsAvailableMiB} MiB ` +
          `(${memory.hostMiB} MiB less ${describeHostOverhead(memory, vms.length, reservedKey)}; config/host-memory.ts)`,
      );
    }
    host.pools.forEach((pool, j) => {
      if (pool.capacityGiB === undefined) return;
      const disk = poolDiskBudget(poolVolumes(t, baseImageReleases(), { host: host.name, pool: pool.name }));
      if (disk.worstCaseBytes > pool.capacityGiB * 1024 ** 3) {
        c.fail(
          poolKey(t, i, j, "capacityGiB"),
          `the VMs' disks in the storage pool (${pool.path}) can take ${gibText(disk.worstCaseBytes)} but the pool's filesystem gives the stack ${pool.capacityGiB} GiB ` +
            `(${describePoolBudget(disk)}; config/host-disk.ts); put ${poolKey(t, i, j, "path")} on a larger filesystem (README, "Disk space"), or shrink the disks`,
        );
      }
    });
  });
}

/** A VM address that is one of any host's own addresses, as a problem naming the NIC's key. */
export function checkHostAddresses(c: Collector, t: Omit<Topology, "warnings">): void {
  t.vms.forEach((vm, i) => {
    vm.nics.forEach((nic, j) => {
      const k = t.hosts.findIndex((h) => h.addresses.includes(nic.address));
      if (k === -1) return;
      const whose = t.hostsListed ? `host ${t.hosts[k].name}'s own addresses (hosts[${k}].addresses)` : "the host's own addresses (hostAddresses)";
      c.fail(
        `vms[${i}].nics[${j}].address`,
        `${nic.address} (${vm.name} on ${nic.network}) is one of ${whose}: the VM and the host would ` +
          "answer for it on the LAN; give the VM a free address (outside the LAN's DHCP pool)",
      );
    });
  });
}

/**
 * A VM's `host`, `pool` and `dataPool`, resolved against the hosts (defaults: the first host, its
 * first pool, the VM's own pool); problems name `vms[i].<field>`.
 */
export function parsePlacement(
  c: Collector,
  key: string,
  item: Record<string, unknown>,
  hosts: HostSpec[],
  storageNode: boolean,
): { host: string; pool: string; dataPool?: string } | undefined {
  const first = hosts[0];
  if (!first) return undefined;
  const hostName = item.host === undefined ? first.name : c.string(`${key}.host`, item.host);
  const host = hosts.find((h) => h.name === hostName);
  if (!host) {
    if (hostName) c.fail(`${key}.host`, `unknown host "${hostName}"; the hosts are ${hosts.map((h) => h.name).join(", ")}`);
    return undefined;
  }
  const poolIn = (field: "pool" | "dataPool", fallback: string | undefined): string | undefined => {
    const name = item[field] === undefined ? fallback : c.string(`${key}.${field}`, item[field]);
    if (name === undefined || name === "") return undefined;
    if (!host.pools.some((p) => p.name === name)) {
      c.fail(`${key}.${field}`, `host ${host.name} has no pool "${name}"; its pools are ${host.pools.map((p) => p.name).join(", ")}`);
      return undefined;
    }
    return name;
  };
  const pool = poolIn("pool", host.pools[0]?.name);
  if (item.dataPool !== undefined && !storageNode) {
    c.fail(`${key}.dataPool`, "only a Ceph storage node (dataDiskGiB) has a data disk to place");
    return undefined;
  }
  const dataPool = storageNode ? poolIn("dataPool", pool) : undefined;
  if (pool === undefined || (storageNode && dataPool === undefined)) return undefined;
  return { host: host.name, pool, ...(dataPool !== undefined ? { dataPool } : {}) };
}
