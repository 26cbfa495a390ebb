/**
 * When a backup counts as late, per kind (issue 18 item 6): the backup freshness contract is one
 * metric for every kind, `fmc_backup_last_success_timestamp_seconds{kind}` (unix seconds of the last
 * successful backup), and a kind is late when that is older than the longest gap of its schedules
 * plus a margin (the run's own duration, systemd's randomized delay). What the platform receives is
 * plain data: the kinds to watch with their limits, and the Rocky VMs Prometheus scrapes them from.
 *
 * A kind is watched only when backups are on and something in this stack produces its metric:
 * the PostgreSQL and FreeIPA VMs' backups (infra/roles/backup-metrics.ts) and the kinds listed by
 * their own stages (K3s etcd, the volumes), so no alert waits for a metric nothing writes.
 */
import { BackupKind, BackupSettings } from "./backup";
import { BackupSchedule } from "./backup-schedule";

/** The contract's metric (issue 18): unix seconds of the last successful backup, label `kind`. */
export const BACKUP_SUCCESS_METRIC = "fmc_backup_last_success_timestamp_seconds";
/** Written beside it where the producer sees failures too (the Rocky VMs' backups): the failed-backup alert. */
export const BACKUP_FAILURE_METRIC = "fmc_backup_last_failure_timestamp_seconds";

/** Added to a kind's longest gap between runs: a run takes time, and systemd delays it up to 5 min. */
export const BACKUP_LATE_MARGIN_HOURS = 2;

const WEEK_MINUTES = 7 * 24 * 60;

/** Minutes from Monday 00:00 UTC of every run of `s` in one week. */
function runMinutes(s: BackupSchedule): number[] {
  const days = ["mo", "tu", "we", "th", "fr", "sa", "su"] as const;
  if (s.kind === "interval") {
    return days.flatMap((_, d) => Array.from({ length: 24 / s.hours }, (__, k) => d * 1440 + k * s.hours * 60));
  }
  return days.flatMap((day, d) => (s.days.includes(day) ? [d * 1440 + s.hour * 60 + s.minute] : []));
}

/**
 * The longest time without a run when several schedules feed one kind (PostgreSQL's full and
 * differential backups both refresh its metric), in hours.
 */
export function longestGapHoursOf(schedules: BackupSchedule[]): number {
  const runs = [...new Set(schedules.flatMap(runMinutes))].sort((a, b) => a - b);
  if (runs.length === 0) throw new Error("longestGapHoursOf: no run in a week");
  let longest = runs[0] + WEEK_MINUTES - runs[runs.length - 1];
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i] - runs[i - 1]);
  return longest / 60;
}

/** One kind the alerts watch. */
export interface WatchedBackupKind {
  kind: BackupKind;
  /** The schedules as configured (for the alert's text). */
  schedules: string[];
  /** The last success may be this old before the kind is late: the longest gap plus the margin. */
  lateAfterHours: number;
}

/** A Rocky VM whose metrics exporter Prometheus scrapes (its address on the K3s nodes' network). */
export interface BackupScrapeTarget {
  vm: string;
  address: string;
  port: number;
}

/** What the platform needs to watch the backups; nothing is watched when `kinds` is empty. */
export interface BackupMonitoring {
  kinds: WatchedBackupKind[];
  vmTargets: BackupScrapeTarget[];
}

function schedulesOf(settings: BackupSettings, kind: BackupKind): { text: string; schedule: BackupSchedule }[] {
  switch (kind) {
    case "postgresql":
      return [settings.postgresql.full, settings.postgresql.diff].map((k) => ({ text: k.text, schedule: k.schedule }));
    case "etcd":
    case "freeipa":
    case "volumes":
      return [{ text: settings[kind].text, schedule: settings[kind].schedule }];
  }
}

/** The kinds to watch (in the contract's order), each with its limit; none when backups are off. */
export function watchedBackupKinds(settings: BackupSettings, produced: readonly BackupKind[]): WatchedBackupKind[] {
  if (!settings.target) return [];
  const order: BackupKind[] = ["etcd", "postgresql", "freeipa", "volumes"];
  return order
    .filter((kind) => produced.includes(kind))
    .map((kind) => {
      const schedules = schedulesOf(settings, kind);
      return {
        kind,
        schedules: schedules.map((s) => s.text),
        lateAfterHours: longestGapHoursOf(schedules.map((s) => s.schedule)) + BACKUP_LATE_MARGIN_HOURS,
      };
    });
}
