/** A backup target as the stack config gives it (the secret keys as if set with --secret), and the volume backups it plans. */
import { parseBackupSettings, RawBackupConfig, RawBackupSecrets } from "../../config/backup";
import { VolumeBackupPlan, volumeBackupPlan } from "../../platform/volume-backups";

export const BACKUP_RAW: RawBackupConfig = { backupS3Endpoint: "https://s3.example.net:9000", backupS3Bucket: "fmc-backups" };
export const BACKUP_SECRETS: RawBackupSecrets = {
  backupS3AccessKeyId: { value: "AKIAFMCTEST", secret: true },
  backupS3SecretAccessKey: { value: "test-secret-key", secret: true },
  backupPassphrase: { value: "a long test passphrase 0123", secret: true },
};

export function testVolumeBackups(raw: RawBackupConfig = {}, apps: { name: string; backupVolumes: boolean }[] = []): VolumeBackupPlan {
  const plan = volumeBackupPlan(parseBackupSettings({ ...BACKUP_RAW, ...raw }, BACKUP_SECRETS, "prod"), apps, "apps");
  if (!plan) throw new Error("no volume backups planned");
  return plan;
}
