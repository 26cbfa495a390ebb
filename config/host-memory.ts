/**
 * What the KVM host's memory has to hold besides the guests' RAM. A VM of N MiB costs the host more
 * than N: its qemu process (device emulation, VNC framebuffer, I/O buffers, the guest's page tables)
 * lives outside the guest's RAM, libvirt's daemons and dnsmasq run next to them, and when Pulumi runs
 * on the host (a local libvirt URI, e.g. the self-hosted CI runner) the CLI, the Node.js program and
 * its provider plugins need their share during `pulumi up`. `hostReservedMemoryGiB` is what is kept
 * on top of these for the host OS itself (kernel, systemd, sshd, firewalld, page cache).
 *
 * The figures are estimates stated once here, on the safe side of what such processes use; the
 * config check (`config/validate.ts`) and the plan's capacity report (`plan/capacity.ts`) both sum
 * them with `hostMemoryBudget`, so the two never disagree. Measure them on a real host with
 * `ps -o rss= -C qemu-kvm` (less the guest's RAM) and the Pulumi run's peak (docs/plan.md).
 */

export const HYPERVISOR_OVERHEAD = {
  /** Per VM: the qemu-kvm process itself (binary, libraries, virtio devices, VNC, serial, I/O buffers). */
  qemuPerVmMiB: 192,
  /** Per GiB of guest RAM: the guest's page tables on the host (EPT and qemu's own), with slack. */
  qemuPerGuestGiBMiB: 8,
  /** libvirt's daemons (libvirtd or virtqemud + virtnetworkd + virtstoraged, virtlogd) and one dnsmasq per network. */
  libvirtMiB: 256,
  /** A `pulumi up` on the host at its peak: CLI engine, Node.js program, the libvirt, command, kubernetes (Helm) and random plugins. */
  pulumiRunMiB: 1536,
} as const;

/**
 * True when libvirt is reached on this machine (`qemu:///system`, `qemu+unix://...`), i.e. Pulumi
 * runs on the KVM host and its memory counts against it. `qemu+ssh://host/system` and other remote
 * transports mean Pulumi runs elsewhere.
 */
export function pulumiRunsOnHost(libvirtUri: string): boolean {
  const match = /^[a-z0-9]+(\+([a-z0-9]+))?:\/\/([^/]*)\//i.exec(libvirtUri);
  if (!match) return true;
  const transport = match[2]?.toLowerCase();
  const authority = match[3];
  return (transport === undefined || transport === "unix") && authority === "";
}

export interface HostMemoryBudget {
  /** The guests' RAM, summed. */
  vmsMiB: number;
  /** Every qemu process's own memory, summed. */
  qemuMiB: number;
  libvirtMiB: number;
  /** Zero when Pulumi runs on another machine. */
  pulumiMiB: number;
  /** `hostReservedMemoryGiB`: the host OS itself. */
  hostOsMiB: number;
  /** Everything above, summed; must not exceed `hostMiB`. */
  neededMiB: number;
  hostMiB: number;
  /** What the VMs' RAM may add up to on this host: host memory less everything that is not guest RAM. */
  vmsAvailableMiB: number;
  fits: boolean;
}

/** The qemu process overhead of one VM of `memoryMiB`. */
export function qemuOverheadMiB(memoryMiB: number): number {
  const o = HYPERVISOR_OVERHEAD;
  return o.qemuPerVmMiB + Math.ceil((memoryMiB / 1024) * o.qemuPerGuestGiBMiB);
}

export function hostMemoryBudget(
  host: { memoryGiB: number; reservedMemoryGiB: number; libvirtUri: string },
  vms: readonly { memoryMiB: number }[],
): HostMemoryBudget {
  const vmsMiB = vms.reduce((s, vm) => s + vm.memoryMiB, 0);
  const qemuMiB = vms.reduce((s, vm) => s + qemuOverheadMiB(vm.memoryMiB), 0);
  const libvirtMiB = vms.length > 0 ? HYPERVISOR_OVERHEAD.libvirtMiB : 0;
  const pulumiMiB = pulumiRunsOnHost(host.libvirtUri) ? HYPERVISOR_OVERHEAD.pulumiRunMiB : 0;
  const hostOsMiB = host.reservedMemoryGiB * 1024;
  const hostMiB = host.memoryGiB * 1024;
  const neededMiB = vmsMiB + qemuMiB + libvirtMiB + pulumiMiB + hostOsMiB;
  return {
    vmsMiB,
    qemuMiB,
    libvirtMiB,
    pulumiMiB,
    hostOsMiB,
    neededMiB,
    hostMiB,
    vmsAvailableMiB: hostMiB - (qemuMiB + libvirtMiB + pulumiMiB + hostOsMiB),
    fits: neededMiB <= hostMiB,
  };
}

/** `qemu 1968 MiB (9 VMs), libvirt 256 MiB, Pulumi run 1536 MiB, host OS 1024 MiB`, for messages and reports. */
export function describeHostOverhead(b: HostMemoryBudget, vmCount: number, reservedKey = "hostReservedMemoryGiB"): string {
  const parts = [`qemu ${b.qemuMiB} MiB (${vmCount} VM${vmCount === 1 ? "" : "s"})`, `libvirt ${b.libvirtMiB} MiB`];
  parts.push(b.pulumiMiB > 0 ? `Pulumi run ${b.pulumiMiB} MiB` : "Pulumi run elsewhere (remote libvirtUri)");
  parts.push(`host OS ${b.hostOsMiB} MiB (${reservedKey})`);
  return parts.join(", ");
}
