/**
 * What stage 3 knows about the cluster: the shared `ClusterFacts` (../cluster-facts.ts), which the
 * K3s stage or an existing cluster provides. The platform imports neither source.
 */
export { isSchedulable } from "../cluster-facts";
export type { ClusterFacts as PlatformFacts, ClusterNode as PlatformNode, IngressEndpoint, TlsFacts } from "../cluster-facts";
