/**
 * What the stack puts into each libvirt storage pool (`storagePoolPath`, or each pool of `hosts`),
 * and how much of it the host must really find free. Stated once here; the config check (`config/validate.ts`), the plan's
 * capacity report (`plan/capacity.ts`) and the host preflight (`infra/host-preflight.ts`) all count
 * with `poolDiskBudget`, so the three never disagree.
 *
 * Why raw volumes count in full: terraform-provider-libvirt 0.8.3 builds every volume from
 * `newDefVolume()` (libvirt/volume_def.go), which sets a capacity and no `<allocation>`; libvirt's
 * `virStorageVolDefParseXML` then takes the allocation to be the capacity, and a dir pool creates a
 * raw file with `createRawFile` (storage_util.c): `fallocate` of the whole allocation. So a 200 GiB
 * Ceph OSD disk takes 200 GiB of the filesystem the moment it is created, written or not.
 * qcow2 root overlays (`base_volume_id`) are created by `qemu-img create` without preallocation:
 * small at first, they grow up to their virtual size as the guest writes; the worst case counts
 * that size. Base images take what was downloaded (the provider sets their capacity from the
 * download's Content-Length); the figure below is an estimate on the safe side of today's pins.
 */
import { IMAGES, RETAINED_IMAGES } from "../versions";
import { dataPoolOf, isStorageNode, OsFamily, Topology, VmSpec } from "./topology";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Estimates (bytes), on the safe side: measure with `virsh vol-info --pool <pool> <name>`. */
export const POOL_ESTIMATES = {
  /** One downloaded base image (Flatcar's qemu image and Rocky's GenericCloud qcow2 are both below 1.5 GiB). */
  baseImageBytes: 2 * GIB,
  /** One cloud-init ISO or Ignition file (a few KiB to a few hundred KiB). */
  firstBootBytes: 1 * MIB,
} as const;

export type PoolVolumeKind = "raw" | "overlay" | "base" | "first-boot";

export interface PoolVolume {
  /**
   * The volume's name in the pool, or a shell pattern (`worker1-root-*.qcow2`) for the volumes whose
   * name carries the VM's first-boot hash: a replaced one is deleted before its successor exists
   * (deleteBeforeReplace), so one of that pattern is what a VM holds at any time.
   */
  name: string;
  kind: PoolVolumeKind;
  /** Taken from the filesystem when libvirt creates the volume. */
  atCreateBytes: number;
  /** The most it can take over its life. */
  worstCaseBytes: number;
  /** For messages: `worker1's Ceph OSD disk`. */
  what: string;
}

export interface PoolDiskBudget {
  volumes: PoolVolume[];
  /** Preallocated raw volumes (Ceph OSD and state disks), in full. */
  rawBytes: number;
  /** Root overlays at their virtual size (what they can grow to). */
  overlayBytes: number;
  /** Base images (every retained release too) and first-boot files. */
  imageBytes: number;
  /** What creating every volume takes at once. */
  atCreateBytes: number;
  /** Everything above once every root disk is full: what the pool's filesystem must hold. */
  worstCaseBytes: number;
}

/** A pool of the topology: the host's name and the pool's name on it. */
export interface PoolRef {
  host: string;
  pool: string;
}

/** The first pool of the first host: the one pool of a one-host stack. */
export function primaryPool(topology: Pick<Topology, "hosts">): PoolRef {
  return { host: topology.hosts[0].name, pool: topology.hosts[0].pools[0].name };
}

/**
 * The volumes stage 1 creates in the pool `where` (infra/index.ts), with what each takes: the root
 * disks, first-boot files and Ceph state disks of the VMs whose `pool` it is, the Ceph OSD disks of
 * those whose `dataPool` it is, and the base images of the OSes of the root disks in it.
 */
export function poolVolumes(
  topology: Pick<Topology, "vms" | "cephStateDiskGiB">,
  baseImages: Record<OsFamily, readonly string[]>,
  where: PoolRef,
): PoolVolume[] {
  const out: PoolVolume[] = [];
  const here = (vm: VmSpec, pool: string) => vm.host === where.host && pool === where.pool;
  const rooted = topology.vms.filter((vm) => here(vm, vm.pool));
  const osInUse = [...new Set(rooted.map((vm) => vm.os))];
  for (const os of osInUse) {
    for (const release of baseImages[os]) {
      const bytes = POOL_ESTIMATES.baseImageBytes;
      out.push({ name: `${os}-${release}.qcow2`, kind: "base", atCreateBytes: bytes, worstCaseBytes: bytes, what: `${os} ${release} base image (estimate)` });
    }
  }
  for (const vm of topology.vms) {
    const rootHere = here(vm, vm.pool);
    if (rootHere) {
      const root = vm.rootDiskGiB * GIB;
      // Names as infra/index.ts gives them; the overlay starts at a few MiB (qcow2 metadata).
      out.push({ name: `${vm.name}-root-*.qcow2`, kind: "overlay", atCreateBytes: POOL_ESTIMATES.firstBootBytes, worstCaseBytes: root, what: `${vm.name}'s root disk (qcow2, grows to ${vm.rootDiskGiB} GiB)` });
      const firstBoot = vm.os === "rocky" ? `${vm.name}-cloudinit-*.iso` : `${vm.name}-*.ign`;
      out.push({ name: firstBoot, kind: "first-boot", atCreateBytes: POOL_ESTIMATES.firstBootBytes, worstCaseBytes: POOL_ESTIMATES.firstBootBytes, what: `${vm.name}'s first-boot file` });
    }
    if (isStorageNode(vm) && vm.dataDiskGiB !== undefined && here(vm, dataPoolOf(vm))) {
      const osd = vm.dataDiskGiB * GIB;
      out.push({ name: `${vm.name}-ceph-osd.raw`, kind: "raw", atCreateBytes: osd, worstCaseBytes: osd, what: `${vm.name}'s Ceph OSD disk (raw, preallocated)` });
    }
    // The Ceph state disk stays with the root disk (infra/index.ts).
    if (isStorageNode(vm) && rootHere) {
      const state = topology.cephStateDiskGiB * GIB;
      out.push({ name: `${vm.name}-ceph-state.raw`, kind: "raw", atCreateBytes: state, worstCaseBytes: state, what: `${vm.name}'s Ceph state disk (raw, preallocated)` });
    }
  }
  return out;
}

export function poolDiskBudget(volumes: PoolVolume[]): PoolDiskBudget {
  const sum = (kinds: PoolVolumeKind[], f: (v: PoolVolume) => number) => volumes.filter((v) => kinds.includes(v.kind)).reduce((s, v) => s + f(v), 0);
  const worst = (v: PoolVolume) => v.worstCaseBytes;
  return {
    volumes,
    rawBytes: sum(["raw"], worst),
    overlayBytes: sum(["overlay"], worst),
    imageBytes: sum(["base", "first-boot"], worst),
    atCreateBytes: volumes.reduce((s, v) => s + v.atCreateBytes, 0),
    worstCaseBytes: volumes.reduce((s, v) => s + v.worstCaseBytes, 0),
  };
}

export function gibText(bytes: number): string {
  const gib = bytes / GIB;
  return `${Number(gib.toFixed(gib < 10 ? 2 : 1))} GiB`;
}

/** `raw 660 GiB (Ceph OSD and state disks, preallocated), root disks 250 GiB, images 4.01 GiB`. */
export function describePoolBudget(b: PoolDiskBudget): string {
  return `preallocated raw ${gibText(b.rawBytes)} (Ceph OSD and state disks), root overlays up to ${gibText(b.overlayBytes)}, base images and first-boot files ${gibText(b.imageBytes)}`;
}

/** Every base image release stage 1 keeps per OS: the retained pins and the current one (versions.ts). */
export function baseImageReleases(): Record<OsFamily, string[]> {
  return {
    flatcar: [...RETAINED_IMAGES.flatcar.map((i) => i.release), IMAGES.flatcar.release],
    rocky: [...RETAINED_IMAGES.rocky.map((i) => i.release), IMAGES.rocky.release],
  };
}
