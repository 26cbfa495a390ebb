/**
 * Runs program code under the Pulumi SDK's mock engine and records every resource registration,
 * including what the mocks do not expose: dependencies, property dependencies and resource options.
 * It also records every stack config key the program reads and whether it was read as a secret.
 *
 * The offline plan (`plan/main.ts`) and the tests both use it; the SDK's runtime state is
 * process-global, so there is one recorder per process (per test file):
 *   const r = await startRecorder({ stack: "prod", config: {...} });
 *   ... construct components or `await import("../index")` ...
 *   await r.settle();
 *   r.byType("libvirt:index/domain:Domain")
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_CONFIG_KEYS } from "../config/secret";
// Internal to the SDK, but the only way to wait for the RPC queue the program started to drain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

/** The SDK's wire signature key; a secret value is `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** What an unknown (computed) value looks like on the wire in a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

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
  /** URN of the resource whose deletion also removes this one (the engine then skips its delete); "" if none. */
  deletedWith: string;
  /** The engine drops it from the state without deleting it from the cloud (or cluster). */
  retainOnDelete: boolean;
  /** Inputs as sent to the engine: secrets still wrapped, so `isSecretAt` can tell them apart. */
  rawInputs: Record<string, unknown>;
  /** Inputs with secrets unwrapped, for asserting on values. */
  inputs: Record<string, unknown>;
}

/** One read of a stack config key by the program. */
export interface ConfigRead {
  /** Key without the project prefix. */
  key: string;
  /** Read with getSecret/requireSecret (and their typed variants). */
  secret: boolean;
  /** The key had no value when read (before any placeholder). */
  missing: boolean;
  /** The recorder supplied a placeholder because the key had no value. */
  placeholder: boolean;
}

export interface RecorderOptions {
  project?: string;
  stack?: string;
  /**
   * Stack config without the project prefix (keys of other namespaces keep theirs); objects and
   * arrays are passed as JSON like the CLI does.
   */
  config?: Record<string, unknown>;
  /**
   * Keys of `config` that are secret. Unset: the credentials the program only takes as secrets
   * (`SECRET_CONFIG_KEYS`: the operator sets them with --secret) are secret where `config` has them.
   */
  secretKeys?: string[];
  preview?: boolean;
  /**
   * The id a mock returns for a resource (default `<name>-id`); undefined in a preview is what the
   * engine gives a resource the preview creates: an unknown id.
   */
  idFor?: (args: pulumi.runtime.MockResourceArgs) => string | undefined;
  /** Extra state a mock returns for a resource (e.g. a command's stdout). */
  outputsFor?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> | undefined;
  /**
   * Value for a secret key the program reads (getSecret/requireSecret) that the config lacks. The
   * offline plan uses it so a stack runs without the operator's secrets; tests leave it unset, so a
   * missing secret behaves as it does for a real run.
   */
  secretPlaceholder?: (key: string) => string | undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (isObj(value)) {
    if (value[SECRET_SIG] === SECRET_VALUE_SIG) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** True when the value at `path` (or one of its ancestors) was sent to the engine as a secret. */
export function isSecretAt(raw: unknown, path: (string | number)[]): boolean {
  let cur: unknown = raw;
  for (const key of path) {
    if (isObj(cur) && cur[SECRET_SIG] === SECRET_VALUE_SIG) return true;
    if (Array.isArray(cur) && typeof key === "number") cur = cur[key];
    else if (isObj(cur) && typeof key === "string") cur = cur[key];
    else return false;
  }
  return isObj(cur) && cur[SECRET_SIG] === SECRET_VALUE_SIG;
}

export class Recorder {
  readonly recorded: Recorded[] = [];
  readonly configReads: ConfigRead[] = [];
  private readonly index = new Map<string, Recorded>();

  constructor(
    readonly project: string,
    readonly stack: string,
  ) {}

  /** @internal */
  add(r: Recorded): void {
    this.recorded.push(r);
    this.index.set(r.urn, r);
  }

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
    return this.index.get(urn);
  }

  /** Names of the resources `r` depends on, directly. */
  dependencyNames(r: Recorded): string[] {
    return directDependencies(r).map((u) => this.byUrn(u)?.name ?? u);
  }

  /** True when `from` waits for `to`, directly or through other resources. */
  dependsOn(from: Recorded, to: Recorded): boolean {
    const seen = new Set<string>();
    const stack = [from.urn];
    while (stack.length > 0) {
      const urn = stack.pop() as string;
      if (seen.has(urn)) continue;
      seen.add(urn);
      const r = this.byUrn(urn);
      if (!r) continue;
      for (const dep of directDependencies(r)) {
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

/** URNs `r` waits for: explicit dependencies and those behind each input property. */
export function directDependencies(r: Pick<Recorded, "dependencies" | "propertyDependencies">): string[] {
  return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])];
}

export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const project = options.project ?? "flatcarmicrocloud";
  const stack = options.stack ?? "test";
  const recorder = new Recorder(project, stack);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const extra = options.outputsFor?.(args) ?? {};
        const inputs = args.inputs as Record<string, unknown>;
        const id = options.idFor ? options.idFor(args) : `${args.name}-id`;
        return { id, state: { ...inputs, ...extra } };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    },
    project,
    stack,
    options.preview ?? false,
    // What a DIY backend reports (the program names its own stack `organization/<project>/<stack>`).
    "organization",
  );

  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[fullKey(project, key)] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const secretKeys = (options.secretKeys ?? SECRET_CONFIG_KEYS.filter((k) => options.config?.[k] !== undefined)).map((k) => fullKey(project, k));
  pulumi.runtime.setAllConfig(config, secretKeys);

  active = { recorder, project, config, secretKeys, placeholder: options.secretPlaceholder };
  watchConfigReads();

  // Record each request before the mock monitor answers it.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, cb: unknown) => Promise<void>;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    recorder.add(recordRequest(req, project, stack));
    return original(req, cb);
  };
  return recorder;
}

/** `key` of this project, or a key of another namespace (`libvirt:uri`) as it is. */
function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function recordRequest(req: RegisterRequest, project: string, stack: string): Recorded {
  const type = req.getType();
  const name = req.getName();
  const parent = req.getParent();
  const rawInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  return {
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
    deletedWith: req.getDeletedwith(),
    retainOnDelete: req.getRetainondelete() ?? false,
    rawInputs,
    inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
  };
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

// ---- config reads -------------------------------------------------------------------------------

interface ActiveRun {
  recorder: Recorder;
  project: string;
  config: Record<string, string>;
  secretKeys: string[];
  placeholder?: (key: string) => string | undefined;
}

let active: ActiveRun | undefined;
let watching = false;

const SECRET_READS = [
  "getSecret", "requireSecret", "getSecretBoolean", "requireSecretBoolean",
  "getSecretNumber", "requireSecretNumber", "getSecretObject", "requireSecretObject",
] as const;
const PLAIN_READS = ["get", "require", "getBoolean", "requireBoolean", "getNumber", "requireNumber", "getObject", "requireObject"] as const;

type ConfigMethod = (this: pulumi.Config, key: string, ...rest: unknown[]) => unknown;

/**
 * Wraps the public read methods of `pulumi.Config` once per process. The wrappers record the read
 * and, for a secret key the config lacks, let the active run supply a placeholder first.
 */
function watchConfigReads(): void {
  if (watching) return;
  watching = true;
  const proto = pulumi.Config.prototype as unknown as Record<string, ConfigMethod>;
  for (const method of [...SECRET_READS, ...PLAIN_READS]) {
    const secret = (SECRET_READS as readonly string[]).includes(method);
    const original = proto[method];
    proto[method] = function (this: pulumi.Config, key: string, ...rest: unknown[]) {
      if (active && this.name === active.project) noteRead(active, key, secret);
      return original.call(this, key, ...rest);
    };
  }
}

function noteRead(run: ActiveRun, key: string, secret: boolean): void {
  const configKey = `${run.project}:${key}`;
  const missing = pulumi.runtime.getConfig(configKey) === undefined;
  const value = missing && secret ? run.placeholder?.(key) : undefined;
  if (value !== undefined) {
    run.config[configKey] = value;
    run.secretKeys.push(configKey);
    pulumi.runtime.setAllConfig(run.config, run.secretKeys);
  }
  run.recorder.configReads.push({ key, secret, missing, placeholder: value !== undefined });
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
  getDeletedwith(): string;
  getRetainondelete(): boolean | undefined;
}

/** Resolves an Output's value and whether it is secret (await every output a test creates). */
export async function resolveOutput<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const internal = output as unknown as { promise(): Promise<T>; isSecret: Promise<boolean> };
  const [value, secret] = await Promise.all([internal.promise(), internal.isSecret]);
  return { value, secret };
}
