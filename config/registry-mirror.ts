/**
 * `registryMirror`: a registry outside the cluster that the K3s nodes pull the public registries
 * through (cluster/registries.ts), for the air gap: with `airGap` (the default) no node ever pulls
 * from the internet, so the mirror must hold every image the cluster runs (K3s's own, the platform's,
 * the apps'). Its password is the secret key `registryMirrorPassword`. Pure; each problem names its key.
 *
 * With the registry opt-in the nodes may instead pull through the in-cluster zot (`registry.mirrors`),
 * but never both, and never without the public registries as fallback: zot cannot serve its own image,
 * nor the platform's before it runs (`nodeMirrorConflicts`).
 */
import { readFileSync } from "fs";
import { isAbsolute } from "path";
import { PUBLIC_REGISTRIES, RegistrySettings } from "./opt-ins/registry";
import { pemCertificates } from "./platform";
import { Collector } from "./validate";

export const REGISTRY_MIRROR_PASSWORD_KEY = "registryMirrorPassword";

export interface RegistryMirrorSettings {
  /** `https://host[:port][/path]`. */
  endpoint: string;
  /** The registries the nodes pull through it; default the four public ones. */
  registries: string[];
  /** The mirror keeps each registry's repositories under the registry's name (`docker.io/library/nginx`). */
  prefixRepositories: boolean;
  /** The CA bundle the mirror's certificate chains to (read here, written to every node). */
  caPem?: string;
  username?: string;
  /** No fallback to the public registries (K3s `disable-default-registry-endpoint`). */
  airGap: boolean;
}

const FIELDS = ["endpoint", "registries", "prefixRepositories", "caFile", "username", "airGap"] as const;
/** A registry as containerd names it: host[:port], lowercase. */
const REGISTRY_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$/;

export function parseRegistryMirror(
  c: Collector,
  value: unknown,
  passwordSet: boolean,
  read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): RegistryMirrorSettings | undefined {
  if (value === undefined) {
    if (passwordSet) c.fail(REGISTRY_MIRROR_PASSWORD_KEY, "is the password of registryMirror, which is not set");
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    c.fail("registryMirror", `must be an object such as { endpoint: "https://mirror.lan:5000" } (got ${JSON.stringify(value)})`);
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(FIELDS as readonly string[]).includes(key)) c.fail(`registryMirror.${key}`, `is not a registry mirror setting (${FIELDS.join(", ")})`);
  }
  const endpoint = c.string("registryMirror.endpoint", raw.endpoint).replace(/\/+$/, "");
  if (endpoint) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
      c.fail("registryMirror.endpoint", `must be the https URL of the mirror (https://host[:port][/path]), without query or credentials (got ${JSON.stringify(endpoint)}); containerd's plain-http mirrors are not offered`);
    }
  }
  const registries = c.stringList("registryMirror.registries", raw.registries, Object.keys(PUBLIC_REGISTRIES));
  if (registries.length === 0) c.fail("registryMirror.registries", "lists no registry: leave registryMirror out instead");
  registries.forEach((r, i) => {
    if (!REGISTRY_NAME.test(r)) c.fail(`registryMirror.registries[${i}]`, `"${r}" is not a registry name (host[:port], lowercase)`);
    else if (registries.indexOf(r) !== i) c.fail(`registryMirror.registries[${i}]`, `"${r}" is listed twice`);
  });
  const prefixRepositories = c.boolean("registryMirror.prefixRepositories", raw.prefixRepositories, false);
  const airGap = c.boolean("registryMirror.airGap", raw.airGap, true);
  const username = raw.username === undefined ? undefined : c.string("registryMirror.username", raw.username);
  if (username && !passwordSet) c.fail(REGISTRY_MIRROR_PASSWORD_KEY, `is required with registryMirror.username: pulumi config set --secret ${REGISTRY_MIRROR_PASSWORD_KEY} <password>`);
  if (!username && passwordSet) c.fail("registryMirror.username", `is required with ${REGISTRY_MIRROR_PASSWORD_KEY}`);
  let caPem: string | undefined;
  if (raw.caFile !== undefined) {
    const path = c.string("registryMirror.caFile", raw.caFile);
    if (path && !isAbsolute(path)) c.fail("registryMirror.caFile", `"${path}" is not an absolute path on the machine running Pulumi`);
    else if (path) {
      try {
        const text = read(path);
        const { blocks, valid } = pemCertificates(text);
        if (valid.length === 0 || valid.length !== blocks.length) c.fail("registryMirror.caFile", `${path} holds no PEM certificate it can parse (expected the CA bundle the mirror's certificate chains to)`);
        else caPem = valid.join("\n");
      } catch (e) {
        c.fail("registryMirror.caFile", `cannot read ${path} on this machine: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
  }
  return { endpoint, registries, prefixRepositories, caPem, username, airGap };
}

/**
 * The registry opt-in's node mirror and `registryMirror` together are refused: both would take the
 * nodes' public pulls, and with `airGap` the nodes would wait on a zot that cannot start without them.
 * On an existing cluster the nodes are not this program's: `registry.mirrors` only fills zot's cache.
 */
export function nodeMirrorConflicts(registry: RegistrySettings | undefined, mirror: RegistryMirrorSettings | undefined): string[] {
  if (!registry || registry.mirrors.length === 0 || !mirror) return [];
  return [
    `registryMirror: and registry.mirrors both send the nodes' public pulls to a mirror. ` +
      (mirror.airGap
        ? "With registryMirror.airGap no node may pull from the internet, and the in-cluster registry cannot serve its own image or the platform's before it runs: "
        : "A node takes one mirror per registry: ") +
      "set registry.mirrors: [] (zot keeps your own images, the nodes pull the public ones through registryMirror), or remove registryMirror",
  ];
}
