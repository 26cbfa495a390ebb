/**
 * The typed topology: the one source of truth for what the host runs. Every stage reads it;
 * nothing else describes networks, VMs or addresses. It is plain data (no Pulumi types), so the
 * renderers that consume it are pure and testable without the engine.
 */

/** What a VM is for. K3s roles become cluster nodes; the others are Rocky Linux service VMs. */
export const ROLES = ["bastion", "loadbalancer", "freeipa", "postgresql", "k3s-server", "k3s-agent"] as const;
export type Role = (typeof ROLES)[number];

export const OS_FAMILIES = ["flatcar", "rocky"] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

/**
 * `nat`: a libvirt network with its own bridge, dnsmasq and NAT to the outside.
 * `bridge`: attaches VMs to an existing host bridge on the LAN (libvirt manages no addressing there).
 */
export const NETWORK_MODES = ["nat", "bridge"] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

export interface NetworkSpec {
  /** libvirt network name, e.g. `kube_network_02`. */
  name: string;
  mode: NetworkMode;
  /** IPv4 prefix, e.g. `10.17.3.0/24`. */
  cidr: string;
  /** Host bridge a `bridge` network attaches to (e.g. `br0`). */
  bridge?: string;
  /**
   * Several hosts: the host bridge of a `bridge` network on hosts where it has another name than
   * `bridge` (host name -> bridge), all on the same LAN segment or VLAN (config/network-span.ts).
   */
  hostBridges?: Record<string, string>;
  /**
   * The host a `nat` network lives on (default: the first host); libvirt's NAT networks do not leave
   * their host. Unset on `bridge` networks, which reach every host with a VM on them.
   */
  host?: string;
  /** Default gateway for VMs whose primary NIC is here: libvirt's host address on NAT networks. */
  gateway: string;
  /** Resolvers for VMs whose primary NIC is here. */
  dns: string[];
}

export interface NicSpec {
  network: string;
  address: string;
  /** Prefix length of the network, kept here so renderers need no lookups. */
  prefix: number;
  mac: string;
  /**
   * Name the guest gives this NIC (`nic0`, `nic1`, ...), set by matching the MAC on first boot, so
   * K3s `flannel-iface` and firewall zones can name it without guessing the kernel's naming.
   */
  iface: string;
  /** The first NIC carries the default route and the resolvers; the others only their subnet. */
  primary: boolean;
}

export interface VmSpec {
  name: string;
  role: Role;
  os: OsFamily;
  vcpus: number;
  memoryMiB: number;
  rootDiskGiB: number;
  /** Size of the raw Ceph OSD disk; present only on storage nodes. */
  dataDiskGiB?: number;
  /** Name of the host the VM runs on (`hosts[].name`; default: the first host). */
  host: string;
  /** Name of the pool (on its host) holding its root disk, first-boot file and Ceph state disk. */
  pool: string;
  /** Storage nodes: the pool of its Ceph OSD disk (default: `pool`); absent on the others. */
  dataPool?: string;
  nics: NicSpec[];
  /** Kubernetes node labels and taints (K3s nodes only). */
  labels: Record<string, string>;
  taints: string[];
}

/**
 * A libvirt storage pool on a host: one directory, ideally one physical disk (or array) each, so
 * that what lives on different pools fails apart.
 */
export interface PoolSpec {
  /** The name VMs give in `pool` / `dataPool`; unique on its host. */
  name: string;
  /** Directory of the libvirt dir pool. */
  path: string;
  /**
   * GiB the pool's filesystem can give this stack in total; when set, the config check refuses a
   * topology whose disks in this pool could outgrow it (config/host-disk.ts).
   */
  capacityGiB?: number;
}

export interface HostSpec {
  /**
   * The hypervisor's name: what VMs give in `host`. A host of the `hosts` list has an RFC 1123 label
   * here; the one host of a stack without `hosts` has `hostName`, free text (for reports).
   */
  name: string;
  /** libvirt connection URI, e.g. `qemu:///system` or `qemu+ssh://root@host/system`. */
  libvirtUri: string;
  /** Hardware threads the VMs on this host may use in total. */
  threads: number;
  memoryGiB: number;
  /** Memory kept for the hypervisor's OS itself (kernel, systemd, page cache); qemu, libvirt and a local Pulumi run are added (config/host-memory.ts). */
  reservedMemoryGiB: number;
  /**
   * libvirt CPU mode of every VM on this host. host-passthrough (the default) gives the guests the
   * host's CPU; host-model suits hosts that migrate VMs; maximum is what QEMU without KVM (TCG) accepts.
   */
  cpuMode: CpuMode;
  /**
   * The hypervisor's own IPv4 addresses (every interface, e.g. the seed's enp3s0f0..enp4s0f1): no VM
   * may use one, or the VM and the host answer ARP for the same address on the LAN.
   */
  addresses: string[];
  /** Its storage pools, at least one; the first is where its VMs go unless they name another. */
  pools: PoolSpec[];
}

export const CPU_MODES = ["host-passthrough", "host-model", "maximum"] as const;
export type CpuMode = (typeof CPU_MODES)[number];

/**
 * How far `pulumi up` goes: `vms` is stage 1's libvirt objects with their first-boot config;
 * `guest-roles` adds the commands that reach the Rocky VMs over SSH after first boot; `cluster` adds
 * K3s (stage 2); `platform` adds the Helm releases (stage 3); `apps` (the default) adds the user's
 * apps (stage 4). Each stage needs the one before it; stopping early is for bringing a host up in
 * steps (the platform before the apps' images are in a registry), or a lab whose guests are stand-ins.
 */
export const DEPLOY_STAGES = ["vms", "guest-roles", "cluster", "platform", "apps"] as const;
export type DeployStage = (typeof DEPLOY_STAGES)[number];

/** Whether `stage` runs when the stack deploys up to `upTo`. */
export function deploys(upTo: DeployStage, stage: DeployStage): boolean {
  return DEPLOY_STAGES.indexOf(stage) <= DEPLOY_STAGES.indexOf(upTo);
}

export interface Topology {
  /** The stack name, used to keep libvirt object names of two stacks on one host apart. */
  stack: string;
  domain: string;
  /** The KVM hosts, at least one; the first is where VMs go unless they name another. */
  hosts: HostSpec[];
  /**
   * Set when the stack config has the `hosts` list; absent when its one host comes from the
   * one-host keys (hostName, hostVcpus, storagePoolPath, ...), so messages name the keys it has.
   */
  hostsListed?: true;
  networks: NetworkSpec[];
  vms: VmSpec[];
  /** The network all K3s nodes share: node-ip and flannel-iface live there. */
  clusterNetwork: string;
  /** Public key installed for the admin user (`core` on Flatcar, `adminUser` on Rocky). */
  sshPublicKey: string;
  /** Admin user created on Rocky VMs. */
  adminUser: string;
  /** NTP servers used when the topology has no FreeIPA VM. */
  fallbackNtpServers: string[];
  /**
   * Protect the disks that hold state (Ceph OSD volumes; root disks of the FreeIPA and PostgreSQL VMs)
   * so that no update or destroy deletes them without an explicit `pulumi state unprotect`.
   */
  protectStatefulDisks: boolean;
  /** Where libvirt downloads each base image: the pinned URL of versions.ts, or a mirror's copy of it. */
  imageUrls: Record<OsFamily, string>;
  /** The last stage `pulumi up` deploys. */
  deployUpTo: DeployStage;
  /**
   * Size of each storage node's Ceph state disk (Rook's dataDirHostPath, /var/lib/rook), which keeps
   * the mon store off the root disk (infra/ceph-state-disk.ts).
   */
  cephStateDiskGiB: number;
  /** Non-fatal findings (e.g. an even number of K3s servers). */
  warnings: string[];
}

export const K3S_ROLES: readonly Role[] = ["k3s-server", "k3s-agent"];

export function isK3sNode(vm: VmSpec): boolean {
  return K3S_ROLES.includes(vm.role);
}

/** Roles whose root disk holds data of their own (the directory, the database). */
export const STATEFUL_ROLES: readonly Role[] = ["freeipa", "postgresql"];

export function isStorageNode(vm: VmSpec): boolean {
  return vm.dataDiskGiB !== undefined;
}

/** The host `vm` runs on. */
export function hostOf(topology: Pick<Topology, "hosts">, vm: Pick<VmSpec, "host" | "name">): HostSpec {
  const host = topology.hosts.find((h) => h.name === vm.host);
  if (!host) throw new Error(`VM ${vm.name} names unknown host ${vm.host}`);
  return host;
}

/** The pool named `name` on `host`. */
export function poolOn(host: HostSpec, name: string): PoolSpec {
  const pool = host.pools.find((p) => p.name === name);
  if (!pool) throw new Error(`host ${host.name} has no pool ${name}`);
  return pool;
}

/** The VMs that run on `host`. */
export function vmsOn(topology: Pick<Topology, "vms">, host: Pick<HostSpec, "name">): VmSpec[] {
  return topology.vms.filter((vm) => vm.host === host.name);
}

/** Where a storage node's Ceph OSD disk lives: its `dataPool`, else its own pool. */
export function dataPoolOf(vm: VmSpec): string {
  return vm.dataPool ?? vm.pool;
}

export function fqdn(vm: VmSpec, domain: string): string {
  return `${vm.name}.${domain}`;
}

export function primaryNic(vm: VmSpec): NicSpec {
  const nic = vm.nics.find((n) => n.primary);
  if (!nic) throw new Error(`VM ${vm.name} has no primary NIC`);
  return nic;
}

export function nicOn(vm: VmSpec, network: string): NicSpec | undefined {
  return vm.nics.find((n) => n.network === network);
}

export function vmsWithRole(topology: Topology, role: Role): VmSpec[] {
  return topology.vms.filter((vm) => vm.role === role);
}

/**
 * The NIC of `target` that `from` reaches directly: on `from`'s primary network if `target` has a leg
 * there, otherwise on any other network both share. Undefined when they share none, which the
 * config validation rejects for every pair that must talk.
 */
export function reachableNic(from: VmSpec, target: VmSpec): NicSpec | undefined {
  const ordered = [...from.nics].sort((a, b) => Number(b.primary) - Number(a.primary));
  for (const own of ordered) {
    const theirs = nicOn(target, own.network);
    if (theirs) return theirs;
  }
  return undefined;
}

/** Addresses of the VMs with `role` as `from` reaches them (empty when the topology has none). */
export function serviceAddresses(topology: Topology, role: Role, from: VmSpec): string[] {
  return vmsWithRole(topology, role)
    .filter((vm) => vm.name !== from.name)
    .map((vm) => reachableNic(from, vm)?.address)
    .filter((a): a is string => a !== undefined);
}

/** NTP servers a VM should use: FreeIPA where the topology has it, the fallback otherwise. */
export function ntpServersFor(topology: Topology, vm: VmSpec): string[] {
  const ipa = serviceAddresses(topology, "freeipa", vm);
  return ipa.length > 0 ? ipa : topology.fallbackNtpServers;
}
