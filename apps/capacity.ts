/**
 * Room for the apps: the platform's workloads and every app at its autoscaler's maximum, against the
 * schedulable nodes' allocatable resources (the cluster facts: the K3s VMs', or an existing
 * cluster's `existingNodes`). Pure and computed from the validated stack config alone,
 * so a stack whose apps do not fit stops before anything is created, naming `apps`.
 */
import { AppSpec } from "../config/apps";
import { PlatformSettings } from "../config/platform";
import { ClusterFacts, MoreRoom } from "../cluster-facts";
import { ConfigError } from "../config/validate";
import { capacityReport, CapacityReport, Figures } from "../platform/capacity";
import { optInsOn, withoutOptIns } from "../platform/opt-ins";
import { planPlatform } from "../platform/plan";
import { VolumeBackupPlan } from "../platform/volume-backups";
import { renderPlatform } from "../platform/render";
import { appWorkloads } from "./render";

export interface StackCapacity {
  /** Platform and apps together. */
  report: CapacityReport;
  /** Requests of the platform alone and of the apps alone. */
  platform: Figures;
  apps: Figures;
  /** Allocatable left once platform and apps (at max replicas) are placed: room for more apps. */
  free: Figures;
}

export function stackCapacity(facts: ClusterFacts, platform: PlatformSettings, apps: AppSpec[], volumeBackups?: VolumeBackupPlan): StackCapacity {
  const plan = planPlatform({ ...facts, settings: platform, volumeBackups });
  const { workloads } = renderPlatform(plan);
  const platformOnly = capacityReport(workloads, facts.nodes);
  const report = capacityReport([...workloads, ...appWorkloads(apps)], facts.nodes);
  return {
    report,
    platform: platformOnly.requests,
    apps: { cpuMilli: report.requests.cpuMilli - platformOnly.requests.cpuMilli, memoryMiB: report.requests.memoryMiB - platformOnly.requests.memoryMiB },
    free: { cpuMilli: report.allocatable.cpuMilli - report.requests.cpuMilli, memoryMiB: report.allocatable.memoryMiB - report.requests.memoryMiB },
  };
}

/** A part of the stack that is on only when its key says so: an opt-in, or the volume backups. */
interface OptionalPart {
  /** The config key that turns it on. */
  key: string;
  /** How the message names it. */
  label: string;
  /** Requests it adds (its workloads, DaemonSets on every schedulable node). */
  requests: Figures;
}

const figures = (f: Figures) => `${f.cpuMilli}m CPU, ${f.memoryMiB} MiB`;
const minus = (a: Figures, b: Figures): Figures => ({ cpuMilli: a.cpuMilli - b.cpuMilli, memoryMiB: a.memoryMiB - b.memoryMiB });

/** What more room would the stack get, and would it then fit: a second host like the first, or more existingNodes. */
function moreRoomHint(capacity: StackCapacity, more: MoreRoom | undefined, fitsWith: (nodes: ClusterFacts["nodes"]) => StackCapacity): string {
  if (!more) return "";
  if (more.kind === "existingNodes") return "; or add nodes to the cluster and list them in existingNodes";
  if (more.nodes.length === 0) return `; ${more.description} would add no room for pods`;
  const grown = fitsWith(more.nodes);
  const adds = minus(grown.free, capacity.free);
  return (
    `; ${more.description} would give ${figures(adds)} more for pods (after the platform's DaemonSets on its nodes)` +
    `${grown.report.fits ? ", enough for this stack" : ", still not enough"}: add it under \`hosts\` and its agents under \`vms\` (docs/plan.md)`
  );
}

/**
 * Throws a ConfigError when platform and apps do not fit the schedulable nodes. When they fit
 * without the optional parts that are on (the opt-ins of platform/opt-ins.ts, the volume backups of
 * `backupS3Endpoint`) and not with them, it names each part's key with its requests and the room a
 * second host like the first (or more existingNodes) would give; else it names `apps`.
 */
export function assertStackFits(facts: ClusterFacts, platform: PlatformSettings, apps: AppSpec[], volumeBackups?: VolumeBackupPlan, more?: MoreRoom): StackCapacity {
  const capacity = stackCapacity(facts, platform, apps, volumeBackups);
  if (capacity.report.fits) return capacity;
  const on = optInsOn(platform);
  const bare = stackCapacity(facts, withoutOptIns(platform), apps);
  if (bare.report.fits && (on.length > 0 || volumeBackups)) {
    const requestsWithout = (settings: PlatformSettings, vb?: VolumeBackupPlan) => stackCapacity(facts, settings, apps, vb).report.requests;
    const parts: OptionalPart[] = [
      ...on.map((o) => ({ key: o.key, label: o.key, requests: minus(capacity.report.requests, requestsWithout(withoutOptIns(platform, [o.key]), volumeBackups)) })),
      ...(volumeBackups ? [{ key: "backupS3Endpoint", label: "the volume backups (backupS3Endpoint)", requests: minus(capacity.report.requests, requestsWithout(platform)) }] : []),
    ];
    const hint = moreRoomHint(capacity, more, (nodes) => stackCapacity({ ...facts, nodes: [...facts.nodes, ...nodes] }, platform, apps, volumeBackups));
    if (on.length === 0) {
      // Only the volume backups: the message issue 18 gave them.
      const tool = ["velero", "snapshot-controller"].map((r) => `${r} ${capacity.report.byRelease[r]?.memoryMiB ?? 0} MiB`).join(", ");
      throw new ConfigError(
        capacity.report.problems.map(
          (p) =>
            `backupS3Endpoint: the volume backups (${tool} of requests) do not fit next to the platform and the apps at replicas.max: ${p}; lower the apps' requests or replicas.max, or add workers (docs/backups.md, "Ceph volumes")${hint}`,
        ),
      );
    }
    const list = parts.map((part) => `${part.label} ${figures(part.requests)}`).join("; ");
    throw new ConfigError(
      capacity.report.problems.map(
        (p) =>
          `${parts.map((part) => part.key).join(", ")}: the opt-ins that are on do not fit next to the platform and the apps at replicas.max, and the stack fits without them ` +
          `(requests: ${list}): ${p}; turn one off, lower the apps' requests or replicas.max${hint}`,
      ),
    );
  }
  const hint = apps.length > 0 ? " (apps counted at replicas.max): lower requests or replicas.max, or add workers" : "";
  throw new ConfigError(capacity.report.problems.map((p) => `apps: the platform and the apps do not fit${hint}: ${p}`));
}
