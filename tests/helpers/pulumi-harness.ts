/**
 * Runs program code under the Pulumi SDK's mock engine and records every resource registration,
 * including what the mocks do not expose: dependencies, property dependencies and resource options.
 *
 * Use one harness per test file (the SDK's runtime state is process-global):
 *   const h = await startHarness({ stack: "prod", config: {...} });
 *   ... construct components or `await import("../index")` ...
 *   await h.settle();
 *   h.byType("libvirt:index/domain:Domain")
 */
import * as pulumi from "@pulumi/pulumi";
// Internal to the SDK, but the only way to wait for the RPC queue the program started to drain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Recorded {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  parent: string;
  provider: string;
  /** URNs this resource waits for (explicit dependsOn plus the resources behind its inputs). */
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  protect: boolean;
  /** Inputs as sent to the engine: secrets still wrapped, so `isSecretPath` can tell them apart. */
  rawInputs: Record<string, unknown>;
  /** Inputs with secrets unwrapped, for asserting on values. */
  inputs: Record<string, unknown>;
}

export interface HarnessOptions {
  project?: string;
  stack?: string;
  /** Stack config without the project prefix; objects and arrays are passed as JSON like the CLI does. */
  config?: Record<string, unknown>;
  /** Keys of `config` that are secret. */
  secretKeys?: string[];
  preview?: boolean;
  /** Extra state a mock returns for a resource (e.g. a command's stdout). */
  outputsFor?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> | undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (isObj(value)) {
    if (value[SIG_KEY] === SECRET_VALUE_SIG) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** True when the value at `path` (or one of its ancestors) was sent to the engine as a secret. */
export function isSecretAt(raw: unknown, path: (string | number)[]): boolean {
  let cur: unknown = raw;
  for (const key of path) {
    if (isObj(cur) && cur[SIG_KEY] === SECRET_VALUE_SIG) return true;
    if (Array.isArray(cur) && typeof key === "number") cur = cur[key];
    else if (isObj(cur) && typeof key === "string") cur = cur[key];
    else return false;
  }
  return isObj(cur) && cur[SIG_KEY] === SECRET_VALUE_SIG;
}

export class Harness {
  readonly recorded: Recorded[] = [];

  all(): Recorded[] {
    return this.recorded;
  }

  byType(type: string): Recorded[] {
    return this.recorded.filter((r) => r.type === type);
  }

  byName(name: string): Recorded {
    const found = this.recorded.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
  }

  byUrn(urn: string): Recorded | undefined {
    return this.recorded.find((r) => r.urn === urn);
  }

  /** Names of the resources `r` depends on, directly. */
  dependencyNames(r: Recorded): string[] {
    const urns = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
    return [...urns].map((u) => this.byUrn(u)?.name ?? u);
  }

  /** True when `from` waits for `to`, directly or through other resources (parents included). */
  dependsOn(from: Recorded, to: Recorded): boolean {
    const seen = new Set<string>();
    const stack = [from.urn];
    while (stack.length > 0) {
      const urn = stack.pop() as string;
      if (seen.has(urn)) continue;
      seen.add(urn);
      const r = this.byUrn(urn);
      if (!r) continue;
      for (const dep of [...r.dependencies, ...Object.values(r.propertyDependencies).flat()]) {
        if (dep === to.urn) return true;
        stack.push(dep);
      }
    }
    return false;
  }

  /** Waits until every registration and output the program started has completed. */
  async settle(): Promise<void> {
    // Several rounds: applies that register resources start new RPCs while earlier ones finish.
    let last = -1;
    for (let i = 0; i < 50 && last !== this.recorded.length; i++) {
      last = this.recorded.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await settings.waitForRPCs();
    }
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const project = options.project ?? "flatcarmicrocloud";
  const stack = options.stack ?? "test";
  const harness = new Harness();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const extra = options.outputsFor?.(args) ?? {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    options.preview ?? false,
  );

  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[`${project}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, (options.secretKeys ?? []).map((k) => `${project}:${k}`));

  // Record each request before the mock monitor answers it.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, cb: unknown) => Promise<void>;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    const type = req.getType();
    const name = req.getName();
    const parent = req.getParent();
    const rawInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    harness.recorded.push({
      type,
      name,
      urn: urnOf(stack, project, parent, type, name),
      custom: req.getCustom(),
      parent,
      provider: req.getProvider(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: req.getReplaceonchangesList(),
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      protect: req.getProtect() ?? false,
      rawInputs,
      inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
    });
    return original(req, cb);
  };
  return harness;
}

/** Same URN scheme as the mock monitor, so dependency URNs can be matched to records. */
function urnOf(stack: string, project: string, parent: string, type: string, name: string): string {
  let qualified = type;
  if (parent) {
    const parentType = parent.split("::")[2].split("$").pop();
    qualified = `${parentType}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): { toJavaScript(): unknown } | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getProtect(): boolean | undefined;
}

/** Resolves an Output's value and whether it is secret (await every output a test creates). */
export async function resolveOutput<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const internal = output as unknown as { promise(): Promise<T>; isSecret: Promise<boolean> };
  const [value, secret] = await Promise.all([internal.promise(), internal.isSecret]);
  return { value, secret };
}
