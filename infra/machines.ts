/**
 * The plain inputs stage 1 sends to libvirt for the pool, the networks and each VM's domain, from
 * the topology alone (no resource ids). `Infra` builds its resources from them, and the deployment
 * record (./deployment-record.ts) fingerprints the same values, so what the record compares is what
 * libvirt receives.
 */
import { cephFailureDomain } from "../config/failure-domains";
import { shortHash } from "../config/identity";
import { RoleSettings } from "../config/roles";
import { PoolRef, primaryPool } from "../config/host-disk";
import { bridgeOn } from "../config/network-span";
import { DEPLOY_STAGES, hostOf, isK3sNode, isStorageNode, NetworkSpec, nicOn, poolOn, Topology, VmSpec, vmsOn } from "../config/topology";
import { renderRockyNetworkConfig, renderRockyUserData, rockyFirstBootIdentity } from "./cloudinit";
import { cephStateDiskRollout, StateDiskRollout } from "./ceph-state-disk";
import { DeploymentRecord, DEPLOYMENT_RECORD_VERSION, holdsEarlierNodeSteps, k3sNodeChanges, NODE_STEPS_VERSION, replaceFingerprint } from "./deployment-record";
import { flatcarIgnitionIdentity } from "./ignition";
import { isPrimaryPool, networksOn } from "./placement";
import { FLATCAR_FW_CFG_NAME } from "./ignition-delivery";
import { roleFragments } from "./roles";

/**
 * A storage pool's inputs (`name` and `target.path` are ForceNew). The first host's first pool keeps
 * the name a one-host stack's pool has always had; every other pool adds its own name (libvirt pool
 * names are per host, and unique on a host: config/hosts.ts).
 */
export function poolArgs(topology: Topology, where: PoolRef = primaryPool(topology)): { name: string; type: "dir"; target: { path: string } } {
  const pool = poolOn(hostOf(topology, { host: where.host, name: `pool ${where.pool}` }), where.pool);
  return { name: isPrimaryPool(topology, where) ? `flatcarmicrocloud-${topology.stack}` : `flatcarmicrocloud-${topology.stack}-${pool.name}`, type: "dir", target: { path: pool.path } };
}

/** A libvirt network's inputs: bridge mode attaches to the host's bridge; NAT gets static DNS hosts. */
export function networkArgs(spec: NetworkSpec, topology: Topology, host: string = topology.hosts[0].name): Record<string, unknown> {
  if (spec.mode === "bridge") {
    // libvirt only attaches VMs to the existing host bridge: addressing and DNS belong to the LAN.
    // Its name may differ per host (hostBridges); the segment it carries is the same.
    return { name: spec.name, mode: "bridge", bridge: bridgeOn(spec, host), autostart: true };
  }
  const hosts = topology.vms.flatMap((vm) => {
    const nic = nicOn(vm, spec.name);
    return nic ? [{ hostname: `${vm.name}.${topology.domain}`, ip: nic.address }] : [];
  });
  return {
    name: spec.name,
    mode: "nat",
    addresses: [spec.cidr],
    domain: topology.domain,
    autostart: true,
    // Every address is static (set by Ignition / cloud-init); DHCP would only hand out strays.
    dhcp: { enabled: false },
    dns: { enabled: true, localOnly: true, hosts },
  };
}

/** The domain's own inputs (no disks, NICs or first-boot object: those carry resource ids). */
export function domainShape(vm: VmSpec, topology: Topology) {
  return {
    name: vm.name,
    description: `FlatcarMicroCloud ${topology.stack}: ${vm.role} (${vm.os})`,
    vcpu: vm.vcpus,
    memory: vm.memoryMiB,
    cpu: { mode: hostOf(topology, vm).cpuMode },
    autostart: true,
    running: true,
    // The provider adds the guest agent's channel to every domain anyway (the agent runs in both
    // images); `qemuAgent` only makes each read ask the agent for the NICs' addresses, which are
    // static and known here. Off, no refresh can fail or stall on an agent that is not up yet or
    // hangs (libvirt/domain.go domainGetIfacesInfo: only "unresponsive" is tolerated).
    qemuAgent: false,
    consoles: [{ type: "pty", targetType: "serial", targetPort: "0" }],
    graphics: { type: "vnc", listenType: "address", listenAddress: "127.0.0.1", autoport: true },
    ...(vm.os === "flatcar" ? { fwCfgName: FLATCAR_FW_CFG_NAME } : {}),
  };
}

/** A VM's first-boot identity (the hash in its root disk's name), from the topology alone. */
export function firstBootIdentity(vm: VmSpec, topology: Topology, roles: RoleSettings): string {
  if (vm.os === "flatcar") return shortHash(flatcarIgnitionIdentity(vm, topology));
  const userData = renderRockyUserData(vm, topology, roleFragments(vm, topology, roles));
  return rockyFirstBootIdentity(vm, topology, userData, renderRockyNetworkConfig(vm, topology));
}

/**
 * The config a Rocky VM's first boot is rendered from, as a fingerprint: the VM's own name, role and
 * NICs, the networks it has a NIC on (without their resolvers: stack-wide, delivered after boot), the
 * stack, domain and admin user, and its role's settings. Not the program's code: when a new version
 * renders first boot differently (a fixed script, another way to deliver a secret), a live VM whose
 * inputs are unchanged keeps the first boot it was built with (`firstBootPlan`), as a base image bump
 * applies to new root disks only. Whatever the role renderers (./roles) read of the topology must be
 * here; tests/first-boot-revisions.test.ts checks that every config change that changes a rendered
 * first boot changes this too.
 */
export function firstBootInputs(vm: VmSpec, topology: Topology, roles: RoleSettings): string {
  const networks = vm.nics.map((nic) => {
    const spec = topology.networks.find((n) => n.name === nic.network);
    return spec && { name: spec.name, mode: spec.mode, cidr: spec.cidr, bridge: spec.bridge, gateway: spec.gateway };
  });
  const role =
    vm.role === "bastion"
      ? { wireguard: { port: roles.wireguard.port, subnet: roles.wireguard.subnet } }
      : vm.role === "postgresql"
        ? {
            postgres: roles.postgres,
            // Where its clients live: the K3s nodes' networks it shares (pg_hba, firewall).
            clientNetworks: vm.nics.filter((nic) => topology.vms.some((o) => isK3sNode(o) && o.nics.some((n) => n.network === nic.network))).map((n) => n.network),
          }
        : {};
  return shortHash(
    JSON.stringify({
      vm: { name: vm.name, role: vm.role, os: vm.os, rootDiskGiB: vm.rootDiskGiB, nics: vm.nics },
      networks,
      stack: topology.stack,
      domain: topology.domain,
      adminUser: topology.adminUser,
      role,
    }),
  );
}

/** Which live Rocky VMs keep the first boot (and root disk) they were built with. */
export interface FirstBootPlan {
  /** VM name -> the first-boot hash its root and cloud-init disks keep. */
  hashes: Record<string, string>;
  /** VMs recorded by an earlier program without first-boot inputs: kept as they are (see below). */
  transition: string[];
}

/**
 * A live Rocky VM keeps its first boot when its first-boot inputs are what the last run recorded,
 * whatever this program would render now; a changed input renders it afresh (a new machine, refused
 * for the protected FreeIPA and PostgreSQL disks). A record of an earlier program has no inputs: its
 * live VMs are kept, and this run records their inputs, so from now on a change is seen. `rootHashes`
 * are the hashes in the live root volumes' names (deployment-record.ts `liveRootHashes`).
 */
export function firstBootPlan(previous: DeploymentRecord | undefined, topology: Topology, roles: RoleSettings, rootHashes: Record<string, string>): FirstBootPlan {
  const plan: FirstBootPlan = { hashes: {}, transition: [] };
  if (!previous) return plan;
  for (const vm of topology.vms.filter((v) => v.os === "rocky")) {
    const before = previous.machines[vm.name];
    const hash = rootHashes[vm.name];
    if (!before || before.os !== "rocky" || before.role !== vm.role || !hash) continue;
    if (before.firstBootInputs === undefined) {
      // The identity ends with the root disk's size: a new size is a new disk, rendered afresh.
      if (before.identity.endsWith(`:${vm.rootDiskGiB}`)) {
        plan.hashes[vm.name] = hash;
        plan.transition.push(vm.name);
      }
    } else if (before.firstBootInputs === firstBootInputs(vm, topology, roles)) {
      plan.hashes[vm.name] = hash;
    }
  }
  return plan;
}

/**
 * The record of this deployment (see ./deployment-record.ts). `cephStateDisks`: the storage VMs
 * whose domain has its Ceph state disk attached in this run (default: all of them).
 */
export function deploymentRecord(
  topology: Topology,
  roles: RoleSettings,
  k3s: { servers: string[]; agents: string[] },
  cephStateDisks: readonly string[] = topology.vms.filter(isStorageNode).map((vm) => vm.name),
): DeploymentRecord {
  return {
    version: DEPLOYMENT_RECORD_VERSION,
    domain: topology.domain,
    adminUser: topology.adminUser,
    clusterNetwork: topology.clusterNetwork,
    // All of the pool's inputs: its path must not move under the disks in it, ForceNew or not.
    pool: shortHash(JSON.stringify(poolArgs(topology))),
    hosts: topology.hosts.map((h) => ({
      name: h.name,
      pools: h.pools.map((p) => ({ name: p.name, print: shortHash(JSON.stringify(poolArgs(topology, { host: h.name, pool: p.name }))) })),
      networks: networksOn(topology, h).map((n) => ({
        name: n.name,
        print: replaceFingerprint("libvirt:index/network:Network", networkArgs(n, topology, h.name)),
        vms: vmsOn(topology, h)
          .filter((vm) => nicOn(vm, n.name) !== undefined)
          .map((vm) => vm.name),
      })),
    })),
    networks: Object.fromEntries(topology.networks.map((n) => [n.name, replaceFingerprint("libvirt:index/network:Network", networkArgs(n, topology))])),
    machines: Object.fromEntries(
      topology.vms.map((vm) => [
        vm.name,
        {
          role: vm.role,
          os: vm.os,
          // The root disk's size is ForceNew too: a new size is a new disk, a new machine.
          identity: `${firstBootIdentity(vm, topology, roles)}:${vm.rootDiskGiB}`,
          ...(vm.os === "rocky" ? { firstBootInputs: firstBootInputs(vm, topology, roles) } : {}),
          domain: replaceFingerprint("libvirt:index/domain:Domain", domainShape(vm, topology)),
          ...(vm.dataDiskGiB !== undefined ? { dataDiskGiB: vm.dataDiskGiB } : {}),
          ...(cephStateDisks.includes(vm.name) ? { cephStateDiskGiB: topology.cephStateDiskGiB } : {}),
          host: vm.host,
          pool: vm.pool,
          ...(vm.dataPool !== undefined ? { dataPool: vm.dataPool } : {}),
        },
      ]),
    ),
    k3s: { servers: [...k3s.servers], agents: [...k3s.agents] },
    // Recorded only when not `host`, so the record of a one-host, one-pool stack stays as it was.
    ...(cephFailureDomain(topology) !== "host" ? { cephFailureDomain: cephFailureDomain(topology) } : {}),
    deployUpTo: topology.deployUpTo,
    nodeSteps: NODE_STEPS_VERSION,
    stages: [...DEPLOY_STAGES],
  };
}

/**
 * This run's record, which storage VMs get their Ceph state disk now, from the last run's record
 * (./ceph-state-disk.ts `cephStateDiskRollout`): the other K3s node changes of this run are those
 * the config makes with every recorded state disk kept as it was; and which live Rocky VMs keep
 * their first boot (`firstBootPlan`): their recorded identity stays.
 */
export function plannedDeployment(
  previous: DeploymentRecord | undefined,
  topology: Topology,
  roles: RoleSettings,
  k3s: { servers: string[]; agents: string[]; k3sNodeChangesPerUp: number },
  rootHashes: Record<string, string> = {},
): { record: DeploymentRecord; stateDisks: StateDiskRollout; firstBoot: FirstBootPlan } {
  const storage = topology.vms.filter(isStorageNode).map((vm) => vm.name);
  const kept = previous ? storage.filter((name) => !previous.machines[name] || previous.machines[name].cephStateDiskGiB !== undefined) : storage;
  const others = previous ? k3sNodeChanges(previous, deploymentRecord(topology, roles, k3s, kept)).map((c) => c.name) : [];
  // No storage node is re-created for its state disk while its steps are an earlier program's:
  // this run updates them in place, the next attaches the disk (see NODE_STEPS_VERSION).
  const budget = holdsEarlierNodeSteps(previous) ? 0 : k3s.k3sNodeChangesPerUp;
  const stateDisks = cephStateDiskRollout(previous, topology, { k3sNodeChangesPerUp: budget, otherK3sNodeChanges: others });
  const firstBoot = firstBootPlan(previous, topology, roles, rootHashes);
  const record = deploymentRecord(topology, roles, k3s, stateDisks.attached);
  for (const name of Object.keys(firstBoot.hashes)) {
    const before = previous?.machines[name];
    if (before) record.machines[name] = { ...record.machines[name], identity: before.identity };
  }
  return { record, stateDisks, firstBoot };
}
