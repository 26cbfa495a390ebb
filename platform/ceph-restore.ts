/**
 * The Ceph steps of an etcd restore onto a rebuilt stack (`npm run restore -- etcd --rebuilt`,
 * docs/backups.md "Ceph after a restore onto a rebuilt stack"). The snapshot brings back Rook's
 * objects of the lost Ceph cluster while the new disks hold the one the rebuilt stack created; these
 * steps (platform/scripts/restore-ceph.sh on the first server) put the live cluster's identity back
 * over the snapshot's, around the etcd steps cluster/etcd-restore.ts plans:
 * - `capture` after the preflights, while the rebuilt cluster still answers;
 * - `hold` right after the reset (and the node passwords), before any other node is back, so no
 *   pod of the snapshot's Ceph runs before its Deployments are gone and Rook's operator is at 0;
 * - `resume` once every node is back, then `claims`: the volumes that were images of the lost
 *   cluster, with the Velero commands for the namespaces it backs up.
 * Pure: the etcd plan in, the whole plan out.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { RestoreStep, snapshotTime } from "../cluster/etcd-restore";
import { fillTemplate } from "../shell";
import { NAMESPACES } from "./namespaces";
import { ROOK_CSI_DRIVER_VALUES } from "./values/rook";
import { scheduleName, SCHEDULES } from "./values/velero";
import { BACKED_UP_NAMESPACES } from "./volume-backups";

export const CEPH_RESTORE_SCRIPT = "restore-ceph";
export const ROOK_NAMESPACE = NAMESPACES.rookCeph.name;
/** Where `capture` keeps the live identity on the first server (root only; the script's STATE). */
export const CEPH_RESTORE_STATE = "/var/lib/flatcarmicrocloud/restore-ceph";
/** How long `resume` waits for Rook's operator to report the live Ceph cluster (mons, mgr started). */
export const CEPH_RESUME_TIMEOUT_SECONDS = 1200;
const INTERVAL_SECONDS = 10;

export function renderRestoreCeph(opts: { resumeTimeoutSeconds?: number } = {}): string {
  return fillTemplate(readFileSync(join(__dirname, "scripts", "restore-ceph.sh"), "utf8"), {
    NAMESPACE: ROOK_NAMESPACE,
    STATE_DIR: CEPH_RESTORE_STATE,
    // The rook-ceph chart's operator Deployment.
    OPERATOR_DEPLOYMENT: "rook-ceph-operator",
    RBD_DRIVER: ROOK_CSI_DRIVER_VALUES.drivers.rbd.name,
    CEPHFS_DRIVER: ROOK_CSI_DRIVER_VALUES.drivers.cephfs.name,
    VELERO_NAMESPACE: NAMESPACES.velero.name,
    VELERO_SCHEDULE: scheduleName(SCHEDULES.platform),
    RESUME_ATTEMPTS: Math.ceil((opts.resumeTimeoutSeconds ?? CEPH_RESUME_TIMEOUT_SECONDS) / INTERVAL_SECONDS),
    INTERVAL_SECONDS,
  }, "restore-ceph.sh");
}

/**
 * The etcd plan of a rebuilt stack with the Ceph steps in place. The capture's proof that the Ceph
 * cluster it reads is the rebuilt one (created after the snapshot) needs the snapshot's time.
 */
export function withCephSteps(steps: RestoreStep[], snapshot: string): RestoreStep[] {
  const at = snapshotTime(snapshot);
  if (at === undefined) {
    throw new Error(`--rebuilt: "${snapshot}" does not end in K3s's snapshot time (<name>-<node>-<unix seconds>[.zip]); the Ceph steps need it to tell the rebuilt stack's Ceph cluster from the lost one`);
  }
  const reset = steps.find((s) => s.args[0] === "reset");
  const held = steps.findIndex((s) => s.args[0] === "forget-node-passwords");
  const preflights = steps.filter((s) => s.args[0] === "preflight").length;
  if (!reset || held < 0 || preflights === 0) throw new Error("the Ceph steps go into a rebuilt stack's etcd restore (preflight, reset, forget-node-passwords)");
  const ceph = (args: string[], why: string): RestoreStep => ({ node: reset.node, ssh: reset.ssh, args, why, script: CEPH_RESTORE_SCRIPT });
  return [
    ...steps.slice(0, preflights),
    ceph(["capture", "--created-after", String(at)], "keep the rebuilt stack's live Ceph identity (Rook's Secrets, mon endpoints)"),
    ...steps.slice(preflights, held + 1),
    ceph(["hold"], "Rook's operator to 0, the lost Ceph cluster's Deployments and mon Services out, the live identity back"),
    ...steps.slice(held + 1),
    ceph(["resume"], "Rook's operator back, until it reports the live Ceph cluster"),
    ceph(["claims", ...BACKED_UP_NAMESPACES], "the claims on images of the lost Ceph cluster, and Velero's restore for them"),
  ];
}
