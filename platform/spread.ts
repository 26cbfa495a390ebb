/**
 * The spread rules the platform's replicated workloads share: where they now keep replicas on
 * different nodes (the hostname), with zones (the KVM hosts, config/failure-domains.ts) they first
 * keep them on different hosts, then on different nodes within a host. Without zones the rules are
 * exactly the hostname rule, so a one-host stack's rendered values do not change.
 */
import { ZONE_LABEL } from "../config/failure-domains";
import { HOSTNAME_LABEL } from "./plan";

export type SpreadKey = typeof HOSTNAME_LABEL | typeof ZONE_LABEL;

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: { labelSelector: { matchLabels: Record<string, string> }; topologyKey: string };
}

/** Preferred pod anti-affinity over `key`: the zone first (weight 100), then the node (50); or the node alone. */
export function preferredSpread(key: SpreadKey, matchLabels: Record<string, string>): WeightedPodAffinityTerm[] {
  const term = (topologyKey: string, weight: number): WeightedPodAffinityTerm => ({ weight, podAffinityTerm: { labelSelector: { matchLabels }, topologyKey } });
  return key === ZONE_LABEL ? [term(ZONE_LABEL, 100), term(HOSTNAME_LABEL, 50)] : [term(HOSTNAME_LABEL, 100)];
}
