/**
 * kured (kubereboot chart): the drain-aware reboot coordinator for Flatcar's staged updates. Flatcar's
 * update-engine downloads each release to the passive partition and then waits
 * (`REBOOT_STRATEGY=off` in /etc/flatcar/update.conf, so locksmithd never reboots a node by itself);
 * kured finds the staged update, takes its one lock, cordons and drains the node through the
 * eviction API (every PodDisruptionBudget holds: Rook's OSD and mon budgets, Strimzi's, the apps'),
 * reboots it, and uncordons it when it is back. Gates, each checked before the lock is taken:
 * - Prometheus: no alert pending or firing except the always-on ones (KURED_IGNORED_ALERTS); the
 *   platform's Ceph health rules (../monitors.ts, cephHealthRule) make a Ceph cluster that is not
 *   HEALTH_OK, or whose health is unknown, such an alert. kured also blocks when Prometheus
 *   cannot be asked.
 * - pods: no Rook OSD prepare job on the node (an OSD being created).
 * - time: the reboot window (`rebootWindow` in the stack config, UTC; default 01:00-05:00 every day).
 * A drain that does not finish within `drainTimeout` is undone (uncordon, lock released) and retried
 * on a later check: kured never reboots a node whose pods a budget still protects (`forceReboot` off).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { RebootWindow } from "../../config/platform";
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { POD_PORTS } from "../network-policies";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { MONITORING_RELEASE } from "./monitoring";

export const KURED_RELEASE = "kured";

/** The host script that tells whether a staged Flatcar update waits for a reboot. */
export const REBOOT_SENTINEL_SCRIPT = join(__dirname, "..", "scripts", "flatcar-reboot-needed.sh");

/**
 * Alerts that never mean "do not reboot now", as kured's alert filter (a regexp of names to ignore;
 * kured cannot filter by severity).
 */
export const KURED_IGNORED_ALERTS: Record<string, string> = {
  Watchdog: "always firing by design: it proves the alerting pipeline works",
  InfoInhibitor: "firing whenever any info-level alert fires; it exists only to inhibit them in Alertmanager",
  CPUThrottlingHigh: "info level; small CPU limits throttle briefly, and it says nothing about what a reboot would break",
  KubeMemoryOvercommit:
    "the cluster is sized without room for a whole node's pods (prod: docs/platform.md, Reboots): it fires as long as the platform runs, " +
    "and the drain's PodDisruptionBudgets are what keep each service available while a node is away",
  KubeCPUOvercommit: "as KubeMemoryOvercommit, for CPU requests",
  // The backup alerts (../backup-alerts.ts) go to a person and do not hold reboots: a drained,
  // rebooted node loses no data (Ceph keeps every replica, etcd its members), a late backup is
  // fixed by running it, and a target that is down for days would otherwise hold every node's
  // security updates for as long.
  BackupLate: "a backup is overdue: a person is told; a reboot neither causes nor worsens it",
  BackupMissing: "as BackupLate, for a kind with no success recorded yet",
  BackupFailed: "as BackupLate, for a failed run",
  BackupMetricsUnreachable: "a Rocky VM's exporter is unreachable: no K3s node's reboot depends on it",
};

/** `rebootWindow`'s times are UTC: the nodes' clocks are, and a fixed zone has no DST jumps. */
export const KURED_TIME_ZONE = "UTC";

/**
 * How long one drain may take before kured gives up on this attempt, uncordons and retries later.
 * Above the longest graceful stop on a node (Prometheus: the operator gives it 600 s) plus Rook's
 * relaxing of the OSD budget for the draining host once Ceph is clean, and below Rook's
 * `osdMaintenanceTimeout` (30 min of `noout` for a draining host), so a stuck drain is undone before
 * Ceph starts moving the host's data away.
 */
export const KURED_DRAIN_TIMEOUT = "20m";

/** Label of Rook's OSD prepare pods (one Job per storage node while an OSD is created). */
export const OSD_PREPARE_SELECTOR = "app=rook-ceph-osd-prepare";

export interface KuredValues {
  image: { repository: string; tag: string };
  configuration: {
    useRebootSentinelHostPath: boolean;
    rebootSentinel: string;
    rebootSentinelCommand: string;
    concurrency: number;
    period: string;
    forceReboot: boolean;
    drainTimeout: string;
    lockReleaseDelay: string;
    prometheusUrl: string;
    alertFilterRegexp: string;
    alertFiringOnly: boolean;
    alertFilterMatchOnly: boolean;
    blockingPodSelector: string[];
    rebootDays: string[];
    startTime: string;
    endTime: string;
    timeZone: string;
    annotateNodes: boolean;
  };
  containerSecurityContext: { privileged: boolean; readOnlyRootFilesystem: boolean };
  resources: Resources;
  tolerations: { operator: "Exists"; effect: "NoSchedule" }[];
}

/**
 * The script's commands as one `sh -c` argument. kured splits its flag like a shell and runs the
 * words (after nsenter): the single quotes keep the script one word, so it may hold none itself.
 */
export function rebootSentinelCommand(script: string): string {
  const lines = script
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) throw new Error("the reboot sentinel script has no commands");
  const body = lines.join("; ");
  if (body.includes("'")) throw new Error("the reboot sentinel script may not contain a single quote (it is passed inside one)");
  return `/bin/sh -c '${body}'`;
}

/** In-cluster address of Prometheus: the kube-prometheus-stack Service `<release>-prometheus`. */
export function prometheusUrl(): string {
  return `http://${MONITORING_RELEASE}-prometheus.${NAMESPACES.monitoring.name}.svc.cluster.local:${POD_PORTS.prometheus}`;
}

export function kuredValues(window: RebootWindow, sentinelScript: string = readFileSync(REBOOT_SENTINEL_SCRIPT, "utf8")): KuredValues {
  return {
    image: { repository: CHARTS.kured.image.repository, tag: CHARTS.kured.image.tag },
    configuration: {
      // The command runs in the host's mount namespace; no host directory is mounted into the pod.
      useRebootSentinelHostPath: false,
      rebootSentinel: "",
      rebootSentinelCommand: rebootSentinelCommand(sentinelScript),
      concurrency: 1,
      // Each node asks every 20 minutes (kured adds jitter), so a four-hour window fits several reboots.
      period: "20m",
      forceReboot: false,
      drainTimeout: KURED_DRAIN_TIMEOUT,
      // The lock stays taken 5 minutes after the node is back, so the next node's check sees the
      // alerts of what is still starting here (Ceph's health, pods not ready) before it drains.
      lockReleaseDelay: "5m",
      prometheusUrl: prometheusUrl(),
      alertFilterRegexp: `^(${Object.keys(KURED_IGNORED_ALERTS).join("|")})$`,
      // Pending alerts block too: Ceph's health warning waits 15 minutes before it fires, and a
      // second node must not go down while the first one's OSD is still recovering.
      alertFiringOnly: false,
      alertFilterMatchOnly: false,
      blockingPodSelector: [OSD_PREPARE_SELECTOR],
      // Nodes come back in minutes; the window keeps a whole-cluster rollout (one node at a time, each
      // waiting for the gates) out of working hours.
      rebootDays: [...window.days],
      startTime: window.start,
      endTime: window.end,
      timeZone: KURED_TIME_ZONE,
      annotateNodes: true,
    },
    // Privileged with the host's PID namespace (the chart sets hostPID): nsenter into PID 1's mount
    // namespace for the sentinel and for `systemctl reboot`.
    containerSecurityContext: { privileged: true, readOnlyRootFilesystem: true },
    resources: SIZING.kured,
    // Every node, the tainted K3s servers too (their updates are staged like any other node's).
    tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
  };
}

export function kuredWorkloads(v: KuredValues): Workload[] {
  return [{ release: KURED_RELEASE, name: "kured", kind: "DaemonSet", replicas: 0, containers: [{ name: "kured", resources: v.resources }], toleratesTaints: true }];
}
