/**
 * What the platform backs up of its Ceph volumes, and where to (issue 18 item 5): derived once from
 * the stack's backup settings and the apps, as plain data. Undefined when the stack has no backup
 * target: then nothing of the backup tool is deployed (and nothing in the bucket is touched).
 *
 * The tool is Velero with its node agent (kopia) and CSI snapshot data movement (docs/backups.md,
 * "Ceph volumes": why Velero and not VolSync). Only the claims and their data are backed up, never
 * the Kubernetes objects around them: Pulumi re-creates those (and Velero writes object manifests,
 * Secrets included, unencrypted to the bucket; kopia's volume data is encrypted with the passphrase).
 */
import type { AppSpec } from "../config/apps";
import type { BackupSettings, BackupTarget, KindSchedule } from "../config/backup";
import { BACKUP_LATE_MARGIN_HOURS, BackupMonitoring, longestGapHoursOf } from "../config/backup-freshness";
import { NAMESPACES } from "./namespaces";

/** The platform's stateful services whose claims are backed up: Kafka, Redis, Prometheus, Mosquitto. */
export const BACKED_UP_NAMESPACES = [NAMESPACES.kafka.name, NAMESPACES.redis.name, NAMESPACES.monitoring.name, NAMESPACES.mosquitto.name] as const;

export interface VolumeBackupPlan {
  target: BackupTarget;
  /** `backupVolumesSchedule` and `backupVolumesRetentionDays`. */
  schedule: KindSchedule;
  /** Apps with `backupVolumes: true`: their claims (labelled with the app's name) in the apps' namespace. */
  apps: string[];
  /** The apps' namespace (stage 4's). */
  appsNamespace: string;
}

export function volumeBackupPlan(backup: BackupSettings | undefined, apps: Pick<AppSpec, "name" | "backupVolumes">[], appsNamespace: string): VolumeBackupPlan | undefined {
  if (!backup?.target) return undefined;
  return { target: backup.target, schedule: backup.volumes, apps: apps.filter((a) => a.backupVolumes).map((a) => a.name), appsNamespace };
}

/**
 * What the backup alerts watch, with the volumes added while Velero backs them up (their series is
 * the platform's own recording rule: ./volume-backup-monitoring.ts), late after the schedule's
 * longest gap plus the contract's margin, as every kind.
 */
export function watchVolumes(monitoring: BackupMonitoring, vb: VolumeBackupPlan | undefined): BackupMonitoring {
  if (!vb || monitoring.kinds.some((k) => k.kind === "volumes")) return monitoring;
  const lateAfterHours = longestGapHoursOf([vb.schedule.schedule]) + BACKUP_LATE_MARGIN_HOURS;
  return { ...monitoring, kinds: [...monitoring.kinds, { kind: "volumes", schedules: [vb.schedule.text], lateAfterHours }] };
}
