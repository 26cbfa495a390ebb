/**
 * Opt-in `builds` (issue 20 item 4): Tekton Pipelines, installed by the Tekton operator, and a
 * Pipeline that builds the reference app's three images from the user's git repository with
 * rootless BuildKit and pushes them to the registry (docs/builds.md). Absent: off, nothing installed.
 *
 *   builds:
 *     gitUrl: https://git.example.com/me/flatcarmicrocloud.git   # the repository holding reference-app/
 *     revision: main          # branch, tag or commit (default main)
 *     path: reference-app     # the reference app's folder in it (default reference-app)
 *     tag: "0.1.1"            # the images' tag: pinned, never latest
 *     pushUser: builder       # the registry user the pushes authenticate as
 *     keepRuns: 5             # finished PipelineRuns the pruner keeps (default 5)
 *
 * Where the images go: `appsRegistry` (registry and path, e.g. registry.example.com/fmc), with
 * `builds.pushUser` and the secret key `buildsPushPassword` (`pulumi config set --secret`). A stack
 * with `builds` but nowhere to push is refused before anything is created, naming those keys.
 * When `appsRegistry` names the in-cluster registry (`registry.<domain>[:port]/<path>`, the registry
 * opt-in), the builds push as its `push` user with its own generated password: `builds.pushUser`
 * may be left out (another user is refused) and `buildsPushPassword` is refused as redundant.
 * `parseBuilds` is pure; every problem names its key (`builds.<field>`).
 */
import type { Output } from "@pulumi/pulumi";
import { Collector, isObj } from "../validate";
import { REGISTRY_USER_NAMES } from "./registry";

export const BUILDS_KEY = "builds";
export const BUILDS_PUSH_PASSWORD_KEY = "buildsPushPassword";

export const BUILDS_DEFAULTS = { revision: "main", path: "reference-app", keepRuns: 5 } as const;

export interface BuildsSettings {
  /** The git repository (http(s), no credentials: a public repository or one the cluster may read). */
  gitUrl: string;
  /** Branch, tag or full commit the builds check out. */
  revision: string;
  /** The reference app's folder inside the repository, without leading or trailing slash. */
  path: string;
  /** Registry and path the images are pushed under (`appsRegistry`): `<registry>/reference-api:<tag>`. */
  registry: string;
  /** The registry host (and port) the push credentials are for. */
  registryHost: string;
  /** The port the pushes go to (from the registry host, else 443). */
  registryPort: number;
  /** The git server's port (from the URL, else the scheme's). */
  gitPort: number;
  tag: string;
  pushUser: string;
  /**
   * `appsRegistry` names the in-cluster registry (registry opt-in): the push credentials are its
   * `push` user's and the builder trusts the route's CA (platform/builds/registry.ts).
   */
  inClusterRegistry: boolean;
  /** Finished PipelineRuns the operator's pruner keeps in the builds namespace. */
  keepRuns: number;
  /** `buildsPushPassword` as a secret Output; set by the loader (config/platform.ts), never by the pure parser. */
  pushPassword?: Output<string>;
}

/** What `builds` is checked against: the stack's `appsRegistry` and whether `buildsPushPassword` is set encrypted. */
export interface BuildsContext {
  appsRegistry?: string;
  pushPassword?: { set: boolean; secret: boolean };
  /** The in-cluster registry's host name (`registry.<domain>`): an `appsRegistry` on it pushes with the registry opt-in's credentials. */
  inClusterRegistryHost?: string;
}

/** The in-cluster registry's user with write access (config/opt-ins/registry.ts REGISTRY_USER_NAMES.push). */
export const IN_CLUSTER_PUSH_USER = REGISTRY_USER_NAMES.push;

const FIELDS = ["gitUrl", "revision", "path", "tag", "pushUser", "keepRuns"] as const;
/** A git ref or commit: no spaces, no `..`, none of git's forbidden characters (git check-ref-format). */
const REVISION = /^(?!.*\.\.)(?!\/)(?!.*\/$)[^\s~^:?*[\\]+$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
/** A registry user (Docker's config.json joins `user:password`, so no colon). */
const USER = /^[^\s:]+$/;

/** `builds`, or undefined when the key is absent (off). */
export function parseBuilds(c: Collector, value: unknown, ctx: BuildsContext): BuildsSettings | undefined {
  if (value === undefined) return undefined;
  if (!isObj(value)) {
    c.fail(BUILDS_KEY, `must be an object like { gitUrl: https://..., tag: "0.1.1", pushUser: builder } (got ${JSON.stringify(value)})`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!(FIELDS as readonly string[]).includes(key)) c.fail(`${BUILDS_KEY}.${key}`, `is not a setting of builds (${FIELDS.join(", ")})`);
  }
  const gitText = c.string(`${BUILDS_KEY}.gitUrl`, value.gitUrl);
  let gitPort = 0;
  if (gitText) {
    const url = safeUrl(gitText);
    if (!url || !["https:", "http:"].includes(url.protocol) || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
      c.fail(`${BUILDS_KEY}.gitUrl`, `must be the http(s) URL of a git repository without credentials, query or fragment (got ${JSON.stringify(gitText)})`);
    } else {
      gitPort = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    }
  }
  const revision = c.string(`${BUILDS_KEY}.revision`, value.revision, BUILDS_DEFAULTS.revision);
  if (revision && !REVISION.test(revision)) c.fail(`${BUILDS_KEY}.revision`, `"${revision}" is not a branch, tag or commit`);
  const path = c.string(`${BUILDS_KEY}.path`, value.path, BUILDS_DEFAULTS.path).replace(/^\/+|\/+$/g, "");
  if (!PATH.test(path) || path.split("/").includes("..")) c.fail(`${BUILDS_KEY}.path`, `"${path}" is not a folder inside the repository (e.g. reference-app)`);
  const tag = c.string(`${BUILDS_KEY}.tag`, value.tag);
  if (tag === "latest") c.fail(`${BUILDS_KEY}.tag`, "must be a pinned version, not latest (the apps stage refuses latest, as reference-app/build-push.sh does)");
  else if (tag && !TAG.test(tag)) c.fail(`${BUILDS_KEY}.tag`, `"${tag}" is not an image tag`);
  const keepRuns = c.positiveInt(`${BUILDS_KEY}.keepRuns`, value.keepRuns, BUILDS_DEFAULTS.keepRuns);

  // Somewhere to push: the registry, a user and the user's password (secret).
  const registry = ctx.appsRegistry?.replace(/\/+$/, "");
  if (!registry) {
    c.fail(
      BUILDS_KEY,
      `needs somewhere to push the images: set appsRegistry (registry and path, e.g. registry.example.com/fmc), ` +
        `builds.pushUser and the secret ${BUILDS_PUSH_PASSWORD_KEY} (pulumi config set --secret ${BUILDS_PUSH_PASSWORD_KEY} <value>)`,
    );
  }
  const registryHost = registry ? registry.split("/")[0] : "";
  const inClusterRegistry = registryHost !== "" && registryHost.replace(/:\d+$/, "") === ctx.inClusterRegistryHost;
  let pushUser = "";
  if (inClusterRegistry) {
    // The registry opt-in's own user and password (its push Secret): nothing for the user to set.
    pushUser = value.pushUser === undefined ? IN_CLUSTER_PUSH_USER : c.string(`${BUILDS_KEY}.pushUser`, value.pushUser);
    if (pushUser && pushUser !== IN_CLUSTER_PUSH_USER) {
      c.fail(`${BUILDS_KEY}.pushUser`, `"${pushUser}" is not a user of the in-cluster registry ${registryHost} (appsRegistry): leave builds.pushUser out, the builds push as "${IN_CLUSTER_PUSH_USER}"`);
    }
    if (ctx.pushPassword?.set) {
      c.fail(
        BUILDS_PUSH_PASSWORD_KEY,
        `is not used when appsRegistry is the in-cluster registry ${registryHost}: the builds push with the registry opt-in's own password (output passwords.registryPush); ` +
          `remove it (pulumi config rm ${BUILDS_PUSH_PASSWORD_KEY})`,
      );
    }
  } else {
    pushUser = value.pushUser === undefined ? "" : c.string(`${BUILDS_KEY}.pushUser`, value.pushUser);
    if (value.pushUser === undefined) c.fail(`${BUILDS_KEY}.pushUser`, `is required: the user the pushes to ${registry ?? "appsRegistry"} authenticate as`);
    else if (pushUser && !USER.test(pushUser)) c.fail(`${BUILDS_KEY}.pushUser`, `"${pushUser}" is not a registry user name (no spaces or colons)`);
    if (!ctx.pushPassword?.set) {
      c.fail(BUILDS_PUSH_PASSWORD_KEY, `is required with builds: the password of builds.pushUser; set it with \`pulumi config set --secret ${BUILDS_PUSH_PASSWORD_KEY} <value>\``);
    } else if (!ctx.pushPassword.secret) {
      c.fail(BUILDS_PUSH_PASSWORD_KEY, `is stored in plain text: store it encrypted with \`pulumi config set --secret ${BUILDS_PUSH_PASSWORD_KEY} <value>\``);
    }
  }
  const portText = /:(\d+)$/.exec(registryHost)?.[1];

  if (!registry || !gitPort) return undefined;
  return { gitUrl: gitText, revision, path, registry, registryHost, registryPort: portText ? Number(portText) : 443, gitPort, tag, pushUser, inClusterRegistry, keepRuns };
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * A valid `builds` value (the opt-ins' `example`, used by the lab and the tests). With it the stack
 * also needs `appsRegistry` and the secret `buildsPushPassword`. Nothing reaches the repository or
 * the registry until someone starts a PipelineRun.
 */
export const BUILDS_EXAMPLE = {
  gitUrl: "https://git.example.com/fmc/flatcarmicrocloud.git",
  revision: "main",
  path: "reference-app",
  tag: "0.1.1",
  pushUser: "builder",
} as const;
