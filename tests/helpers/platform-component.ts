/**
 * The opening the Platform component suites share (tests/platform-component.test.ts,
 * tests/registry-component.test.ts): the mock engine on prod with each generated value told apart by
 * its resource's name, and stand-ins for what the guest roles give the platform on a real stack.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformArgs } from "../../platform";
import { FREEIPA_CA_PEM } from "./machine-outputs";
import { Harness, startHarness } from "./pulumi-harness";

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
