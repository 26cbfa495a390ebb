/**
 * Ceph's state on its own disk. Rook keeps the mon store, OSD metadata and crash reports in its
 * dataDirHostPath (/var/lib/rook) on each node; on the root disk, a new root disk (a new machine)
 * would lose that node's mon store. Each storage node therefore gets a third volume,
 * `<vm>-ceph-state.raw`: not named by the first-boot identity (a new root disk keeps it), protected
 * like the OSD disk, never an OSD itself (Rook's devices are listed per node).
 *
 * Its filesystem and mount are set up after boot by `scripts/ceph-state-disk.sh`, not by Ignition:
 * Flatcar runs Ignition on the first boot only, so an existing node re-created with the new disk
 * would never see it. The script formats only a blank disk, moves what the root disk already holds
 * onto it, and installs the mount unit K3s requires (cluster/index.ts runs it before K3s starts on a
 * new node, and while an existing node is drained).
 *
 * Attaching the disk changes the domain's `disks` (ForceNew): an existing storage node's VM is
 * re-created once, on the same disks. `cephStateDiskRollout` admits that one node per `pulumi up`
 * (within k3sNodeChangesPerUp), so a stack deployed before this disk existed rolls it in over a few
 * runs instead of draining every storage node at once.
 */
import { join } from "path";
import { isStorageNode, Topology } from "../config/topology";
import { renderScriptTemplate, ShellValue } from "../shell";
import type { DeploymentRecord } from "./deployment-record";
import { StateDisk } from "../nodes";

const GiB = 1024 ** 3;
/** Rook's dataDirHostPath (the chart's default, which the platform keeps). */
export const CEPH_STATE_DIR = "/var/lib/rook";
/** ext4 label (at most 16 characters): the mount unit finds the disk by it, not by /dev/vdX order. */
export const CEPH_STATE_LABEL = "fmc-ceph-state";
/** systemd's name for a mount unit of /var/lib/rook. */
export const CEPH_STATE_MOUNT_UNIT = "var-lib-rook.mount";
export const CEPH_STATE_MARKER = ".flatcarmicrocloud-state-disk";
/** The services K3s's installer creates (server, agent): both require the mount. */
const K3S_SERVICES = ["k3s.service", "k3s-agent.service"];

export function cephStateVolumeName(vmName: string): string {
  return `${vmName}-ceph-state.raw`;
}

export function renderCephStateDiskScript(node: { name: string; stateDisk: StateDisk }): string {
  const values: Record<string, ShellValue> = {
    VM_NAME: node.name,
    DEVICE: node.stateDisk.device,
    SIZE_BYTES: node.stateDisk.sizeGiB * GiB,
    LABEL: CEPH_STATE_LABEL,
    STATE_DIR: CEPH_STATE_DIR,
    MOUNT_UNIT: CEPH_STATE_MOUNT_UNIT,
    KUBE_SERVICES: K3S_SERVICES,
    MARKER: CEPH_STATE_MARKER,
  };
  return renderScriptTemplate(join(__dirname, "scripts"), "ceph-state-disk.sh", values);
}

export interface StateDiskRollout {
  /** Storage VMs whose domain has the state disk attached in this run. */
  attached: string[];
  /** Storage VMs still without it: a later `pulumi up` attaches them. */
  pending: string[];
}

/**
 * Which storage VMs get their state disk attached in this run, given the last run's record:
 * - on the first deploy, and for a VM the last run did not have, all of them (a new domain anyway);
 * - a VM the last run recorded with the disk keeps it;
 * - a VM recorded without it (deployed by a program before this disk existed) gets it when this run
 *   re-creates its domain anyway (`reCreated`: resized, new machine), else while the run's budget of
 *   K3s node changes (k3sNodeChangesPerUp, minus the other changes of this run) lasts, in config order.
 */
export function cephStateDiskRollout(
  previous: DeploymentRecord | undefined,
  topology: Topology,
  budget: { k3sNodeChangesPerUp: number; otherK3sNodeChanges: string[] },
): StateDiskRollout {
  const storage = topology.vms.filter(isStorageNode).map((vm) => vm.name);
  if (!previous) return { attached: storage, pending: [] };
  const attached: string[] = [];
  const waiting: string[] = [];
  for (const name of storage) {
    const before = previous.machines[name];
    if (!before || before.cephStateDiskGiB !== undefined || budget.otherK3sNodeChanges.includes(name)) attached.push(name);
    else waiting.push(name);
  }
  const room = Math.max(0, budget.k3sNodeChangesPerUp - budget.otherK3sNodeChanges.length);
  return { attached: [...attached, ...waiting.slice(0, room)], pending: waiting.slice(room) };
}
