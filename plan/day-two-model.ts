/**
 * What a real `pulumi up` does with a change, from two recordings of the program (before and after
 * the change, under the mock engine) and the providers' replace rules (infra/replace-semantics.json,
 * derived from terraform-provider-libvirt's ForceNew attributes and @pulumi/command's triggers). The
 * mock engine only shows inputs; this model adds what the engine and the providers decide:
 *
 * - a resource is replaced when an input its provider treats as ForceNew changes, when an input in
 *   its `replaceOnChanges` changes, or when a resource it takes an input from is replaced and that
 *   input is one of those (the replaced resource's outputs are new: unknown in a preview); inputs in
 *   `ignoreChanges` never count;
 * - otherwise it is updated when any input changes (a command runs its `update`, else its `create`);
 * - a replaced resource with `deleteBeforeReplace` first has its dependents deleted that its
 *   replacement would replace (pulumi/pulumi step_generator.go, calculateDependentReplacements):
 *   their delete runs before it goes, their create after it is back;
 * - `pulumi destroy` deletes dependents before what they depend on, and skips the provider's delete
 *   of a resource whose `deletedWith` resource is deleted in the same run.
 *
 * Recordings are compared by resource name with each run's prefix removed, so one test process can
 * record several variants side by side (`new Infra("before", ...)`, `new Infra("after", ...)`).
 */
import { forceNewPart } from "../infra/deployment-record";
import semantics from "../infra/replace-semantics.json";
import { directDependencies, Recorded } from "./recorder";

export type Change = "create" | "delete" | "replace" | "update" | "same";

export interface ResourceChange {
  /** Name without the run's prefix. */
  name: string;
  type: string;
  change: Change;
  /** Top-level inputs that differ (or became unknown because a resource they come from is replaced). */
  changedKeys: string[];
  /** The inputs that made it a replacement. */
  replaceKeys: string[];
}

export interface DayTwoResult {
  changes: Map<string, ResourceChange>;
  /** Names (without prefix) replaced, in registration order. */
  replaced: string[];
  updated: string[];
  created: string[];
  deleted: string[];
  /**
   * For each replaced resource with deleteBeforeReplace: the dependents deleted before it and
   * created again after it (reverse dependency order, as the engine deletes them).
   */
  deletedBefore: Map<string, string[]>;
}

const RULES = semantics.resources as Record<string, { replaceOnChangesOf: string[] }>;

/** Top-level input keys whose change replaces a resource of `type`. */
export function providerReplaceKeys(type: string): string[] {
  return RULES[type]?.replaceOnChangesOf ?? [];
}

function strip(name: string, prefix: string): string {
  return prefix && name.startsWith(`${prefix}-`) ? name.slice(prefix.length + 1) : name;
}

/** Input values with the run's prefix removed from ids and names (`after-worker3-root-id`). */
function normalise(value: unknown, prefix: string): unknown {
  if (!prefix) return value;
  // Mock ids and names start with the run's prefix; nothing else does.
  if (typeof value === "string") return strip(value, prefix);
  if (Array.isArray(value)) return value.map((v) => normalise(v, prefix));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalise(v, prefix)]));
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Run {
  records: Recorded[];
  prefix: string;
  byName: Map<string, Recorded>;
  nameOfUrn: Map<string, string>;
}

function run(all: Recorded[], prefix: string): Run {
  const records = all.filter((r) => !prefix || r.name === prefix || r.name.startsWith(`${prefix}-`));
  const byName = new Map(records.map((r) => [strip(r.name, prefix), r]));
  const nameOfUrn = new Map(records.map((r) => [r.urn, strip(r.name, prefix)]));
  return { records, prefix, byName, nameOfUrn };
}

/**
 * Which of these changed keys replace `r`: its replaceOnChanges, and the provider's ForceNew inputs
 * (for a key with only nested ForceNew fields, when those fields differ; an unknown value always
 * may), minus ignoreChanges.
 */
function replacingKeys(r: Recorded, keys: string[], prev?: Recorded, unknown: Set<string> = new Set(keys)): string[] {
  const own = new Set(r.replaceOnChanges.map((k) => k.split(".")[0]));
  const provider = new Set(providerReplaceKeys(r.type));
  return keys.filter((k) => {
    if (r.ignoreChanges.includes(k)) return false;
    if (own.has(k)) return true;
    if (!provider.has(k)) return false;
    if (unknown.has(k) || !prev) return true;
    return !same(forceNewPart(r.type, k, r.inputs[k]), forceNewPart(r.type, k, prev.inputs[k]));
  });
}

/**
 * Compares the recordings `before` (names prefixed `beforePrefix-`) and `after`. Both may be the
 * same array when the two runs were recorded in one process.
 */
export function dayTwo(before: Recorded[], after: Recorded[], beforePrefix: string, afterPrefix: string): DayTwoResult {
  const old = run(before, beforePrefix);
  const cur = run(after, afterPrefix);
  const changes = new Map<string, ResourceChange>();

  // Fixpoint: a replacement makes the inputs taken from the replaced resource unknown, which may
  // replace the dependent in turn.
  const replacedNames = new Set<string>();
  for (let round = 0; round < 50; round++) {
    let grew = false;
    for (const r of cur.records) {
      if (!r.custom) continue;
      const name = strip(r.name, cur.prefix);
      const prev = old.byName.get(name);
      if (!prev) {
        changes.set(name, { name, type: r.type, change: "create", changedKeys: [], replaceKeys: [] });
        continue;
      }
      const keys = new Set<string>();
      const unknown = new Set<string>();
      for (const key of new Set([...Object.keys(r.inputs), ...Object.keys(prev.inputs)])) {
        if (r.ignoreChanges.includes(key)) continue;
        if (!same(normalise(r.inputs[key], cur.prefix), normalise(prev.inputs[key], old.prefix))) keys.add(key);
      }
      for (const [key, urns] of Object.entries(r.propertyDependencies)) {
        if (r.ignoreChanges.includes(key)) continue;
        if (urns.some((u) => replacedNames.has(cur.nameOfUrn.get(u) ?? ""))) {
          keys.add(key);
          unknown.add(key);
        }
      }
      const providerName = cur.nameOfUrn.get(r.provider.split("::").slice(0, -1).join("::"));
      const providerReplaced = providerName !== undefined && replacedNames.has(providerName);
      // Another provider (another host's) replaces the resource: the engine's providerChanged
      // (pulumi/pulumi pkg/resource/deploy/step_generator.go) asks for replacement whenever an
      // explicit provider reference changes to another provider.
      const providerMoved = providerName !== old.nameOfUrn.get(prev.provider.split("::").slice(0, -1).join("::"));
      const normalised = { ...r, inputs: normalise(r.inputs, cur.prefix) as Record<string, unknown> };
      const prevNormalised = { ...prev, inputs: normalise(prev.inputs, old.prefix) as Record<string, unknown> };
      const replaceKeys = replacingKeys(normalised, [...keys], prevNormalised, unknown);
      const change: Change = replaceKeys.length > 0 || providerReplaced || providerMoved ? "replace" : keys.size > 0 ? "update" : "same";
      changes.set(name, { name, type: r.type, change, changedKeys: [...keys].sort(), replaceKeys });
      if (change === "replace" && !replacedNames.has(name)) {
        replacedNames.add(name);
        grew = true;
      }
    }
    if (!grew) break;
  }
  for (const r of old.records) {
    const name = strip(r.name, old.prefix);
    if (r.custom && !cur.byName.has(name)) changes.set(name, { name, type: r.type, change: "delete", changedKeys: [], replaceKeys: [] });
  }

  const deletedBefore = new Map<string, string[]>();
  for (const name of replacedNames) {
    const r = cur.byName.get(name) as Recorded;
    if (r.deleteBeforeReplace) deletedBefore.set(name, dependentReplacements(cur, name, replacedNames));
  }
  const names = (c: Change) => [...changes.values()].filter((x) => x.change === c).map((x) => x.name);
  return { changes, replaced: names("replace"), updated: names("update"), created: names("create"), deleted: names("delete"), deletedBefore };
}

/**
 * The engine's dependent replacements of a delete-before-replace resource: transitive dependents
 * with a property taken from the replace set that would replace them (inputs set to unknown).
 */
function dependentReplacements(cur: Run, root: string, replaced: Set<string>): string[] {
  const set = new Set([root]);
  const order: string[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of cur.records) {
      const name = strip(r.name, cur.prefix);
      if (!r.custom || set.has(name) || !replaced.has(name)) continue;
      const unknownKeys = Object.entries(r.propertyDependencies)
        .filter(([, urns]) => urns.some((u) => set.has(cur.nameOfUrn.get(u) ?? "")))
        .map(([k]) => k);
      if (replacingKeys(r, unknownKeys).length > 0) {
        set.add(name);
        order.push(name);
        grew = true;
      }
    }
  }
  return order.reverse();
}

/**
 * The order `pulumi destroy` deletes the recorded resources in: each one after everything that
 * depends on it. Returns layers: every resource of a layer may go in parallel once the earlier
 * layers are gone. `skipped` are those whose provider delete the engine skips (`deletedWith` a
 * resource deleted in the same run).
 */
export function destroyOrder(records: Recorded[]): { layers: string[][]; skipped: Set<string> } {
  const custom = records.filter((r) => r.custom);
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  // Component children wait like their parent's dependencies: the engine tracks custom resources.
  const dependents = new Map<string, Set<string>>(custom.map((r) => [r.urn, new Set<string>()]));
  const customDeps = (r: Recorded, seen = new Set<string>()): string[] => {
    const out: string[] = [];
    for (const urn of directDependencies(r)) {
      const dep = byUrn.get(urn);
      if (!dep || seen.has(urn)) continue;
      seen.add(urn);
      if (dep.custom) out.push(urn);
      else out.push(...customDeps(dep, seen), ...records.filter((c) => c.parent === urn && c.custom).map((c) => c.urn));
    }
    if (r.provider) {
      const providerUrn = r.provider.split("::").slice(0, -1).join("::");
      if (byUrn.has(providerUrn)) out.push(providerUrn);
    }
    return out;
  };
  for (const r of custom) for (const dep of customDeps(r)) dependents.get(dep)?.add(r.urn);

  const remaining = new Set(custom.map((r) => r.urn));
  const layers: string[][] = [];
  while (remaining.size > 0) {
    const layer = [...remaining].filter((urn) => [...(dependents.get(urn) ?? [])].every((d) => !remaining.has(d)));
    if (layer.length === 0) throw new Error("destroyOrder: dependency cycle");
    layer.forEach((urn) => remaining.delete(urn));
    layers.push(layer.map((urn) => (byUrn.get(urn) as Recorded).name));
  }
  const skipped = new Set(custom.filter((r) => r.deletedWith && byUrn.has(r.deletedWith)).map((r) => r.name));
  return { layers, skipped };
}
