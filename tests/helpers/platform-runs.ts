/**
 * Day-two comparisons between two Platform runs recorded in one harness under name prefixes
 * (`off-…`, `on-…`): the opt-in and volume-backup suites register the platform once per stack
 * config and ask the day-two model what a real `pulumi up` from one to the other would do.
 */
import { dayTwo, DayTwoResult } from "../../plan/day-two-model";
import { Harness, Recorded } from "./pulumi-harness";

/** The resources a run registered under `prefix`. */
export function runOf(h: Harness, prefix: string): Recorded[] {
  return h.all().filter((r) => r.name.startsWith(`${prefix}-`));
}

/**
 * The model's result from `before` to `after`. The platform names a password and the Secret holding
 * it alike (`grafana-admin`, two types, as Pulumi's URNs allow) and the model matches by name: those
 * are compared here by type and inputs (they must be equal) and left out of the result.
 */
export function runChanges(h: Harness, before: string, after: string): DayTwoResult {
  const r = dayTwo(h.all(), h.all(), before, after);
  const names = runOf(h, after).map((x) => x.name.slice(after.length + 1));
  const shared = [...new Set(names)].filter((n) => names.filter((m) => m === n).length > 1);
  for (const n of shared) {
    const pick = (prefix: string) => h.all().filter((x) => x.name === `${prefix}-${n}`).map((x) => JSON.stringify([x.type, x.inputs])).sort();
    expect({ n, inputs: pick(after) }).toEqual({ n, inputs: pick(before) });
    for (const list of [r.updated, r.created, r.deleted, r.replaced]) if (list.includes(n)) list.splice(list.indexOf(n), 1);
    r.changes.delete(n);
  }
  return r;
}
