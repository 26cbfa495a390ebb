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

export function twoHostStack(edit: (raw: TwoHostRaw) => void = () => undefined, stackRaw: Raw = rawStack("prod") as Raw): TwoHostRaw {
  const raw = { ...stackRaw };
  for (const key of ONE_HOST_KEYS) delete raw[key];
  const out: TwoHostRaw = {
    ...raw,
    vms: structuredClone(raw.vms) as RawVm[],
    hosts: [
      {
        name: "proliant1",
        libvirtUri: "qemu:///system",
        threads: 24,
        memoryGiB: 35,
        reservedMemoryGiB: 1,
        addresses: ["192.168.0.15", "192.168.0.16", "192.168.0.18", "192.168.0.20"],
        pools: [
          { name: "disk1", path: SEED_POOL },
          { name: "disk2", path: "/srv/disk2/flatcarmicrocloud-prod" },
        ],
      },
      {
        name: "proliant2",
        libvirtUri: SECOND_HOST_URI,
        threads: 24,
        memoryGiB: 35,
        addresses: ["192.168.0.30"],
        pools: [{ name: "disk1", path: SEED_POOL }],
      },
    ],
  };
  // worker3 on the second host needs a cluster network that reaches it: a bridge onto a LAN segment
  // both hosts are on (config/network-span.ts; libvirt's NAT networks stay on their host).
  out.networks = (raw.networks as Raw[]).map((n) =>
    n.name === raw.clusterNetwork ? { name: n.name, mode: "bridge", bridge: "br-kube", cidr: n.cidr, gateway: "10.17.4.1" } : n,
  );
  const vm = (name: string) => out.vms.find((v) => v.name === name) as RawVm;
  vm("worker3").host = "proliant2";
  vm("worker2").dataPool = "disk2";
  edit(out);
  return out;
}
