/**
 * The platform's opt-ins (issue 20): each is ONE top-level stack config key holding an object,
 * parsed in config/opt-ins/<key>.ts into `PlatformSettings.<key>`; absent, the opt-in is off and
 * nothing of it exists. This list is what the rest of the program knows about them: apps/capacity.ts
 * refuses a stack that fits without its opt-ins but not with them, naming each key that is on with
 * what it requests (and the room a second host like the first would give); the tests turn every
 * entry on with its `example` (and `needs`).
 */
import type { OptInContext, PlatformSettings } from "../config/platform";
import type { NamespaceKey } from "./namespaces";
import type { ChartKey } from "./releases";

/** The settings keys that may be absent: where an opt-in's parsed config lives. */
export type OptionalSettingsKey = { [K in keyof PlatformSettings]-?: undefined extends PlatformSettings[K] ? K : never }[keyof PlatformSettings];

export interface OptIn {
  /** The stack config key (and `PlatformSettings` key) that turns it on. */
  key: OptionalSettingsKey;
  /** Its Helm releases with `example` (keys of ./releases.ts RELEASES), installed only while it is on. */
  releases: readonly ChartKey[];
  /** What it gives the user, in one line (README, the lab's log). */
  purpose: string;
  /** A valid value of the key as a stack config holds it: the lab and the tests turn the opt-in on with it. */
  example: Record<string, unknown>;
  /** Namespaces it has besides its releases'; none when unset. */
  namespaces?: readonly NamespaceKey[];
  /**
   * Other stack keys the example needs (plain, and secret ones), and the context
   * `parsePlatformSettings` checks it against (what config/platform.ts's loader reads from them).
   */
  needs?: { config?: Record<string, string>; secrets?: Record<string, string>; context: OptInContext };
}

export const OPT_INS: readonly OptIn[] = [
  {
    key: "logs",
    // The example's stack (elk): the operator, the Elasticsearch and Kibana resources, the collector.
    // With `stack: loki` the releases are `loki` and `fluentBit` instead (docs/logs.md).
    releases: ["eckOperator", "eckStack", "fluentBit"],
    purpose:
      "the cluster's logs: Fluent Bit on every node into Elasticsearch with Kibana (ECK, stack elk) or the lighter Loki read by Grafana (stack loki), deleted after retentionDays",
    example: { stack: "elk", retentionDays: 7, volumeGiB: 10 },
  },
  {
    key: "gitops",
    releases: ["argoCd"],
    purpose: "Argo CD syncing the user's apps from a git repository into one namespace of their own, bounded by an AppProject (docs/gitops.md)",
    // A public https repository (config/opt-ins/gitops.ts GITOPS_EXAMPLE): no credential; the lab never reaches it.
    example: { repoURL: "https://git.example.com/flatcarmicrocloud/deploy.git", revision: "main", applications: [{ name: "gitops-demo", path: "demo" }] },
  },
  {
    key: "registry",
    releases: ["zot"],
    purpose:
      "an OCI registry (zot) on a Ceph volume for the apps' and builds' images, TLS from the cluster's issuer, a pull-through cache for the K3s nodes; push with endpoints.registry (Secret registry-push in namespace registry)",
    // No public mirror (no egress to the internet in the lab), no scanning (no Trivy download).
    example: { volumeGiB: 10, mirrors: [] },
  },
  {
    key: "builds",
    releases: ["tektonOperator"],
    purpose: "in-cluster image builds: Tekton Pipelines (by its operator) and a rootless BuildKit Pipeline building the reference app's images, pushed to appsRegistry",
    // config/opt-ins/builds.ts BUILDS_EXAMPLE (not imported: config/ must not load at this module's init order).
    example: { gitUrl: "https://git.example.com/fmc/flatcarmicrocloud.git", revision: "main", path: "reference-app", tag: "0.1.1", pushUser: "builder" },
    needs: {
      config: { appsRegistry: "registry.example.com/fmc" },
      secrets: { buildsPushPassword: "lab-push-password-0123" },
      context: { builds: { appsRegistry: "registry.example.com/fmc", pushPassword: { set: true, secret: true } } },
    },
  },
  {
    key: "vpa",
    releases: ["vpa"],
    purpose: "the Vertical Pod Autoscaler's recommender: request recommendations for the apps' (and the platform's) workloads, read with kubectl; nothing is resized",
    example: { platform: true },
  },
];

/** The opt-ins `settings` turns on. */
export function optInsOn(settings: Pick<PlatformSettings, OptionalSettingsKey>, optIns: readonly OptIn[] = OPT_INS): OptIn[] {
  return optIns.filter((o) => settings[o.key] !== undefined);
}

/** `settings` with the opt-ins `keys` (all by default) turned off. */
export function withoutOptIns(settings: PlatformSettings, keys: readonly OptionalSettingsKey[] = OPT_INS.map((o) => o.key)): PlatformSettings {
  const out = { ...settings };
  for (const key of keys) delete out[key];
  return out;
}

/** The context `parsePlatformSettings` needs for every opt-in's example (the tests'). */
export function optInContext(optIns: readonly OptIn[] = OPT_INS): OptInContext {
  return Object.assign({}, ...optIns.map((o) => o.needs?.context ?? {})) as OptInContext;
}
