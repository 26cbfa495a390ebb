/**
 * `vpa`: the Vertical Pod Autoscaler's recommender (docs/vpa.md), an opt-in. Absent: off. On, it
 * only recommends: every app Deployment gets a VerticalPodAutoscaler with `updateMode: "Off"` (and,
 * with `platform: true`, the platform's main Deployments and StatefulSets), whose recommendations
 * users read with kubectl; nothing is evicted or resized, so the requests the capacity check
 * counts stay what the stack config says.
 *
 * The key is an object with one required field: config/load.ts reads an empty object as unset (it
 * is Pulumi.yaml's default for optional keys), so `vpa: {}` could not mean "on".
 */
import { Collector, isObj } from "../validate";

export interface VpaSettings {
  /** VerticalPodAutoscalers for the platform's own Deployments and StatefulSets too, not only the apps'. */
  platform: boolean;
}

const FIELDS = ["platform"] as const;

export function parseVpa(c: Collector, raw: unknown): VpaSettings | undefined {
  if (raw === undefined) return undefined;
  if (!isObj(raw)) {
    c.fail("vpa", `must be an object such as { platform: true } (got ${JSON.stringify(raw)}); leave the key out to turn the VPA off`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!(FIELDS as readonly string[]).includes(key)) c.fail(`vpa.${key}`, `is not a setting of the VPA (${FIELDS.join(", ")})`);
  }
  if (raw.platform === undefined) {
    c.fail("vpa.platform", "is required: true to recommend for the platform's Deployments and StatefulSets as well as the apps', false for the apps' only");
    return undefined;
  }
  return { platform: c.boolean("vpa.platform", raw.platform, true) };
}
