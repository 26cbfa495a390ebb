/**
 * The off-host backup target and the backup schedules (issue 18): one S3-compatible bucket every
 * kind of data goes to (PostgreSQL through pgBackRest; K3s's etcd snapshots, FreeIPA's ipa-backup
 * and the Ceph volumes use the same target), its credentials and the encryption passphrase as
 * secrets, and a schedule and retention per kind. Backups are on exactly when `backupS3Endpoint`
 * is set; turning them off stops new backups and deletes none.
 *
 * `parseBackupSettings` is pure (raw values in, settings out) and fails with every problem at once,
 * each naming its key. The secret keys must be stored encrypted in the stack config
 * (`pulumi config set --secret`): a plain-text value is refused, naming the key and never showing it.
 */
import * as pulumi from "@pulumi/pulumi";
import { X509Certificate } from "crypto";
import { BackupSchedule, parseBackupSchedule } from "./backup-schedule";
import { readRawConfig } from "./load";
import { checkSecretKeys, RawSecrets, readSecretKeys, setSecretCommand } from "./secret-keys";
import { Collector, ConfigError } from "./validate";

export const BACKUP_KINDS = ["postgresql", "etcd", "freeipa", "volumes"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** Non-secret keys, as written in Pulumi.<stack>.yaml (without the project prefix). */
export interface RawBackupConfig {
  backupS3Endpoint?: unknown;
  backupS3Bucket?: unknown;
  backupS3Region?: unknown;
  backupS3PathStyle?: unknown;
  backupS3CaCertificate?: unknown;
  backupPostgresqlFullSchedule?: unknown;
  backupPostgresqlDiffSchedule?: unknown;
  backupPostgresqlRetentionDays?: unknown;
  backupEtcdSchedule?: unknown;
  backupEtcdRetentionDays?: unknown;
  backupFreeipaSchedule?: unknown;
  backupFreeipaRetentionDays?: unknown;
  backupVolumesSchedule?: unknown;
  backupVolumesRetentionDays?: unknown;
}

export const BACKUP_CONFIG_KEYS: readonly (keyof RawBackupConfig)[] = [
  "backupS3Endpoint",
  "backupS3Bucket",
  "backupS3Region",
  "backupS3PathStyle",
  "backupS3CaCertificate",
  "backupPostgresqlFullSchedule",
  "backupPostgresqlDiffSchedule",
  "backupPostgresqlRetentionDays",
  "backupEtcdSchedule",
  "backupEtcdRetentionDays",
  "backupFreeipaSchedule",
  "backupFreeipaRetentionDays",
  "backupVolumesSchedule",
  "backupVolumesRetentionDays",
];

/** The target's credentials and the encryption passphrase: stored with `pulumi config set --secret` only. */
export const BACKUP_SECRET_KEYS = ["backupS3AccessKeyId", "backupS3SecretAccessKey", "backupPassphrase"] as const;
export type BackupSecretKey = (typeof BACKUP_SECRET_KEYS)[number];

export const BACKUP_DEFAULTS = {
  backupS3Region: "us-east-1",
  backupS3PathStyle: true,
  backupPostgresqlFullSchedule: "su 01:30",
  backupPostgresqlDiffSchedule: "mo,tu,we,th,fr,sa 01:30",
  backupPostgresqlRetentionDays: 14,
  backupEtcdSchedule: "every 6h",
  backupEtcdRetentionDays: 7,
  backupFreeipaSchedule: "02:00",
  backupFreeipaRetentionDays: 14,
  backupVolumesSchedule: "03:00",
  backupVolumesRetentionDays: 7,
} as const;

/** The passphrase encrypts every backup (pgBackRest's aes-256-cbc key derivation input): long enough to resist guessing. */
export const MIN_PASSPHRASE_LENGTH = 20;

export interface BackupTarget {
  /** `https://host[:port]` as configured. */
  endpoint: string;
  host: string;
  port: number;
  bucket: string;
  region: string;
  /** Path-style URLs (`https://host/bucket/key`), as MinIO, Garage and Ceph RGW usually want; else virtual-hosted. */
  pathStyle: boolean;
  /** PEM of the CA that signed the endpoint's certificate, when it is not a public one. */
  caCertificate?: string;
  /** Where in the bucket this stack's backups live; each kind writes below `<prefix>/<kind>` only. */
  prefix: string;
}

export interface KindSchedule {
  schedule: BackupSchedule;
  /** The text as configured (for docs and logs). */
  text: string;
  retentionDays: number;
}

export interface BackupSettings {
  /** Undefined: backups are off (no `backupS3Endpoint`). */
  target?: BackupTarget;
  postgresql: { full: KindSchedule; diff: KindSchedule; retentionDays: number };
  etcd: KindSchedule;
  freeipa: KindSchedule;
  volumes: KindSchedule;
  warnings: string[];
}

export interface BackupCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  passphrase: string;
}

/** What `loadBackupSettings` hands the program: the settings, and the credentials as one secret Output. */
export interface BackupConfig {
  settings: BackupSettings;
  /** Defined exactly when backups are on. */
  credentials?: pulumi.Output<BackupCredentials>;
}

/** A secret key's value and whether the stack config stores it encrypted. */
export type RawBackupSecrets = RawSecrets<BackupSecretKey>;

const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
const ENDPOINT = /^https:\/\/([^/:]+)(?::(\d{1,5}))?\/?$/;
/** S3's bucket naming rules (lower case, 3-63, no underscores); dotted names are allowed. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseTarget(c: Collector, raw: RawBackupConfig, stack: string): BackupTarget | undefined {
  const endpoint = c.string("backupS3Endpoint", raw.backupS3Endpoint);
  const m = ENDPOINT.exec(endpoint);
  let host = "";
  let port = 443;
  if (!m) {
    const hint = endpoint.startsWith("http://") ? " (TLS is required: pgBackRest and K3s's etcd-s3 talk to S3 over HTTPS only)" : "";
    c.fail("backupS3Endpoint", `"${endpoint}" is not an endpoint URL of the form https://host[:port]${hint}`);
  } else {
    host = m[1].toLowerCase();
    if (!HOST.test(host)) c.fail("backupS3Endpoint", `"${m[1]}" is not a host name or IPv4 address`);
    // pgBackRest (2.45, checked by the drill) matches the endpoint against the certificate's DNS
    // names only: an IP address fails TLS verification even with an IP SAN.
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
      c.warnings.push(`backupS3Endpoint: ${host} is an IP address; pgBackRest checks the endpoint against the certificate's DNS names only, so give the target a DNS name (FreeIPA can hold its record)`);
    }
    if (m[2] !== undefined) {
      port = Number(m[2]);
      if (port < 1 || port > 65535) c.fail("backupS3Endpoint", `port ${m[2]} is not from 1 to 65535`);
    }
  }
  const bucket = c.string("backupS3Bucket", raw.backupS3Bucket);
  if (bucket && !BUCKET.test(bucket)) c.fail("backupS3Bucket", `"${bucket}" is not an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)`);
  const region = c.string("backupS3Region", raw.backupS3Region, BACKUP_DEFAULTS.backupS3Region);
  if (region && !REGION.test(region)) c.fail("backupS3Region", `"${region}" is not a region name (lower-case letters, digits, hyphens)`);
  const pathStyle = c.boolean("backupS3PathStyle", raw.backupS3PathStyle, BACKUP_DEFAULTS.backupS3PathStyle);
  if (!pathStyle && bucket.includes(".")) {
    c.fail("backupS3Bucket", `"${bucket}" has dots: with virtual-hosted URLs (backupS3PathStyle false) its host name fails TLS verification; use path style or another name`);
  }
  let caCertificate: string | undefined;
  if (raw.backupS3CaCertificate !== undefined) {
    const pem = c.string("backupS3CaCertificate", raw.backupS3CaCertificate);
    const blocks = pem.match(PEM_CERT) ?? [];
    if (pem && blocks.length === 0) c.fail("backupS3CaCertificate", "is not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)");
    for (const [i, block] of blocks.entries()) {
      try {
        const cert = new X509Certificate(block);
        if (!cert.ca) c.fail("backupS3CaCertificate", `certificate ${i + 1} (${cert.subject.replace(/\n/g, ", ")}) is not a CA certificate`);
      } catch (e) {
        c.fail("backupS3CaCertificate", `certificate ${i + 1} does not parse: ${(e as Error).message}`);
      }
    }
    if (blocks.length > 0) caCertificate = `${blocks.join("\n")}\n`;
  }
  return { endpoint, host, port, bucket, region, pathStyle, caCertificate, prefix: `flatcarmicrocloud/${stack}` };
}

function kindSchedule(c: Collector, scheduleKey: keyof RawBackupConfig, retentionKey: keyof RawBackupConfig, raw: RawBackupConfig): KindSchedule {
  const text = c.string(scheduleKey, raw[scheduleKey], BACKUP_DEFAULTS[scheduleKey as keyof typeof BACKUP_DEFAULTS] as string);
  const parsed = text ? parseBackupSchedule(text) : "is required";
  if (typeof parsed === "string") c.fail(scheduleKey, parsed);
  const retentionDays = c.positiveInt(retentionKey, raw[retentionKey], BACKUP_DEFAULTS[retentionKey as keyof typeof BACKUP_DEFAULTS] as number);
  if (retentionDays > 3650) c.fail(retentionKey, `${retentionDays} days is more than ten years`);
  const schedule: BackupSchedule = typeof parsed === "string" ? { kind: "interval", hours: 24 } : parsed;
  return { schedule, text, retentionDays };
}

function checkSecrets(c: Collector, secrets: RawBackupSecrets, on: boolean): void {
  const ok = checkSecretKeys(c, BACKUP_SECRET_KEYS, secrets);
  for (const key of BACKUP_SECRET_KEYS) {
    if (on && (secrets[key] === undefined || secrets[key]?.value === "")) c.fail(key, `is required with backupS3Endpoint; set it with \`${setSecretCommand(key)}\``);
  }
  if (ok.backupPassphrase !== undefined && ok.backupPassphrase.length < MIN_PASSPHRASE_LENGTH) {
    c.fail("backupPassphrase", `must be at least ${MIN_PASSPHRASE_LENGTH} characters (e.g. \`openssl rand -base64 48\`): it alone protects every backup in the bucket`);
  }
}

export function parseBackupSettings(raw: RawBackupConfig, secrets: RawBackupSecrets, stack: string): BackupSettings {
  const c = new Collector();
  const on = raw.backupS3Endpoint !== undefined;
  const target = on ? parseTarget(c, raw, stack) : undefined;
  checkSecrets(c, secrets, on);
  if (!on) {
    const orphans = [...(["backupS3Bucket", "backupS3CaCertificate"] as const).filter((k) => raw[k] !== undefined), ...BACKUP_SECRET_KEYS.filter((k) => secrets[k])];
    if (orphans.length > 0) c.warnings.push(`backups are off (no backupS3Endpoint): ${orphans.join(", ")} unused; existing backups in the bucket are kept`);
  }
  const full = kindSchedule(c, "backupPostgresqlFullSchedule", "backupPostgresqlRetentionDays", raw);
  const diff = kindSchedule(c, "backupPostgresqlDiffSchedule", "backupPostgresqlRetentionDays", raw);
  if (full.schedule.kind === "daily" && diff.schedule.kind === "daily" && full.schedule.hour === diff.schedule.hour && full.schedule.minute === diff.schedule.minute) {
    const both = full.schedule.days.filter((d) => (diff.schedule.kind === "daily" ? diff.schedule.days.includes(d) : false));
    if (both.length > 0) c.fail("backupPostgresqlDiffSchedule", `runs at the same time as backupPostgresqlFullSchedule on ${both.join(",")}: one backup at a time`);
  }
  const etcd = kindSchedule(c, "backupEtcdSchedule", "backupEtcdRetentionDays", raw);
  const freeipa = kindSchedule(c, "backupFreeipaSchedule", "backupFreeipaRetentionDays", raw);
  const volumes = kindSchedule(c, "backupVolumesSchedule", "backupVolumesRetentionDays", raw);
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return { target, postgresql: { full, diff, retentionDays: full.retentionDays }, etcd, freeipa, volumes, warnings: c.warnings };
}

/** Reads the backup keys; the secret ones must be encrypted in the stack config. */
export function loadBackupSettings(stack: string = pulumi.getStack()): BackupConfig {
  const { raw: secrets, outputs } = readSecretKeys(BACKUP_SECRET_KEYS);
  const settings = parseBackupSettings(readRawConfig(BACKUP_CONFIG_KEYS), secrets, stack);
  for (const warning of settings.warnings) void pulumi.log.warn(warning);
  if (!settings.target) return { settings };
  const credentials = pulumi.secret(
    pulumi.all([outputs.backupS3AccessKeyId, outputs.backupS3SecretAccessKey, outputs.backupPassphrase]).apply(([accessKeyId, secretAccessKey, passphrase]) => ({
      accessKeyId: accessKeyId ?? "",
      secretAccessKey: secretAccessKey ?? "",
      passphrase: passphrase ?? "",
    })),
  );
  return { settings, credentials };
}
