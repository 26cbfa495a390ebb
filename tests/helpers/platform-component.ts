/**
 * The opening the Platform component suites share (tests/platform-component.test.ts,
 * tests/registry-component.test.ts): the mock engine on prod with each generated value told apart by
 * its resource's name, and stand-ins for what the guest roles give the platform on a real stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterFacts } from "../../cluster-facts";
import type { Topology } from "../../config/topology";
import { parseTopology } from "../../config/validate";
import type { Platform, PlatformArgs } from "../../platform";
import { FREEIPA_CA_PEM } from "./machine-outputs";
import { Harness, startHarness } from "./pulumi-harness";
import { rawStack } from "./stacks";

export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const SECRET = "kubernetes:core/v1:Secret";

/**
 * Passwords `pw-<name>` with the bcrypt hash `$2a$10$hash-of-<name>`, salts of the asked length filled
 * with the name's length: a test sees which Secret holds which generated value.
 */
export function namedRandomOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> | undefined {
  if (args.type === "random:index/randomPassword:RandomPassword") return { result: `pw-${args.name}`, bcryptHash: `$2a$10$hash-of-${args.name}` };
  if (args.type === "random:index/randomBytes:RandomBytes") return { base64: Buffer.alloc(Number(args.inputs.length), args.name.length).toString("base64") };
  return undefined;
}

/** One harness per suite, on the prod stack. */
export function startPlatformHarness(): Promise<Harness> {
  return startHarness({ stack: "prod", outputsFor: namedRandomOutputs });
}

/**
 * Stands in for the guest roles' ACME command (its own tests: roles.acme.test.ts), whose output is
 * FreeIPA's CA, and for FreeIPA's DNS records command (guest roles, reconcile). Call it after the
 * harness has started: it registers two resources.
 */
export function acmeStandIn(): NonNullable<PlatformArgs["acme"]> {
  return {
    ready: new random.RandomPassword("acme-ready", { length: 8 }),
    caCertificate: FREEIPA_CA_PEM,
    dnsRecordsServed: [new random.RandomPassword("dns-records", { length: 8 })],
  };
}

/**
 * Starts the harness and registers the Platform `platform` on prod: a provider, then what `args`
 * gives for prod's topology and K3s facts (the facts to use, settings, the suite's opt-ins' inputs; it
 * may register resources of its own), then the ACME stand-in; returns once every output settled. The
 * platform's modules load after the harness has started, as the SDK's mocks need.
 */
export async function platformOnProd(
  args: (topology: Topology, facts: ClusterFacts) => Omit<PlatformArgs, "provider" | "acme"> | Promise<Omit<PlatformArgs, "provider" | "acme">>,
): Promise<{ h: Harness; platform: Platform }> {
  const h = await startPlatformHarness();
  const { Platform } = await import("../../platform");
  const { k3sClusterFacts } = await import("../../cluster/facts");
  const topology = parseTopology(rawStack("prod"), "prod");
  const provider = new k8s.Provider("k", { kubeconfig: "x" });
  const suiteArgs = await args(topology, k3sClusterFacts(topology));
  const platform = new Platform("platform", { provider, ...suiteArgs, acme: acmeStandIn() });
  await h.settle();
  return { h, platform };
}
