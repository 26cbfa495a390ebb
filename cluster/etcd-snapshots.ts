/**
 * K3s's own etcd snapshots (issue 18 item 2), as the K3s servers' config.yaml keys: K3s takes them
 * on `backupEtcdSchedule`, keeps `backupEtcdRetentionDays` worth of them and, with an off-host target
 * (`backupS3Endpoint`), uploads each one to `<bucket>/flatcarmicrocloud/<stack>/etcd/` with its
 * built-in S3 client (`etcd-s3-*`; K3s pkg/etcd/s3). Pure: plain settings in, keys out.
 *
 * The keys go into config.yaml, which reaches the node on the install command's stdin (a Pulumi
 * secret, with the token) and is written 0600: the access key and secret key appear in no command
 * line, no log and no world-readable file. `etcd-s3-config-secret` (a Secret in kube-system) was not
 * chosen: K3s reads that Secret through the apiserver, so a `cluster-reset` restore, when the
 * apiserver is down, could not reach the target with it.
 */
import { BackupCredentials, BackupSettings } from "../config/backup";
import { runsPerDay, toCron } from "../config/backup-schedule";

/** K3s's default retention (5), for comparison in docs; ours comes from `backupEtcdRetentionDays`. */
export const K3S_DEFAULT_SNAPSHOT_RETENTION = 5;

/** Where in the bucket the etcd snapshots go (K3s's `etcd-s3-folder`). */
export function etcdSnapshotFolder(settings: BackupSettings): string | undefined {
  return settings.target && `${settings.target.prefix}/etcd`;
}

/**
 * How many snapshots K3s keeps (`etcd-snapshot-retention` is a count per node, locally and, with S3,
 * in the bucket): the schedule's runs over the retention days, at least one.
 */
export function etcdSnapshotRetentionCount(settings: BackupSettings): number {
  return Math.max(1, Math.ceil(settings.etcd.retentionDays * runsPerDay(settings.etcd.schedule)));
}

/**
 * The etcd snapshot keys of a K3s server's config.yaml. Without a target: the schedule and retention
 * of K3s's local snapshots only (K3s takes them anyway: twice a day, five kept, by default). With a
 * target: the same, each snapshot also uploaded. `credentials` is required exactly with a target.
 */
export function etcdSnapshotConfig(settings: BackupSettings, credentials?: Pick<BackupCredentials, "accessKeyId" | "secretAccessKey">): Record<string, unknown> {
  const keys: Record<string, unknown> = {
    // K3s's cron runs in the node's time zone: UTC on Flatcar, as the schedule's times are.
    "etcd-snapshot-schedule-cron": toCron(settings.etcd.schedule),
    "etcd-snapshot-retention": etcdSnapshotRetentionCount(settings),
    // Zip: smaller uploads; cluster-reset restores .zip snapshots as they are.
    "etcd-snapshot-compress": true,
  };
  const target = settings.target;
  if (!target) return keys;
  if (!credentials) throw new Error("etcdSnapshotConfig: a backup target needs its credentials");
  Object.assign(keys, {
    "etcd-s3": true,
    // host[:port], no scheme: K3s speaks HTTPS unless etcd-s3-insecure, which is never set here.
    "etcd-s3-endpoint": target.port === 443 ? target.host : `${target.host}:${target.port}`,
    "etcd-s3-bucket": target.bucket,
    "etcd-s3-region": target.region,
    "etcd-s3-folder": etcdSnapshotFolder(settings),
    "etcd-s3-bucket-lookup-type": target.pathStyle ? "path" : "dns",
    // The bucket's own count, stated: K3s's `etcd-s3-retention` (pkg/cli/cmds, `s3-retention`) has a
    // default of its own (5 in the etcd-snapshot command), which would keep 30 hours of 6-hourly
    // snapshots in the bucket instead of the retention days.
    "etcd-s3-retention": etcdSnapshotRetentionCount(settings),
    "etcd-s3-access-key": credentials.accessKeyId,
    "etcd-s3-secret-key": credentials.secretAccessKey,
  });
  // K3s takes the CA bundle inline when it is base64 (pkg/etcd/s3 loadEndpointCAs tries base64
  // before a file path): no CA file to deliver and keep in sync on the node.
  if (target.caCertificate) keys["etcd-s3-endpoint-ca"] = Buffer.from(target.caCertificate, "utf8").toString("base64");
  return keys;
}
