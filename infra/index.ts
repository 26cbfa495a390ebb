/**
 * Stage 1: the libvirt layer. Per host a provider, its networks, its storage pools and the pinned
 * base images their root disks need; per VM, through its host's provider, a root overlay in its
 * pool, an optional raw Ceph disk in its data pool, its first-boot config and the domain. Everything the guests
 * receive is rendered by the pure functions next to this file; this component only wires resources.
 */
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { shortHash } from "../config/identity";
import { PoolRef } from "../config/host-disk";
import { bridgeOn } from "../config/network-span";
import { dataPoolOf, HostSpec, NetworkSpec, OsFamily, STATEFUL_ROLES, Topology, VmSpec } from "../config/topology";
import { InfraNode } from "../nodes";
import { remoteCommand } from "../shell";
import { IMAGES, RETAINED_IMAGES } from "../versions";
import { cephStateVolumeName } from "./ceph-state-disk";
import { CloudConfigFragment, renderRockyMetaData, renderRockyNetworkConfig, renderRockyUserData, rockyFirstBootIdentity } from "./cloudinit";
import { flatcarIgnitionIdentity, renderFlatcarIgnition } from "./ignition";
import { hostPreflightFor, renderHostPreflightScript } from "./host-preflight";
import { FLATCAR_FW_CFG_NAME, renderIgnitionFwCfgXslt } from "./ignition-delivery";
import { domainShape, networkArgs, poolArgs } from "./machines";
import { describeNode, withSshProxyReady } from "./nodes";
import { baseImageName, isPrimaryPool, networkResourceName, networksOn, poolResourceName, preflightName, providerName } from "./placement";

const GiB = 1024 ** 3;

export interface InfraArgs {
  topology: Topology;
  /**
   * Role content merged into a Rocky VM's cloud-config (bastion, FreeIPA, ...). May carry secrets:
   * the user-data then stays a secret output all the way to the cloud-init disk.
   */
  roleFragments?: (vm: VmSpec) => pulumi.Input<CloudConfigFragment[]>;
  /** The bastion VM every SSH connection goes through (`sshJumpHost`); none means direct. */
  sshJumpHost?: string;
  /**
   * Resolves once the day-two check passed (infra/deployment-record.ts `admitDayTwoChange`). The
   * host preflight, which every libvirt object waits for, takes its script through it: a refused
   * change fails the preview and the update before anything on the host is touched.
   */
  admitted?: pulumi.Input<true>;
  /**
   * The storage VMs whose domain gets its Ceph state disk in this run (./ceph-state-disk.ts
   * `cephStateDiskRollout`); default: every storage VM. The volume exists for all of them.
   */
  cephStateDisks?: pulumi.Input<string[]>;
  /**
   * Live Rocky VMs that keep the first boot they were built with (./machines.ts `firstBootPlan`):
   * VM name -> the hash their root and cloud-init disks are named after. Others get this program's.
   */
  firstBootHashes?: pulumi.Input<Record<string, string>>;
}

/** The first-boot config of one VM and the libvirt object that carries it to the guest. */
interface FirstBoot {
  /** The VM's first-boot identity (not the stack-wide values): part of the root volume's name. */
  hash: pulumi.Output<string>;
  domainArgs: Pick<libvirt.DomainArgs, "coreosIgnition" | "fwCfgName" | "cloudinit" | "xml">;
}

/** A storage pool and, per OS whose root disks are in it, its current base image. */
interface PoolObjects {
  pool: libvirt.Pool;
  baseImages: Map<OsFamily, libvirt.Volume>;
}

/** What stage 1 keeps per host: its provider and the libvirt objects defined through it. */
interface HostObjects {
  provider: libvirt.Provider;
  networks: Record<string, libvirt.Network>;
  /** Per pool name. */
  pools: Map<string, PoolObjects>;
}

export class Infra extends pulumi.ComponentResource {
  declare readonly nodes: InfraNode[];
  /** The first host's networks (every network of a one-host stack). */
  declare readonly networkIds: Record<string, pulumi.Output<string>>;
  /** The first host's first pool: the one pool of a one-host stack. */
  declare readonly poolName: pulumi.Output<string>;

  private readonly topology: Topology;

  constructor(name: string, args: InfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:infra:Infra", name, {}, opts);
    const { topology } = args;
    this.topology = topology;
    const hosts = new Map(topology.hosts.map((host) => [host.name, this.host(name, host, args.admitted)]));
    const objectsOf = (vm: VmSpec) => hosts.get(vm.host) as HostObjects;
    const poolOf = (vm: VmSpec, pool: string) => objectsOf(vm).pools.get(pool) as PoolObjects;

    const nodes = topology.vms.map((vm) => {
      const { provider, networks } = objectsOf(vm);
      const child = { parent: this, provider };
      const home = poolOf(vm, vm.pool);
      const firstBoot =
        vm.os === "flatcar" ? this.ignition(name, vm, provider, home.pool) : this.cloudInit(name, vm, provider, home.pool, args.roleFragments?.(vm) ?? [], args.firstBootHashes);
      // A new first-boot config means a new root volume: Ignition and cloud-init only act on a fresh disk.
      const root = new libvirt.Volume(
        `${name}-${vm.name}-root`,
        {
          name: pulumi.interpolate`${vm.name}-root-${firstBoot.hash}.qcow2`,
          pool: home.pool.name,
          baseVolumeId: (home.baseImages.get(vm.os) as libvirt.Volume).id,
          format: "qcow2",
          size: vm.rootDiskGiB * GiB,
        },
        {
          ...child,
          // A protected root disk also stops a first-boot change from silently wiping the database.
          protect: topology.protectStatefulDisks && STATEFUL_ROLES.includes(vm.role),
          // ForceNew: a new base image pin would replace every root disk. It applies to new disks only.
          ignoreChanges: ["baseVolumeId"],
          // A new root disk is a new machine. Deleting the old one first makes the engine first
          // delete what it would replace anyway, in reverse dependency order, while the old VM still
          // runs: stage 2 drains the node, uninstalls K3s and removes the node from the cluster
          // before the old VM and disk go; then the new machine is created and joins.
          deleteBeforeReplace: true,
        },
      );
      // The Ceph OSD disk: raw, never partitioned or formatted here; Rook takes it whole. It is not
      // tied to the first-boot hash, so a re-provisioned node keeps its data disk.
      const data =
        vm.dataDiskGiB === undefined
          ? undefined
          : new libvirt.Volume(
              `${name}-${vm.name}-ceph-osd`,
              { name: `${vm.name}-ceph-osd.raw`, pool: poolOf(vm, dataPoolOf(vm)).pool.name, format: "raw", size: vm.dataDiskGiB * GiB },
              { ...child, protect: topology.protectStatefulDisks },
            );
      // Ceph's state (Rook's dataDirHostPath: the mon store), off the root disk for the same reason;
      // formatted and mounted after boot, never by Ignition (./ceph-state-disk.ts).
      const state =
        vm.dataDiskGiB === undefined
          ? undefined
          : new libvirt.Volume(
              `${name}-${vm.name}-ceph-state`,
              { name: cephStateVolumeName(vm.name), pool: home.pool.name, format: "raw", size: topology.cephStateDiskGiB * GiB },
              { ...child, protect: topology.protectStatefulDisks },
            );
      const stateDiskAttached = !state
        ? undefined
        : args.cephStateDisks === undefined
          ? pulumi.output(true)
          : pulumi.output(args.cephStateDisks).apply((names) => names.includes(vm.name));
      const domain = new libvirt.Domain(
        `${name}-${vm.name}`,
        {
          // The domain's own inputs: the deployment record fingerprints the same values.
          ...domainShape(vm, topology),
          // Root, OSD, state: the guest sees them as vda, vdb, vdc in this order (nodes.ts).
          disks: pulumi
            .all([root.id, data?.id, state?.id, stateDiskAttached])
            .apply(([rootId, dataId, stateId, withState]) => [
              { volumeId: rootId },
              ...(dataId ? [{ volumeId: dataId }] : []),
              ...(stateId && withState ? [{ volumeId: stateId }] : []),
            ]),
          networkInterfaces: vm.nics.map((nic) => {
            const spec = topology.networks.find((n) => n.name === nic.network) as NetworkSpec;
            // libvirt reports a NIC on a bridge-mode network as a plain bridge NIC, and the provider
            // reads it back that way: attached by network id, it would show a diff on every run.
            const attachment = spec.mode === "bridge" ? { bridge: bridgeOn(spec, vm.host) } : { networkId: networks[nic.network].id };
            // Addresses are static inside the guest; libvirt must not wait for a DHCP lease.
            return { ...attachment, mac: nic.mac, waitForLease: false };
          }),
          ...firstBoot.domainArgs,
        },
        {
          ...child,
          // Bridge legs name the host bridge, not the libvirt network: wait for that network anyway.
          dependsOn: vm.nics.map((nic) => networks[nic.network]),
          // The domain keeps its name (the hostname), so the old one must go before the new one exists.
          deleteBeforeReplace: true,
          replaceOnChanges: ["coreosIgnition", "cloudinit", "disks"],
        },
      );
      return { ...describeNode(vm, topology, args.sshJumpHost), domainId: domain.id, rootVolumeId: root.id, ...(stateDiskAttached ? { stateDiskAttached } : {}) };
    });

    const first = hosts.get(topology.hosts[0].name) as HostObjects;
    this.nodes = withSshProxyReady(nodes, args.sshJumpHost);
    this.networkIds = Object.fromEntries(Object.entries(first.networks).map(([k, n]) => [k, n.id]));
    this.poolName = (first.pools.get(topology.hosts[0].pools[0].name) as PoolObjects).pool.name;
    this.registerOutputs({ nodes: this.nodes, networkIds: this.networkIds, poolName: this.poolName });
  }

  /**
   * One host's provider, preflights, networks, pools and the base images its root disks need. The
   * first host's keep the names of a one-host stack (./placement.ts).
   */
  private host(prefix: string, host: HostSpec, admitted: pulumi.Input<true> | undefined): HostObjects {
    const topology = this.topology;
    // The engine stores the parameterized package version (0.8.3) as the provider's `version` on create
    // and the bridge plugin's (1.1.3) on the next update: without this, the second `up` always shows
    // `~version` on the provider (seen by the lab under the real engine, docs/lab.md).
    const provider = new libvirt.Provider(providerName(prefix, topology, host), { uri: host.libvirtUri }, { parent: this, ignoreChanges: ["version"] });
    const refs = host.pools.map((p) => ({ host: host.name, pool: p.name }));
    // First step of `pulumi up`, on the machine running Pulumi: the host, each pool's free space and
    // the local tools the provider needs, checked before any libvirt object exists (a preview does
    // not run it). Every libvirt object waits for it through the networks and the pools. It runs
    // again when its script changes (another URI, new needs), not on every run.
    const preflights = refs.map((ref) => {
      const script = remoteCommand(renderHostPreflightScript(hostPreflightFor(topology, ref)), { name: "fmc-host-preflight", root: false });
      return new command.local.Command(
        preflightName(prefix, topology, ref),
        { create: admitted ? pulumi.output(admitted).apply(() => script) : script },
        { parent: this },
      );
    });
    const networks = Object.fromEntries(
      networksOn(topology, host).map((spec) => [
        spec.name,
        new libvirt.Network(networkResourceName(prefix, topology, host, spec.name), networkArgs(spec, topology, host.name), { parent: this, provider, dependsOn: preflights }),
      ]),
    );
    const pools = new Map(
      refs.map((ref, i) => {
        const pool = new libvirt.Pool(poolResourceName(prefix, topology, ref), poolArgs(topology, ref), { parent: this, provider, dependsOn: [preflights[i]] });
        // Per OS whose root disks are in this pool: the pinned base image new root disks are overlays
        // on, and the earlier pins existing root disks still are overlays on (versions.ts
        // RETAINED_IMAGES). Each pool has its own, so a pool's disk fails alone.
        const rooted = topology.vms.filter((vm) => vm.host === ref.host && vm.pool === ref.pool);
        const osInUse = [...new Set(rooted.map((vm) => vm.os))];
        const baseImages = new Map(osInUse.map((os) => [os, this.baseImages(prefix, ref, os, provider, pool)]));
        return [ref.pool, { pool, baseImages }];
      }),
    );
    return { provider, networks, pools };
  }

  /**
   * The base image volumes of `os`, one resource per release (so a bump adds one and keeps the
   * others); returns the current pin's. The oldest takes over the single resource of earlier
   * versions of this program (`<prefix>-<os>-base`) by alias, so it is not replaced.
   */
  private baseImages(prefix: string, where: PoolRef, os: OsFamily, provider: libvirt.Provider, pool: libvirt.Pool): libvirt.Volume {
    const image = IMAGES[os];
    // The current pin comes from the stack's mirror when it names one (flatcarImageUrl/rockyImageUrl).
    const releases = [...RETAINED_IMAGES[os], { release: image.release, url: this.topology.imageUrls[os] }];
    const volumes = releases.map(
      ({ release, url }, i) =>
        new libvirt.Volume(
          baseImageName(prefix, this.topology, where, os, release),
          { name: `${os}-${release}.qcow2`, pool: pool.name, source: url, format: image.format },
          // `source` is ForceNew: moving to a mirror must not re-create a base image (a volume of the
          // same name cannot exist beside the old one) and with it every VM's root disk. The release,
          // in the name, is what makes a new one.
          {
            parent: this,
            provider,
            aliases: i === 0 && isPrimaryPool(this.topology, where) ? [{ name: `${prefix}-${os}-base` }] : [],
            ignoreChanges: ["source"],
          },
        ),
    );
    return volumes[volumes.length - 1];
  }

  private ignition(prefix: string, vm: VmSpec, provider: libvirt.Provider, pool: libvirt.Pool): FirstBoot {
    const content = renderFlatcarIgnition(vm, this.topology);
    const hash = shortHash(flatcarIgnitionIdentity(vm, this.topology));
    const ignition = new libvirt.Ignition(
      `${prefix}-${vm.name}-ignition`,
      { name: `${vm.name}-${hash}.ign`, pool: pool.name, content },
      // The name carries the identity (see cloudInit): stack-wide values alone change no machine.
      { parent: this, provider, ignoreChanges: ["content"] },
    );
    return {
      hash: pulumi.output(hash),
      // The provider passes the file as a raw `-fw_cfg` qemu argument, which libvirt never labels: the
      // stylesheet turns it into libvirt's own fw_cfg entry, so a confined qemu (SELinux, AppArmor) may
      // read it (infra/ignition-delivery.ts).
      domainArgs: { coreosIgnition: ignition.id, fwCfgName: FLATCAR_FW_CFG_NAME, xml: { xslt: renderIgnitionFwCfgXslt(FLATCAR_FW_CFG_NAME) } },
    };
  }

  private cloudInit(
    prefix: string,
    vm: VmSpec,
    provider: libvirt.Provider,
    pool: libvirt.Pool,
    fragments: pulumi.Input<CloudConfigFragment[]>,
    kept?: pulumi.Input<Record<string, string>>,
  ): FirstBoot {
    const networkConfig = renderRockyNetworkConfig(vm, this.topology);
    const userData = pulumi.output(fragments).apply((f) => renderRockyUserData(vm, this.topology, f));
    // The hash names objects, so it must not be secret itself (a 40-bit digest reveals nothing of
    // the user-data). A live VM whose first-boot inputs are unchanged keeps its own: its disks keep
    // their names, and the cloud-init disk its content (ignoreChanges below).
    const rendered = pulumi.unsecret(userData.apply((u) => rockyFirstBootIdentity(vm, this.topology, u, networkConfig)));
    const hash = pulumi.all([rendered, pulumi.output(kept ?? {})]).apply(([own, live]) => live[vm.name] ?? own);
    const disk = new libvirt.CloudinitDisk(
      `${prefix}-${vm.name}-cloudinit`,
      {
        name: pulumi.interpolate`${vm.name}-cloudinit-${hash}.iso`,
        pool: pool.name,
        userData,
        networkConfig,
        metaData: hash.apply((h) => renderRockyMetaData(vm, h)),
      },
      // The name carries the identity: any change of the VM's own config renames (replaces) the
      // disk. A change of the stack-wide values alone (key, NTP, resolvers) keeps the disk as it was
      // at the VM's creation; host-settings delivers the new values.
      { parent: this, provider, ignoreChanges: ["userData", "networkConfig", "metaData"] },
    );
    return { hash, domainArgs: { cloudinit: disk.id } };
  }
}
