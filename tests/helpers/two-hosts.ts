/**
 * A stack on two KVM hosts, for tests: prod's VMs on the seed's ProLiant (two disks: two pools) and a
 * second one reached over SSH, with worker3 on the second host and worker2's Ceph disk on the seed's
 * second disk, and the cluster network bridged onto a LAN segment both hosts are on. `edit` changes the raw config before it is returned.
 */
import { ONE_HOST_KEYS } from "../../config/hosts";
import { rawStack } from "./stacks";

export type Raw = Record<string, unknown>;
export type RawVm = Record<string, unknown> & { name: string; nics: Raw[] };
export type TwoHostRaw = Raw & { hosts: Raw[]; vms: RawVm[] };

export const SEED_POOL = "/var/lib/libvirt/images/flatcarmicrocloud-prod";
export const SECOND_HOST_URI = "qemu+ssh://root@192.168.0.30/system";

/** The seed's ProLiant as `hosts[0]`: its first pool is prod's storagePoolPath; `pools: 1` leaves out its second disk. */
export function seedHost(pools: 1 | 2 = 2): Raw {
  return {
    name: "proliant1",
    libvirtUri: "qemu:///system",
    threads: 24,
    memoryGiB: 35,
    reservedMemoryGiB: 1,
    addresses: ["192.168.0.15", "192.168.0.16", "192.168.0.18", "192.168.0.20"],
    pools: [
      { name: "disk1", path: SEED_POOL },
      { name: "disk2", path: "/srv/disk2/flatcarmicrocloud-prod" },
    ].slice(0, pools),
  };
}

/** A second ProLiant of the same size, reached over SSH. */
export function secondHost(): Raw {
  return { name: "proliant2", libvirtUri: SECOND_HOST_URI, threads: 24, memoryGiB: 35, addresses: ["192.168.0.30"], pools: [{ name: "disk1", path: SEED_POOL }] };
}

/**
 * K3s nodes on two hosts need a cluster network that reaches both: a bridge onto a LAN segment both
 * hosts are on (config/network-span.ts; libvirt's NAT networks stay on their host). In place.
 */
export function bridgeClusterNetwork(raw: Raw): void {
  raw.networks = (raw.networks as Raw[]).map((n) =>
    n.name === raw.clusterNetwork ? { name: n.name, mode: "bridge", bridge: "br-kube", cidr: n.cidr, gateway: "10.17.4.1" } : n,
  );
}

/** Replaces the one-host keys of `raw` (in place) by `hosts`. */
export function listHosts(raw: Raw, hosts: Raw[]): void {
  for (const key of ONE_HOST_KEYS) delete raw[key];
  raw.hosts = hosts;
}

export function twoHostStack(edit: (raw: TwoHostRaw) => void = () => undefined, stackRaw: Raw = rawStack("prod") as Raw): TwoHostRaw {
  const raw = { ...stackRaw, vms: structuredClone(stackRaw.vms) as RawVm[] };
  listHosts(raw, [seedHost(), secondHost()]);
  bridgeClusterNetwork(raw);
  const out = raw as TwoHostRaw;
  const vm = (name: string) => out.vms.find((v) => v.name === name) as RawVm;
  vm("worker3").host = "proliant2";
  vm("worker2").dataPool = "disk2";
  edit(out);
  return out;
}
