/**
 * The platform's opt-ins (issue 20): each is ONE top-level stack config key holding an object,
 * parsed in config/opt-ins/<key>.ts into `PlatformSettings.<key>`; absent, the opt-in is off and
 * nothing of it exists. The Kubernetes lab turns every entry on with its `example`, checks its
 * releases and objects, then turns it off again; the capacity check names the keys that are on.
 * (Created with the logs entry while the shared file was not on main yet: the shape vpa-lab's is.)
 */
import type { PlatformSettings } from "../config/platform";
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
];
