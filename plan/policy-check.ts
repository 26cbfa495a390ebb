/**
 * Runs the policy pack's policies over recorded registrations, the way CrossGuard would call them
 * during `pulumi preview`: resource policies per resource with decrypted inputs and options, stack
 * policies once with the dependency graph. No gRPC server, no CLI.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { Recorded } from "./recorder";

export type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn?: string;
}

/** Per-policy config as in a `--policy-pack-config` file: `{ "<policy>": { key: value } }`. */
export type PolicyConfig = Record<string, Record<string, unknown>>;

class NotApplicable extends Error {}

function configFor(policy: AnyPolicy, config: PolicyConfig): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, schema]) => schema.default !== undefined)
      .map(([key, schema]) => [key, schema.default as unknown]),
  );
  return { ...defaults, ...(config[policy.name] ?? {}) };
}

function notApplicable(): never {
  throw new NotApplicable();
}

const unsupported = (): never => {
  throw new Error("isType/asType are not available offline: compare args.type instead");
};

/** A recorded registration as CrossGuard shows it to a resource policy. */
export function resourceArgs(r: Recorded, policyConfig: Record<string, unknown>): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.inputs,
    urn: r.urn,
    name: r.name,
    opts: {
      protect: r.protect,
      ignoreChanges: r.ignoreChanges,
      deleteBeforeReplace: r.deleteBeforeReplace,
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: r.additionalSecretOutputs,
      parent: r.parent || undefined,
    },
    stackTags: new Map<string, string>(),
    isType: unsupported,
    asType: unsupported,
    getConfig: <T extends object>() => policyConfig as T,
    notApplicable,
  };
}

/** All recorded registrations as CrossGuard shows them to a stack policy (linked graph). */
export function stackResources(recorded: readonly Recorded[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  for (const r of recorded) {
    const args = resourceArgs(r, {});
    byUrn.set(r.urn, {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: args.opts,
      dependencies: [],
      propertyDependencies: {},
      isType: unsupported,
      asType: unsupported,
    });
  }
  const resolve = (urns: string[]) => urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
  for (const r of recorded) {
    const p = byUrn.get(r.urn) as PolicyResource;
    p.parent = byUrn.get(r.parent);
    p.dependencies = resolve(r.dependencies);
    p.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, urns]) => [k, resolve(urns)]));
  }
  return [...byUrn.values()];
}

export async function runPolicies(policies: readonly AnyPolicy[], recorded: readonly Recorded[], config: PolicyConfig = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const resources = stackResources(recorded);
  for (const policy of policies) {
    const level = policy.enforcementLevel ?? "advisory";
    if (level === "disabled" || config[policy.name]?.enforcementLevel === "disabled") continue;
    const policyConfig = configFor(policy, config);
    const collect = (urn?: string) => (message: string, violationUrn?: string) =>
      violations.push({ policy: policy.name, enforcementLevel: level, message, urn: violationUrn ?? urn });
    try {
      if ("validateResource" in policy && policy.validateResource) {
        const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        for (const r of recorded) {
          for (const validate of validations) {
            try {
              await validate(resourceArgs(r, policyConfig), collect(r.urn));
            } catch (e) {
              if (!(e instanceof NotApplicable)) throw e;
            }
          }
        }
      }
      if ("validateStack" in policy && policy.validateStack) {
        const args: StackValidationArgs = {
          resources,
          stackTags: new Map<string, string>(),
          getConfig: <T extends object>() => policyConfig as T,
          notApplicable,
        };
        await policy.validateStack(args, collect());
      }
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
  }
  return violations;
}
