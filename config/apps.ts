/**
 * Stage 4 settings: the user's applications (`apps`) and the registry their images come from
 * (`appsRegistry`). `parseApps` is pure (raw config + the validated topology in, typed apps out) and
 * fails with every problem at once, each naming its key (`apps[1].image`), before any resource is
 * registered.
 */
import { cpuMilli, memoryMiB, Resources } from "../platform/resources";
import { looksSecretKey } from "../policy/secret-keys";
import { platformHosts } from "../ports";
import { readRawConfig } from "./load";
import { Topology } from "./topology";
import { Collector, ConfigError, isObj } from "./validate";

/** Platform services an app may use; each one adds env entries, a Secret key and an egress rule. */
export interface AppUses {
  /** Kafka topics the app reads or writes; the stage creates each as a Strimzi KafkaTopic. */
  kafkaTopics: string[];
  mqtt: boolean;
  redis: boolean;
  postgres: boolean;
}

export interface AppIngress {
  /** Fully qualified host name under the stack's domain (`app.example.com`). */
  host: string;
  /** Path prefixes routed to this app on that host (`/api`); `/` takes the rest. */
  paths: string[];
}

export interface AppSpec {
  /** RFC 1123 label: names the Deployment, Service, policies (`api`). */
  name: string;
  /**
   * Full image reference, pinned by tag (never `latest`) or digest; a name without registry stays as
   * written when no `appsRegistry` is set and the stack deploys only up to the platform.
   */
  image: string;
  /** Container port the app listens on (HTTP: probes, Service, route). */
  port: number;
  /** HTTP path of the health check the probes call. */
  healthPath: string;
  replicas: { min: number; max: number };
  /** Average CPU use (percent of requests) the autoscaler keeps the pods at. */
  targetCpuPercent: number;
  resources: Resources;
  /** Plain, non-secret environment of the app's own. */
  env: Record<string, string>;
  uses: AppUses;
  /** Undefined: internal only (no route, nothing admitted from Traefik). */
  ingress?: AppIngress;
  /** Mount a Kubernetes API token (default false: apps rarely need the API). */
  serviceAccountToken: boolean;
  /** Numeric non-root user (and group) the container runs as. */
  runAsUser: number;
  /** Directories the app may write (emptyDir mounts; the root filesystem is read-only). */
  writablePaths: string[];
  /**
   * Back up the app's persistent volume claims (those labelled `app.kubernetes.io/name: <name>` in the
   * apps namespace) with the platform's volumes, when the stack has a backup target (docs/backups.md).
   */
  backupVolumes: boolean;
}

export interface AppsSettings {
  /** Registry (and path) that relative image names live under, e.g. `registry.example.com/fmc`. */
  registry?: string;
  apps: AppSpec[];
}

export interface RawAppsConfig {
  appsRegistry?: unknown;
  apps?: unknown;
}

export const APPS_CONFIG_KEYS: readonly (keyof RawAppsConfig)[] = ["appsRegistry", "apps"];

export const APP_DEFAULTS = {
  healthPath: "/healthz",
  targetCpuPercent: 70,
  runAsUser: 10001,
  writablePaths: ["/tmp"],
} as const;

/**
 * Env names the stage sets itself from the platform's services (the contract with the apps, see
 * docs/apps.md): an app's own `env` may not set them.
 */
export const RESERVED_ENV = [
  "APP_NAME",
  "POSTGRES_HOST",
  "POSTGRES_PORT",
  "POSTGRES_DB",
  "POSTGRES_USER",
  "POSTGRES_PASSWORD",
  "KAFKA_BOOTSTRAP_SERVERS",
  "KAFKA_TOPICS",
  "REDIS_HOST",
  "REDIS_PORT",
  "REDIS_PASSWORD",
  "REDIS_SENTINEL_MASTER",
  "REDIS_SENTINEL_PASSWORD",
  "MQTT_HOST",
  "MQTT_PORT",
  "MQTT_USERNAME",
  "MQTT_PASSWORD",
] as const;

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Kafka's own rule for topic names. */
const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
/** Registry host[:port] and path components, as in the distribution spec (lowercase). */
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PATH_PREFIX = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;
/** Secret-looking names that policy/secret-keys.ts does not catch as suffixes. */
const SECRET_WORDS = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|CREDENTIAL)/i;

/**
 * An image reference split into repository, tag and digest, or a problem. `latest` and untagged
 * references are refused: the same config must deploy the same code on every run.
 */
export function checkImage(image: string): string | undefined {
  const [name, digest, extra] = image.split("@");
  if (extra !== undefined) return `"${image}" has more than one digest`;
  if (digest !== undefined && !DIGEST.test(digest)) return `"${image}": the digest must be sha256:<64 hex digits>`;
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const hasTag = colon > slash;
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : undefined;
  if (!REPOSITORY.test(repository)) return `"${image}" is not an image reference (lowercase registry/path, then :tag or @sha256:...)`;
  if (tag !== undefined && !TAG.test(tag)) return `"${image}": "${tag}" is not a valid tag`;
  if (tag === "latest") return `"${image}" uses the tag latest, which moves: pin a version tag or a digest`;
  if (tag === undefined && digest === undefined) return `"${image}" has no tag (Kubernetes would pull latest): pin a version tag or a digest`;
  return undefined;
}

/** A name with no `/` lives under `appsRegistry`; anything else is a full reference. */
export function resolveImage(image: string, registry: string | undefined): string | undefined {
  if (image.includes("/")) return image;
  return registry ? `${registry.replace(/\/+$/, "")}/${image}` : undefined;
}

function quantityProblem(key: string, kind: "cpu" | "memory", value: string): string | undefined {
  try {
    if (kind === "cpu") cpuMilli(value);
    else memoryMiB(value);
    return undefined;
  } catch {
    return `${key}: "${value}" is not a ${kind === "cpu" ? "CPU quantity (250m, 1)" : "memory quantity (256Mi, 1Gi)"}`;
  }
}

function parseResources(c: Collector, key: string, raw: unknown): Resources {
  const out: Resources = { requests: { cpu: "", memory: "" }, limits: { cpu: "", memory: "" } };
  if (!isObj(raw)) {
    c.fail(key, raw === undefined ? "is required: { requests: { cpu, memory }, limits: { cpu, memory } }" : "must be an object");
    return out;
  }
  for (const which of ["requests", "limits"] as const) {
    const block = raw[which];
    if (!isObj(block)) {
      c.fail(`${key}.${which}`, block === undefined ? "is required: { cpu, memory }" : "must be an object");
      continue;
    }
    for (const kind of ["cpu", "memory"] as const) {
      const k = `${key}.${which}.${kind}`;
      const v = block[kind];
      const text = typeof v === "number" && kind === "cpu" ? String(v) : c.string(k, v);
      const problem = text ? quantityProblem(k, kind, text) : undefined;
      if (problem) c.problems.push(problem);
      out[which][kind] = text;
    }
  }
  const valid = (q: string, kind: "cpu" | "memory") => q !== "" && quantityProblem("", kind, q) === undefined;
  if (valid(out.requests.cpu, "cpu") && valid(out.limits.cpu, "cpu") && cpuMilli(out.requests.cpu) > cpuMilli(out.limits.cpu)) {
    c.fail(`${key}.requests.cpu`, `${out.requests.cpu} is above the limit ${out.limits.cpu}`);
  }
  if (valid(out.requests.memory, "memory") && valid(out.limits.memory, "memory") && memoryMiB(out.requests.memory) > memoryMiB(out.limits.memory)) {
    c.fail(`${key}.requests.memory`, `${out.requests.memory} is above the limit ${out.limits.memory}`);
  }
  return out;
}

function parseEnv(c: Collector, key: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObj(raw)) {
    c.fail(key, "must be a map of NAME: value");
    return {};
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const k = `${key}.${name}`;
    if (!ENV_NAME.test(name)) c.fail(k, "is not an environment variable name (letters, digits, underscores)");
    else if ((RESERVED_ENV as readonly string[]).includes(name)) c.fail(k, "is set by the apps stage from the platform's services (`uses`); remove it");
    else if (looksSecretKey(name) || SECRET_WORDS.test(name)) {
      c.fail(k, "looks like a secret: `env` holds plain values only (credentials of the platform's services come from Secrets through `uses`)");
    }
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") env[name] = String(value);
    else c.fail(k, "must be a string, number or boolean");
  }
  return env;
}

function parseUses(c: Collector, key: string, raw: unknown, topology: AppsTarget): AppUses {
  const uses: AppUses = { kafkaTopics: [], mqtt: false, redis: false, postgres: false };
  if (raw === undefined) return uses;
  if (!isObj(raw)) {
    c.fail(key, "must be an object: { kafkaTopics?, mqtt?, redis?, postgres? }");
    return uses;
  }
  for (const extra of Object.keys(raw).filter((k) => !["kafkaTopics", "mqtt", "redis", "postgres"].includes(k))) {
    c.fail(`${key}.${extra}`, "unknown platform service; expected kafkaTopics, mqtt, redis or postgres");
  }
  uses.kafkaTopics = c.stringList(`${key}.kafkaTopics`, raw.kafkaTopics, []);
  uses.kafkaTopics.forEach((t, i) => {
    if (!KAFKA_TOPIC.test(t)) c.fail(`${key}.kafkaTopics[${i}]`, `"${t}" is not a Kafka topic name (letters, digits, . _ -)`);
    if (t.startsWith("__")) c.fail(`${key}.kafkaTopics[${i}]`, `"${t}": names starting with __ are Kafka's internal topics`);
  });
  if (new Set(uses.kafkaTopics).size !== uses.kafkaTopics.length) c.fail(`${key}.kafkaTopics`, "lists a topic twice");
  uses.mqtt = c.boolean(`${key}.mqtt`, raw.mqtt, false);
  uses.redis = c.boolean(`${key}.redis`, raw.redis, false);
  uses.postgres = c.boolean(`${key}.postgres`, raw.postgres, false);
  if (uses.postgres && !topology.vms.some((vm) => vm.role === "postgresql")) c.fail(`${key}.postgres`, "the topology has no postgresql VM" + (topology.vms.length === 0 ? " (a stack with kubeconfig has no VMs: PostgreSQL is the VM topology's database VM)" : ""));
  return uses;
}

function parseIngress(c: Collector, key: string, raw: unknown, domain: string): AppIngress | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) {
    c.fail(key, "must be an object: { host, paths? } (leave it out for an internal-only app)");
    return undefined;
  }
  const name = c.string(`${key}.host`, raw.host).toLowerCase();
  // A bare label lives under the stack's domain; FreeIPA resolves and certifies only names there.
  const host = name && !name.includes(".") ? `${name}.${domain}` : name;
  if (host && !host.endsWith(`.${domain}`)) c.fail(`${key}.host`, `"${host}" is not under the stack's domain ${domain} (FreeIPA resolves and certifies only names there)`);
  else if (host && !host.slice(0, -domain.length - 1).split(".").every((l) => HOST_LABEL.test(l))) {
    c.fail(`${key}.host`, `"${host}" is not a valid host name`);
  }
  // The opt-ins' hosts are reserved whether or not their opt-in is on: turning one on later must not take an app's route.
  const reserved = platformHosts(domain);
  if (reserved.includes(host)) c.fail(`${key}.host`, `"${host}" is one of the platform's own hosts (${reserved.join(", ")})`);
  const paths = c.stringList(`${key}.paths`, raw.paths, ["/"]);
  if (paths.length === 0) c.fail(`${key}.paths`, "must list at least one path prefix (e.g. /)");
  paths.forEach((p, i) => {
    if (!PATH_PREFIX.test(p)) c.fail(`${key}.paths[${i}]`, `"${p}" is not a path prefix starting with /`);
  });
  if (new Set(paths).size !== paths.length) c.fail(`${key}.paths`, "lists a path twice");
  return { host, paths };
}

function parseApp(c: Collector, key: string, item: Record<string, unknown>, registry: string | undefined, topology: AppsTarget, deploysApps: boolean): AppSpec {
  const known = ["name", "image", "port", "healthPath", "replicas", "targetCpuPercent", "resources", "env", "uses", "ingress", "serviceAccountToken", "runAsUser", "writablePaths", "backupVolumes"];
  for (const extra of Object.keys(item).filter((k) => !known.includes(k))) c.fail(`${key}.${extra}`, `unknown key; expected one of ${known.join(", ")}`);
  const name = c.string(`${key}.name`, item.name);
  if (name && !HOST_LABEL.test(name)) c.fail(`${key}.name`, `"${name}" is not an RFC 1123 label (lowercase letters, digits, inner hyphens; at most 63)`);

  const rawImage = c.string(`${key}.image`, item.image);
  let image = rawImage;
  if (rawImage) {
    const resolved = resolveImage(rawImage, registry);
    // Until the apps stage deploys (`deployUpTo` below apps), the images need not be in a registry yet.
    if (!resolved && deploysApps) {
      c.fail(`${key}.image`, `"${rawImage}" names no registry: set appsRegistry, or write the full reference (registry/path/name:tag), or deploy up to the platform meanwhile (deployUpTo: platform)`);
    } else {
      image = resolved ?? rawImage;
      const problem = checkImage(image);
      if (problem) c.fail(`${key}.image`, problem);
    }
  }

  const port = c.positiveInt(`${key}.port`, item.port);
  if (port > 65535) c.fail(`${key}.port`, `${port} is not a TCP port`);
  else if (port > 0 && port < 1024) c.fail(`${key}.port`, `${port} is a privileged port, which a non-root container without capabilities cannot bind: use 1024 or above`);
  const healthPath = c.string(`${key}.healthPath`, item.healthPath, APP_DEFAULTS.healthPath);
  if (healthPath && !PATH_PREFIX.test(healthPath)) c.fail(`${key}.healthPath`, `"${healthPath}" is not a path starting with /`);

  let min = 0;
  let max = 0;
  if (!isObj(item.replicas)) c.fail(`${key}.replicas`, item.replicas === undefined ? "is required: { min, max }" : "must be an object: { min, max }");
  else {
    min = c.positiveInt(`${key}.replicas.min`, item.replicas.min);
    max = c.positiveInt(`${key}.replicas.max`, item.replicas.max);
    if (min > 0 && max > 0 && max < min) c.fail(`${key}.replicas.max`, `${max} is below replicas.min ${min}`);
  }
  const targetCpuPercent = c.positiveInt(`${key}.targetCpuPercent`, item.targetCpuPercent, APP_DEFAULTS.targetCpuPercent);
  if (targetCpuPercent > 100) c.fail(`${key}.targetCpuPercent`, `${targetCpuPercent} is above 100 (percent of the CPU request)`);

  const resources = parseResources(c, `${key}.resources`, item.resources);
  const env = parseEnv(c, `${key}.env`, item.env);
  const uses = parseUses(c, `${key}.uses`, item.uses, topology);
  const ingress = parseIngress(c, `${key}.ingress`, item.ingress, topology.domain);
  const serviceAccountToken = c.boolean(`${key}.serviceAccountToken`, item.serviceAccountToken, false);
  const runAsUser = c.positiveInt(`${key}.runAsUser`, item.runAsUser, APP_DEFAULTS.runAsUser);
  const writablePaths = c.stringList(`${key}.writablePaths`, item.writablePaths, [...APP_DEFAULTS.writablePaths]);
  writablePaths.forEach((p, i) => {
    if (!p.startsWith("/") || p === "/" || p.split("/").includes("..")) c.fail(`${key}.writablePaths[${i}]`, `"${p}" must be an absolute directory other than /`);
  });
  const backupVolumes = c.boolean(`${key}.backupVolumes`, item.backupVolumes, false);
  return { name, image, port, healthPath, replicas: { min, max }, targetCpuPercent, resources, env, uses, ingress, serviceAccountToken, runAsUser, writablePaths, backupVolumes };
}

/** What the apps' settings are checked against: the domain of their hosts and the VMs (for PostgreSQL); no VMs on an existing cluster. */
export type AppsTarget = Pick<Topology, "domain" | "vms">;

/** `deploysApps` false: this run deploys no app (`deployUpTo` below apps), so images need no registry yet. */
export function parseApps(raw: RawAppsConfig, topology: AppsTarget, deploysApps = true): AppsSettings {
  const c = new Collector();
  let registry: string | undefined;
  if (raw.appsRegistry !== undefined) {
    registry = c.string("appsRegistry", raw.appsRegistry).replace(/\/+$/, "");
    if (registry && !REPOSITORY.test(registry)) c.fail("appsRegistry", `"${registry}" is not a registry host[:port][/path] (lowercase)`);
  }
  const apps: AppSpec[] = [];
  if (raw.apps !== undefined) {
    if (!Array.isArray(raw.apps)) c.fail("apps", "must be a list of apps");
    else {
      raw.apps.forEach((item, i) => {
        if (!isObj(item)) return c.fail(`apps[${i}]`, "must be an object");
        apps.push(parseApp(c, `apps[${i}]`, item, registry, topology, deploysApps));
      });
    }
  }
  apps.forEach((a, i) => {
    const first = apps.findIndex((b) => b.name === a.name);
    if (a.name && first !== i) c.fail(`apps[${i}].name`, `"${a.name}" is also apps[${first}].name`);
  });
  // One owner per host and path: Traefik would otherwise pick one of two identical routes at random.
  const routes = new Map<string, string>();
  apps.forEach((a, i) => {
    a.ingress?.paths.forEach((p, j) => {
      const route = `${a.ingress?.host}${p}`;
      const owner = routes.get(route);
      if (owner) c.fail(`apps[${i}].ingress.paths[${j}]`, `${route} is already routed to ${owner}`);
      else routes.set(route, `apps[${i}] (${a.name})`);
    });
  });
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return { registry, apps };
}

/** Reads `apps` and `appsRegistry` from the stack config and validates them; throws a ConfigError naming each bad key. */
export function loadAppsSettings(topology: AppsTarget, deploysApps = true): AppsSettings {
  return parseApps(readRawConfig(APPS_CONFIG_KEYS), topology, deploysApps);
}
