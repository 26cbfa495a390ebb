/**
 * Room for the apps: the platform's workloads and every app at its autoscaler's maximum, against the
 * schedulable nodes' allocatable resources (the cluster facts: the K3s VMs', or an existing
 * cluster's `existingNodes`). Pure and computed from the validated stack config alone,
 * so a stack whose apps do not fit stops before anything is created, naming `apps`.
 */
import { AppSpec } from "../config/apps";
import { PlatformSettings } from "../config/platform";
import { ClusterFacts } from "../cluster-facts";
import { ConfigError } from "../config/validate";
import { capacityReport, CapacityReport, Figures } from "../platform/capacity";
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

/**
 * Throws a ConfigError when platform and apps do not fit the schedulable nodes: naming
 * `backupS3Endpoint` when they fit without the volume backups' workloads (Velero, its node agent, the
 * snapshot controller) and not with them, else naming `apps`.
 */
export function assertStackFits(facts: ClusterFacts, platform: PlatformSettings, apps: AppSpec[], volumeBackups?: VolumeBackupPlan): StackCapacity {
  const capacity = stackCapacity(facts, platform, apps, volumeBackups);
  if (!capacity.report.fits && volumeBackups && stackCapacity(facts, platform, apps).report.fits) {
    const tool = ["velero", "snapshot-controller"].map((r) => `${r} ${capacity.report.byRelease[r]?.memoryMiB ?? 0} MiB`).join(", ");
    throw new ConfigError(
      capacity.report.problems.map(
        (p) =>
          `backupS3Endpoint: the volume backups (${tool} of requests) do not fit next to the platform and the apps at replicas.max: ${p}; lower the apps' requests or replicas.max, or add workers (docs/backups.md, "Ceph volumes")`,
      ),
    );
  }
  if (!capacity.report.fits) {
    const hint = apps.length > 0 ? " (apps counted at replicas.max): lower requests or replicas.max, or add workers" : "";
    throw new ConfigError(capacity.report.problems.map((p) => `apps: the platform and the apps do not fit${hint}: ${p}`));
  }
  return capacity;
}
