import { BUILDS_EXAMPLE, BuildsContext } from "../../config/opt-ins/builds";

/** What a stack with `builds` also has: somewhere to push and the push password stored encrypted. */
export const BUILDS_CONTEXT: BuildsContext = { appsRegistry: "registry.example.com/fmc", pushPassword: { set: true, secret: true } };

import type { ClusterFacts } from "../../cluster-facts";

/**
 * The seed's prod workers cannot hold builds next to the platform (measured: tests/platform-builds.test.ts);
 * these facts give each schedulable node `extraMiB` more allocatable memory, standing for the room a
 * larger or second host gives, so the component tests can build a platform with builds.
 */
export function withRoomForBuilds<T extends ClusterFacts>(facts: T, extraMiB = 1024): T {
  return { ...facts, nodes: facts.nodes.map((n) => ({ ...n, allocatable: { ...n.allocatable, memoryMiB: n.allocatable.memoryMiB + extraMiB } })) };
}

/** BUILDS_EXAMPLE for the in-cluster registry: no pushUser (the builds push as the registry's `push`). */
export const BUILDS_IN_CLUSTER: Record<string, unknown> = Object.fromEntries(Object.entries(BUILDS_EXAMPLE).filter(([key]) => key !== "pushUser"));
