/**
 * Day-two comparisons between two Platform runs recorded in one harness under name prefixes
 * (`off-…`, `on-…`): the opt-in and volume-backup suites register the platform once per stack
 * config and ask the day-two model what a real `pulumi up` from one to the other would do.
 */
import * as k8s from "@pulumi/kubernetes";
import { dayTwo, DayTwoResult } from "../../plan/day-two-model";
import { Platform, PlatformArgs } from "../../platform";
import { Harness, Recorded } from "./pulumi-harness";

/** What a run's Platform is given beyond its provider and the ACME stand-in: facts, settings, the opt-ins' inputs; no app hosts unless named. */
export type RunArgs = Omit<PlatformArgs, "provider" | "acme" | "appHosts"> & Partial<Pick<PlatformArgs, "appHosts">>;

/**
 * Registers the Platform as run `name` (its resources under the prefix `name-`) on a provider of its
 * own, which also stands in for FreeIPA's ACME step: ready at once, a stand-in CA, no DNS records to
 * wait for. The provider is returned for what the suite wires beside the platform (the apps).
 */
export function platformRun(name: string, args: RunArgs): { platform: Platform; provider: k8s.Provider } {
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: "x", clusterIdentifier: "c" });
  const acme = { ready: provider, caCertificate: "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n", dnsRecordsServed: [] };
  return { platform: new Platform(name, { provider, appHosts: [], ...args, acme }), provider };
}

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

/**
 * The check of every opt-in's on and off rows (docs/day-two.md): turning it on only creates, turning
 * it off only deletes (`way`), and only objects `own` names; nothing is replaced, and outside the
 * opt-in exactly `updated` changes (cert-manager's release, where the opt-in routes a host).
 */
export function expectOnlyOwn(r: DayTwoResult, way: "created" | "deleted", own: RegExp, updated: string[] = []): void {
  const other = way === "created" ? "deleted" : "created";
  expect({ replaced: r.replaced, [other]: r[other], updated: r.updated }).toEqual({ replaced: [], [other]: [], updated });
  expect(r[way].filter((n) => !own.test(n))).toEqual([]);
}
