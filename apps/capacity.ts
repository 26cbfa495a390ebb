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

export function stackCapacity(facts: ClusterFacts, platform: PlatformSettings, apps: AppSpec[]): StackCapacity {
  const plan = planPlatform({ ...facts, settings: platform });
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

/** Throws a ConfigError naming `apps` when platform and apps do not fit the schedulable nodes. */
export function assertStackFits(facts: ClusterFacts, platform: PlatformSettings, apps: AppSpec[]): StackCapacity {
  const capacity = stackCapacity(facts, platform, apps);
  if (!capacity.report.fits) {
    const hint = apps.length > 0 ? " (apps counted at replicas.max): lower requests or replicas.max, or add workers" : "";
    throw new ConfigError(capacity.report.problems.map((p) => `apps: the platform and the apps do not fit${hint}: ${p}`));
  }
  return capacity;
}
