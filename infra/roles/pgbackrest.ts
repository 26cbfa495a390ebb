/**
 * PostgreSQL backups off the host with pgBackRest (issue 18 item 3): continuous WAL archiving
 * (`archive_command` pushes every WAL segment, `archive_timeout` closes one at least every minute)
 * plus scheduled full and differential backups to the S3 target, encrypted on the VM
 * (`repo1-cipher-type=aes-256-cbc` with the stack's passphrase) before they leave it, expired by
 * time (`repo1-retention-full-type=time`: PITR stays possible back to `backupPostgresqlRetentionDays`).
 *
 * Delivered after first boot by an idempotent command (GuestRoles.reconcile), never by cloud-init:
 * the target, schedules and retention are no part of the VM's first-boot identity, so changing them
 * updates the files in place and replaces nothing, and turning backups off removes the config and
 * timers from the VM and leaves the repository in the bucket alone. The credentials and the
 * passphrase arrive on stdin (three lines) and are written into a 0600 file owned by postgres: never
 * in the command text, an argument or an environment.
 *
 * Pure functions: settings in, file contents and the script out.
 */
import { BackupSettings, BackupTarget } from "../../config/backup";
import { toOnCalendar } from "../../config/backup-schedule";
import { ShellValue } from "../../shell";
import { exporterVars, metricStopPost, VmExporter } from "./backup-metrics";
import { renderReconcileScript } from "./reconcile";
import { loadScript } from "./shell";
import { renderCatchUpTimer } from "./systemd-timer";

export const PGBACKREST_STANZA = "main";
/** Where the role's PostgreSQL keeps its data (Rocky's postgresql-setup --initdb). */
export const PG_DATA = "/var/lib/pgsql/data";
/** pgBackRest's config with the credentials: root-only directory, 0600 file owned by postgres. */
export const PGBACKREST_CONFIG = "/etc/pgbackrest/pgbackrest.conf";
export const PGBACKREST_CA_FILE = "/etc/pgbackrest/target-ca.pem";
/** Settings included from postgresql.conf (conf.d): WAL archiving through pgBackRest. */
export const PG_ARCHIVE_CONF = "conf.d/20-flatcarmicrocloud-backups.conf";
/** WAL is shipped at least this often, so an idle database loses at most this much (RPO). */
export const ARCHIVE_TIMEOUT_SECONDS = 60;
export const PITR_SCRIPT = "/usr/local/sbin/fmc-postgresql-pitr";
/** Oldest pgBackRest release whose options and repository format this role is tested with (Debian 12's). */
export const PGBACKREST_MIN_VERSION = "2.45";

export const PGBACKREST_UNITS = {
  fullService: "/etc/systemd/system/fmc-pgbackrest-full.service",
  fullTimer: "/etc/systemd/system/fmc-pgbackrest-full.timer",
  diffService: "/etc/systemd/system/fmc-pgbackrest-diff.service",
  diffTimer: "/etc/systemd/system/fmc-pgbackrest-diff.timer",
} as const;

/** The repository's place in the bucket: this stack's prefix, PostgreSQL's own directory. */
export function repoPath(target: BackupTarget): string {
  return `/${target.prefix}/postgresql`;
}

/**
 * pgbackrest.conf without its three secret lines (the script appends `repo1-s3-key`,
 * `repo1-s3-key-secret` and `repo1-cipher-pass` from stdin at the end of `[global]`).
 */
export function renderPgbackrestConf(target: BackupTarget, settings: BackupSettings, pgData = PG_DATA, caFile = PGBACKREST_CA_FILE): string {
  return [
    "# FlatcarMicroCloud: pgBackRest for the microservices' PostgreSQL (infra/roles/pgbackrest.ts).",
    "# Written by the backups command after first boot; the credentials lines are added from its stdin.",
    `[${PGBACKREST_STANZA}]`,
    `pg1-path=${pgData}`,
    "pg1-socket-path=/run/postgresql",
    "",
    "[global]",
    "repo1-type=s3",
    `repo1-path=${repoPath(target)}`,
    `repo1-s3-endpoint=${target.host}`,
    `repo1-storage-port=${target.port}`,
    `repo1-s3-bucket=${target.bucket}`,
    `repo1-s3-region=${target.region}`,
    `repo1-s3-uri-style=${target.pathStyle ? "path" : "host"}`,
    ...(target.caCertificate ? [`repo1-storage-ca-file=${caFile}`] : []),
    "repo1-cipher-type=aes-256-cbc",
    "repo1-retention-full-type=time",
    `repo1-retention-full=${settings.postgresql.retentionDays}`,
    "start-fast=y",
    "process-max=2",
    "log-level-console=info",
    "log-level-file=detail",
    "log-path=/var/log/pgbackrest",
    "",
  ].join("\n");
}

/** postgresql.conf settings of WAL archiving through pgBackRest. */
export function renderArchiveConf(configPath = PGBACKREST_CONFIG): string {
  return [
    "# FlatcarMicroCloud: WAL archiving through pgBackRest (written by the backups command).",
    "archive_mode = on",
    `archive_command = 'pgbackrest --config=${configPath} --stanza=${PGBACKREST_STANZA} archive-push %p'`,
    `archive_timeout = ${ARCHIVE_TIMEOUT_SECONDS}`,
    "",
  ].join("\n");
}

/** `pgbackrest ... backup` as the timers run it (the test runs the same line). */
export function backupCommand(type: "full" | "diff", configPath = PGBACKREST_CONFIG): string {
  return `/usr/bin/pgbackrest --config=${configPath} --stanza=${PGBACKREST_STANZA} --type=${type} backup`;
}

export function renderBackupUnits(settings: BackupSettings): Record<keyof typeof PGBACKREST_UNITS, string> {
  const service = (type: "full" | "diff") =>
    [
      "[Unit]",
      `Description=FlatcarMicroCloud pgBackRest ${type === "full" ? "full" : "differential"} backup of PostgreSQL`,
      "Requires=postgresql.service",
      "After=postgresql.service network-online.target",
      "",
      "[Service]",
      "Type=oneshot",
      "User=postgres",
      "Group=postgres",
      `ExecStart=${backupCommand(type)}`,
      // Success or failure, for Prometheus's freshness alert (infra/roles/backup-metrics.ts).
      metricStopPost("postgresql"),
      "NoNewPrivileges=yes",
      "PrivateTmp=yes",
      "",
    ].join("\n");
  const timer = (type: "full" | "diff", calendar: string) =>
    renderCatchUpTimer(
      `FlatcarMicroCloud pgBackRest ${type === "full" ? "full" : "differential"} backup of PostgreSQL`,
      calendar,
      "A VM that was off at that time backs up as soon as it is back.",
    );
  return {
    fullService: service("full"),
    fullTimer: timer("full", toOnCalendar(settings.postgresql.full.schedule)),
    diffService: service("diff"),
    diffTimer: timer("diff", toOnCalendar(settings.postgresql.diff.schedule)),
  };
}

/** The restore drill's settings, sourced by fmc-postgresql-pitr. */
export function renderPitrEnv(pgData = PG_DATA, configPath = PGBACKREST_CONFIG): string {
  return [
    "# shellcheck shell=bash disable=SC2034",
    "# FlatcarMicroCloud: settings of fmc-postgresql-pitr (written by the backups command).",
    `PG_DATA='${pgData}'`,
    `PGBR_CONFIG='${configPath}'`,
    `PGBR_STANZA='${PGBACKREST_STANZA}'`,
    "PG_START=(systemctl start postgresql)",
    "",
  ].join("\n");
}

export const PITR_ENV = "/etc/flatcarmicrocloud/postgresql-pitr.env";

/**
 * The after-boot command's script on the PostgreSQL VM. With a target: install pgBackRest, write its
 * config (credentials from stdin), the archiving settings, the timers and the restore drill, create
 * the stanza, check archiving, and start the first full backup when the repository has none; the
 * metrics exporter that tells Prometheus when the last backup succeeded (`exporter`).
 * Without: remove the config, the archiving settings and the timers; the repository is untouched.
 */
export function renderPostgresqlBackupsScript(vmName: string, settings: BackupSettings, exporter: VmExporter): string {
  const target = settings.target;
  const units = renderBackupUnits(settings);
  const vars: Record<string, ShellValue> = {
    BACKUPS_ON: target ? 1 : 0,
    PG_DATA,
    PGBR_CONFIG: PGBACKREST_CONFIG,
    PGBR_CA_FILE: PGBACKREST_CA_FILE,
    PGBR_STANZA: PGBACKREST_STANZA,
    PGBR_MIN_VERSION: PGBACKREST_MIN_VERSION,
    PGBR_CONF_BODY: target ? renderPgbackrestConf(target, settings) : "",
    PGBR_CA_PEM: target?.caCertificate ?? "",
    PG_ARCHIVE_CONF,
    PG_ARCHIVE_SETTINGS: renderArchiveConf(),
    UNIT_FULL_SERVICE: units.fullService,
    UNIT_FULL_TIMER: units.fullTimer,
    UNIT_DIFF_SERVICE: units.diffService,
    UNIT_DIFF_TIMER: units.diffTimer,
    PITR_SCRIPT,
    PITR_SCRIPT_BODY: loadScript("postgresql-pitr.sh"),
    PITR_ENV,
    PITR_ENV_BODY: renderPitrEnv(),
    ...exporterVars(exporter),
  };
  return renderReconcileScript({
    vmName,
    purpose: `PostgreSQL backups with pgBackRest on ${vmName}: ${target ? `to ${target.endpoint}/${target.bucket}${repoPath(target)}` : "off (the repository is left alone)"}`,
    body: "postgresql-backups.sh",
    parts: ["backup-common.sh"],
    vars,
    shellcheckDisable: [{ code: "SC2016", reason: "PITR_SCRIPT_BODY holds a whole script, its $ expansions quoted on purpose" }],
  });
}
