/**
 * Which stage each registered resource belongs to: the top-level component it is parented under.
 * A stage is a component of type `flatcarmicrocloud:<stage>:<Name>`; a stage with no such component
 * is not built yet (index.ts does not create it), and the plan says so instead of guessing.
 */

export const STAGES = [
  { id: "infra", title: "1 infra (libvirt)" },
  { id: "cluster", title: "2 cluster (K3s over SSH)" },
  { id: "platform", title: "3 platform (Helm)" },
  { id: "apps", title: "4 apps (Kubernetes)" },
] as const;
export type StageId = (typeof STAGES)[number]["id"];

export interface StagedResource {
  type: string;
  name: string;
  urn: string;
  parent: string;
}

export interface StageSummary {
  id: string;
  title: string;
  built: boolean;
  /** Top-level components of this stage (e.g. `flatcarmicrocloud:infra:Infra infra`). */
  components: string[];
  /** Resources inside the stage's components, components excluded. */
  total: number;
  byType: { type: string; count: number }[];
}

const STAGE_TYPE = /^flatcarmicrocloud:([^:]+):/;

/** The stage a top-level resource stands for, or "program" for resources outside any stage. */
function stageOfRoot(root: StagedResource): string {
  return STAGE_TYPE.exec(root.type)?.[1] ?? "program";
}

export function summariseStages(resources: readonly StagedResource[]): StageSummary[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const rootOf = (r: StagedResource): StagedResource => {
    let cur = r;
    for (let parent = byUrn.get(cur.parent); parent; parent = byUrn.get(cur.parent)) cur = parent;
    return cur;
  };

  const groups = new Map<string, { components: string[]; members: StagedResource[] }>();
  const group = (id: string) => {
    const g = groups.get(id) ?? { components: [], members: [] };
    groups.set(id, g);
    return g;
  };
  for (const r of resources) {
    const root = rootOf(r);
    const id = stageOfRoot(root);
    if (root === r) {
      if (id !== "program") group(id).components.push(`${r.type} ${r.name}`);
      else group(id).members.push(r);
      continue;
    }
    // Nested components group resources; only what they contain is counted.
    if (!STAGE_TYPE.test(r.type)) group(id).members.push(r);
  }

  const known = STAGES.map((s) => s.id as string);
  const extra = [...groups.keys()].filter((id) => !known.includes(id)).sort();
  return [...STAGES.map((s): { id: string; title: string } => ({ id: s.id, title: s.title })), ...extra.map((id) => ({ id, title: id }))]
    .map(({ id, title }) => {
      const g = groups.get(id);
      const counts = new Map<string, number>();
      for (const m of g?.members ?? []) counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
      return {
        id,
        title: id === "program" ? "outside any stage" : title,
        built: (g?.components.length ?? 0) > 0 || (id === "program" && (g?.members.length ?? 0) > 0),
        components: g?.components ?? [],
        total: g?.members.length ?? 0,
        byType: [...counts.entries()].map(([type, count]) => ({ type, count })).sort((a, b) => a.type.localeCompare(b.type)),
      };
    })
    .filter((s) => s.id !== "program" || s.total > 0);
}
