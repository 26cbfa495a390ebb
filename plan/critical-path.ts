/**
 * The critical path of the deployment graph: the chain of dependent resources whose estimated
 * durations add up to the most. However much the engine parallelises, `pulumi up` on an empty host
 * takes at least that long; the sum of all durations is what it would take one resource at a time.
 */
import { estimateDuration } from "./durations";

export interface GraphResource {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  parent: string;
  /** Provider reference (`<provider urn>::<id>`): a resource waits for its provider. */
  provider?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  inputs: Record<string, unknown>;
}

export interface PathStep {
  urn: string;
  name: string;
  type: string;
  kind: string;
  seconds: number;
  /** When this resource starts, counted from the start of the deployment. */
  startsAt: number;
}

export interface CriticalPath {
  steps: PathStep[];
  /** Seconds along the critical path. */
  totalSeconds: number;
  /** Seconds of all resources one after another. */
  sumSeconds: number;
  /** sumSeconds / totalSeconds: how many resources are in flight on average. */
  parallelism: number;
  /** Types no duration row names (estimated with the default). */
  unlistedTypes: string[];
}

/** The URN of a provider reference (`<urn>::<id>`; the URN itself contains `::`). */
export function providerUrn(ref: string): string {
  const cut = ref.lastIndexOf("::");
  return cut > 0 ? ref.slice(0, cut) : ref;
}

/**
 * Longest path by summed durations over the dependency graph. Edges are explicit dependencies,
 * property dependencies and the resource's provider (the engine creates a provider, e.g. the
 * Kubernetes one built from stage 2's kubeconfig, before anything that uses it); parent links are not edges (a child does not wait for its component), and
 * a dependency on a component means a dependency on every resource inside it.
 */
export function criticalPath(resources: readonly GraphResource[]): CriticalPath {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, GraphResource[]>();
  for (const r of resources) {
    if (!r.parent) continue;
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }

  const estimates = new Map(resources.map((r) => [r.urn, estimateDuration(r)]));

  /** The resources a dependency on `urn` stands for: itself, or everything inside a component. */
  const expand = (urn: string, seen = new Set<string>()): string[] => {
    const r = byUrn.get(urn);
    if (!r || seen.has(urn)) return [];
    seen.add(urn);
    if (r.custom) return [urn];
    return [urn, ...(children.get(urn) ?? []).flatMap((c) => expand(c.urn, seen))];
  };

  const deps = new Map<string, string[]>();
  for (const r of resources) {
    const direct = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
    if (r.provider) direct.add(providerUrn(r.provider));
    deps.set(r.urn, [...new Set([...direct].flatMap((u) => expand(u)))].filter((u) => u !== r.urn));
  }

  // finish(r) = start(r) + duration(r); start(r) = max finish over its dependencies.
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const visiting = new Set<string>();
  const visit = (urn: string): number => {
    const known = finish.get(urn);
    if (known !== undefined) return known;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let start = 0;
    let before: string | undefined;
    for (const d of deps.get(urn) ?? []) {
      const f = visit(d);
      if (f > start) {
        start = f;
        before = d;
      }
    }
    visiting.delete(urn);
    const end = start + (estimates.get(urn)?.seconds ?? 0);
    finish.set(urn, end);
    via.set(urn, before);
    return end;
  };

  let last: string | undefined;
  let totalSeconds = 0;
  for (const r of resources) {
    const f = visit(r.urn);
    if (f > totalSeconds) {
      totalSeconds = f;
      last = r.urn;
    }
  }

  const steps: PathStep[] = [];
  for (let urn = last; urn !== undefined; urn = via.get(urn)) {
    const r = byUrn.get(urn) as GraphResource;
    const e = estimates.get(urn) as { seconds: number; kind: string };
    // Components on the path take no time; leave them out of the printed chain.
    if (r.custom) steps.unshift({ urn, name: r.name, type: r.type, kind: e.kind, seconds: e.seconds, startsAt: (finish.get(urn) ?? 0) - e.seconds });
  }

  const sumSeconds = [...estimates.values()].reduce((s, e) => s + e.seconds, 0);
  const unlistedTypes = [...new Set(resources.filter((r) => !(estimates.get(r.urn)?.listed ?? true)).map((r) => r.type))].sort();
  return { steps, totalSeconds, sumSeconds, parallelism: totalSeconds > 0 ? sumSeconds / totalSeconds : 1, unlistedTypes };
}
