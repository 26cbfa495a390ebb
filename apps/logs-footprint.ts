/**
 * What each logging stack of the `logs` opt-in would take on this stack's nodes, and whether it fits
 * next to the platform and the apps at replicas.max: the plan prints it (plan/report.ts), so a host
 * too small for ELK is told before anyone turns it on, with the lighter Loki beside it. Pure: the same
 * capacity check as the program's own (./capacity.ts), run once per stack with the stack's other
 * settings (its `logs` fields where set, else the defaults).
 */
import { AppSpec } from "../config/apps";
import { LOGS_DEFAULTS, LOGS_STACKS, LogsSettings, LogsStack } from "../config/opt-ins/logs";
import { PlatformSettings } from "../config/platform";
import { ClusterFacts } from "../cluster-facts";
import { Figures } from "../platform/capacity";
import { stackCapacity } from "./capacity";

export interface LogsFootprint {
  stack: LogsStack;
  /** Requests the stack adds (its pods, Fluent Bit on every node it runs on). */
  requests: Figures;
  /** Room for apps left with it (negative: short by that much). */
  free: Figures;
  fits: boolean;
  /** Whether the stack config turns this stack on. */
  configured: boolean;
}

export function logsFootprints(facts: ClusterFacts, platform: PlatformSettings, apps: AppSpec[]): LogsFootprint[] {
  const without = stackCapacity(facts, { ...platform, logs: undefined }, apps);
  const base: LogsSettings = platform.logs ?? {
    stack: LOGS_DEFAULTS.stack,
    retentionDays: LOGS_DEFAULTS.retentionDays,
    volumeGiB: LOGS_DEFAULTS.volumeGiB,
    elasticsearch: { nodes: LOGS_DEFAULTS.elasticsearchNodes, memoryGiB: LOGS_DEFAULTS.elasticsearchMemoryGiB },
  };
  return LOGS_STACKS.map((stack) => {
    const withIt = stackCapacity(facts, { ...platform, logs: { ...base, stack } }, apps);
    return {
      stack,
      requests: { cpuMilli: withIt.platform.cpuMilli - without.platform.cpuMilli, memoryMiB: withIt.platform.memoryMiB - without.platform.memoryMiB },
      free: withIt.free,
      fits: withIt.report.fits,
      configured: platform.logs?.stack === stack,
    };
  });
}
