/**
 * When a backup runs, in one format for every kind of data: `[days ]HH:MM` (UTC; days are kured's
 * two-letter names, as in `rebootWindow`) or `every Nh` (N dividing 24, on the hour from midnight).
 * Each consumer gets the form its scheduler reads: systemd's OnCalendar on the Rocky VMs, cron for
 * K3s's `etcd-snapshot-schedule-cron` and Kubernetes backup tools. The longest gap between two runs
 * is the kind's RPO when nothing else (WAL archiving) narrows it.
 */
import { WEEKDAYS } from "./platform";

export type Weekday = (typeof WEEKDAYS)[number];

export type BackupSchedule =
  /** At one time of day (UTC), on the listed days. */
  | { kind: "daily"; days: Weekday[]; hour: number; minute: number }
  /** Every `hours` hours, on the hour, from midnight UTC. */
  | { kind: "interval"; hours: number };

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const INTERVAL = /^every ([1-9]\d?)h$/;
const SYSTEMD_DAYS: Record<Weekday, string> = { mo: "Mon", tu: "Tue", we: "Wed", th: "Thu", fr: "Fri", sa: "Sat", su: "Sun" };
/** cron's day-of-week numbers (0 = Sunday). */
const CRON_DAYS: Record<Weekday, number> = { su: 0, mo: 1, tu: 2, we: 3, th: 4, fr: 5, sa: 6 };

/** A schedule, or a message saying what is wrong with the text. */
export function parseBackupSchedule(text: string): BackupSchedule | string {
  const every = INTERVAL.exec(text);
  if (every) {
    const hours = Number(every[1]);
    if (24 % hours !== 0) return `"${text}": the interval must divide 24 hours (1, 2, 3, 4, 6, 8, 12 or 24)`;
    return { kind: "interval", hours };
  }
  const parts = text.split(" ");
  if (parts.length > 2) return `"${text}" is not a schedule like 01:30, sa,su 01:30 or every 6h`;
  const [dayText, timeText] = parts.length === 2 ? parts : [undefined, parts[0]];
  const time = TIME.exec(timeText);
  if (!time) return `"${text}" is not a schedule like 01:30, sa,su 01:30 or every 6h (times UTC, HH:MM)`;
  const listed = dayText === undefined ? [...WEEKDAYS] : dayText.split(",");
  const unknown = listed.filter((d) => !(WEEKDAYS as readonly string[]).includes(d));
  if (unknown.length > 0) return `"${text}": unknown day ${unknown.join(", ")} (days: ${WEEKDAYS.join(",")})`;
  if (new Set(listed).size !== listed.length) return `"${text}" names a day twice`;
  const days = WEEKDAYS.filter((d) => listed.includes(d));
  return { kind: "daily", days, hour: Number(time[1]), minute: Number(time[2]) };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** systemd.time(7) calendar event, UTC (`OnCalendar=`). */
export function toOnCalendar(s: BackupSchedule): string {
  // (systemd refuses a repetition of 24 hours: `00/24` is not a valid hour spec.)
  if (s.kind === "interval") return s.hours === 24 ? "*-*-* 00:00:00 UTC" : `*-*-* 00/${s.hours}:00:00 UTC`;
  const days = s.days.length === WEEKDAYS.length ? "" : `${s.days.map((d) => SYSTEMD_DAYS[d]).join(",")} `;
  return `${days}*-*-* ${pad(s.hour)}:${pad(s.minute)}:00 UTC`;
}

/** Five-field cron expression (UTC on the K3s nodes and in the cluster). */
export function toCron(s: BackupSchedule): string {
  if (s.kind === "interval") return s.hours === 24 ? "0 0 * * *" : `0 */${s.hours} * * *`;
  const days = s.days.length === WEEKDAYS.length ? "*" : s.days.map((d) => CRON_DAYS[d]).join(",");
  return `${s.minute} ${s.hour} * * ${days}`;
}

/** The longest time between two runs, in hours: what is lost at most when the host dies just before a run. */
export function longestGapHours(s: BackupSchedule): number {
  if (s.kind === "interval") return s.hours;
  const order = WEEKDAYS.map((d) => s.days.includes(d));
  let longest = 0;
  for (let i = 0; i < 7; i++) {
    if (!order[i]) continue;
    let gap = 1;
    while (!order[(i + gap) % 7]) gap++;
    longest = Math.max(longest, gap * 24);
  }
  return longest;
}

/** Runs per day on average (how many snapshots a retention in days keeps). */
export function runsPerDay(s: BackupSchedule): number {
  return s.kind === "interval" ? 24 / s.hours : s.days.length / 7;
}
