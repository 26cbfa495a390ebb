/**
 * Where Helm pulls each pinned chart from: the chart's own repository (versions.ts, CHARTS), or the
 * stack's chart mirror (`chartMirror`), a classic chart repository serving every pinned chart under
 * its own name and version. The one place that decides it: every release, and anything else that
 * fetches a chart (its CRDs at the pinned version), asks here.
 */
import type { ChartMirror } from "../config/platform";
import { CHARTS } from "../versions";

export type ChartKey = keyof typeof CHARTS;

/** The inputs of a `helm.v3.Release` that name its chart. */
export interface ChartSource {
  /** A chart name in `repositoryOpts.repo`, or an `oci://` reference (no repository). */
  chart: string;
  version: string;
  repositoryOpts?: { repo: string; caFile?: string };
}

const OCI = "oci://";

/**
 * The chart's name in a classic repository's index. An OCI reference ends in it: `helm push` stores
 * a chart at `<registry>/<path>/<chart name>:<version>`, so Strimzi's
 * `oci://quay.io/strimzi-helm/strimzi-kafka-operator` is the chart `strimzi-kafka-operator`.
 */
export function chartName(key: ChartKey): string {
  const { chart } = CHARTS[key];
  return chart.startsWith(OCI) ? chart.slice(chart.lastIndexOf("/") + 1) : chart;
}

/**
 * The chart, version and repository of release `key`, from `mirror` when the stack sets one; at
 * `held` (a validated `chartVersions` entry: an earlier release from the same repository) when the
 * stack holds the chart back, else at the pin.
 */
export function chartSource(key: ChartKey, mirror?: ChartMirror, held?: string): ChartSource {
  const pinned: { chart: string; version: string; repo?: string } = CHARTS[key];
  const version = held ?? pinned.version;
  if (mirror) return { chart: chartName(key), version, repositoryOpts: mirror.caFile ? { repo: mirror.repo, caFile: mirror.caFile } : { repo: mirror.repo } };
  return { chart: pinned.chart, version, repositoryOpts: pinned.repo ? { repo: pinned.repo } : undefined };
}
