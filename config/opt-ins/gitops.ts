/**
 * The `gitops` opt-in (issue 20 item 2): Argo CD syncs the user's apps from a git repository. One
 * stack config key holding an object; absent = off. The repository's credential is a secret key of
 * its own (`gitopsRepoCredential`: an SSH private key for an ssh URL, an access token for https),
 * never part of the object, so `pulumi config` shows the object in clear and the credential encrypted.
 *
 * Who owns what (docs/gitops.md): Pulumi owns the platform, Argo CD's install, the AppProject, the
 * Application objects and the synced apps' namespace with its guard rails; Argo CD owns what it
 * syncs into that namespace, and nothing else (the AppProject allows only that destination and no
 * cluster-scoped kind). The apps stage (`apps`) deploys only into its own namespace, so the two
 * never manage the same object; an Application named like an app of `apps` is refused
 * (gitopsAppsConflicts), so one app is never delivered twice.
 *
 * Pure: raw values in, settings out; every problem names its key.
 */
import { Collector, HOST_LABEL } from "../validate";

export const GITOPS_KEY = "gitops";
/** The secret key holding the repository credential. */
export const GITOPS_CREDENTIAL_KEY = "gitopsRepoCredential";
export const GITOPS_DEFAULTS = { revision: "HEAD", path: ".", namespace: "gitops", username: "git" } as const;

/**
 * Namespaces the synced apps may not live in: Kubernetes' own, the apps stage's (`apps`,
 * apps/render.ts APPS_NAMESPACE) and every platform namespace (platform/namespaces.ts, Argo CD's own
 * included). config/ imports no stage, so the names are listed here; tests/gitops-config.test.ts holds
 * the list to those modules.
 */
export const RESERVED_NAMESPACES: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "apps",
  "traefik",
  "rook-ceph",
  "kafka",
  "redis",
  "mosquitto",
  "cert-manager",
  "kured",
  "monitoring",
  "velero",
  "tekton-operator",
  "tekton-pipelines",
  "builds",
  "registry",
  "elastic-system",
  "logging",
  "argocd",
  "vpa",
];

/**
 * Host keys of the SSH known_hosts the chart ships (values.yaml `configs.ssh.knownHosts`): an ssh
 * repository elsewhere needs `gitops.sshKnownHosts`, or Argo CD refuses the host key.
 */
export const CHART_KNOWN_SSH_HOSTS: readonly string[] = ["[ssh.github.com]:443", "bitbucket.org", "github.com", "gitlab.com", "ssh.dev.azure.com", "vs-ssh.visualstudio.com"];

export interface GitopsApplication {
  /** The Application's name (an RFC 1123 label). */
  name: string;
  /** Folder in the repository (plain manifests, Kustomize or a Helm chart: Argo CD detects which). */
  path: string;
}

export interface GitopsRepository {
  url: string;
  /** `ssh` (SSH private key) or `https` (token, or none for a public repository). */
  scheme: "ssh" | "https";
  host: string;
  /** Port Argo CD's repo server connects to (egress NetworkPolicy). */
  port: number;
  /** Branch, tag or commit every Application follows. */
  revision: string;
}

export interface GitopsSettings {
  repository: GitopsRepository;
  /** The one namespace every synced app lives in (Pulumi creates it; the AppProject allows only it). */
  namespace: string;
  applications: GitopsApplication[];
  /** How the repository authenticates: the secret key's kind, or none (a public https repository). */
  credential?: { kind: "sshPrivateKey" } | { kind: "httpsToken"; username: string };
  /** known_hosts lines added to the chart's (an ssh host the chart does not know). */
  sshKnownHosts: string[];
}

/** The credential as the stack holds it: whether it is set, stored encrypted, and its value (checked, never printed). */
export interface RawCredential {
  value: string;
  secret: boolean;
}

const SCP_LIKE = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;
const SSH_KEY = /^-----BEGIN (OPENSSH|RSA|EC|DSA)? ?PRIVATE KEY-----\n[\s\S]+\n-----END (OPENSSH|RSA|EC|DSA)? ?PRIVATE KEY-----\n?$/;
const TOKEN = /^[\x21-\x7e]+$/;

/** An ssh:// or https:// URL, or scp-like `user@host:path`; the scheme, host and port; a message when it is none. */
export function parseRepoUrl(url: string): { scheme: "ssh" | "https"; host: string; port: number } | string {
  const scp = SCP_LIKE.exec(url);
  if (scp) return { scheme: "ssh", host: scp[2].toLowerCase(), port: 22 };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a git URL (https://host/path, ssh://git@host/path or git@host:path)`;
  }
  if (u.protocol !== "https:" && u.protocol !== "ssh:") return `"${url}" uses ${u.protocol}; Argo CD takes https:// or ssh:// (plain http and git:// send the code unauthenticated)`;
  if (u.password !== "" || (u.protocol === "https:" && u.username !== "")) return `"${url}" carries credentials; put them in the secret key ${GITOPS_CREDENTIAL_KEY}`;
  if (u.search !== "" || u.hash !== "" || u.pathname === "/" || u.pathname === "") return `"${url}" names no repository path (or has a query or fragment)`;
  const scheme = u.protocol === "ssh:" ? "ssh" : "https";
  return { scheme, host: u.hostname.toLowerCase(), port: u.port ? Number(u.port) : scheme === "ssh" ? 22 : 443 };
}

function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The `gitops` object and the credential; undefined when the key is absent (off). */
export function parseGitops(c: Collector, raw: unknown, credential: RawCredential | undefined): GitopsSettings | undefined {
  const k = GITOPS_KEY;
  if (raw === undefined) {
    if (credential) c.fail(GITOPS_CREDENTIAL_KEY, `is the credential of the ${k} repository and needs ${k}; remove it (pulumi config rm ${GITOPS_CREDENTIAL_KEY})`);
    return undefined;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    c.fail(k, `must be an object like { repoURL: "https://git.example.com/me/deploy.git", applications: [{ name: "shop", path: "shop" }] } (got ${JSON.stringify(raw)})`);
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  const known = ["repoURL", "revision", "namespace", "applications", "username", "sshKnownHosts"];
  for (const key of Object.keys(o)) if (!known.includes(key)) c.fail(`${k}.${key}`, `is not a key of ${k} (${known.join(", ")})`);

  const url = c.string(`${k}.repoURL`, o.repoURL);
  const parsed = url ? parseRepoUrl(url) : undefined;
  if (typeof parsed === "string") c.fail(`${k}.repoURL`, parsed);
  const revision = c.string(`${k}.revision`, o.revision, GITOPS_DEFAULTS.revision);
  if (revision && !/^[A-Za-z0-9._/-]+$/.test(revision)) c.fail(`${k}.revision`, `"${revision}" is not a branch, tag or commit`);

  const namespace = c.string(`${k}.namespace`, o.namespace, GITOPS_DEFAULTS.namespace);
  if (namespace && !HOST_LABEL.test(namespace)) c.fail(`${k}.namespace`, `"${namespace}" is not an RFC 1123 label`);
  else if (RESERVED_NAMESPACES.includes(namespace)) {
    c.fail(`${k}.namespace`, `"${namespace}" belongs to ${namespace === "apps" ? "the apps stage (apps)" : "Kubernetes or the platform"}; the synced apps need a namespace of their own (default ${GITOPS_DEFAULTS.namespace})`);
  }

  const applications: GitopsApplication[] = [];
  const list = o.applications === undefined ? [{ name: "apps", path: GITOPS_DEFAULTS.path }] : c.list(`${k}.applications`, o.applications);
  list.forEach((entry, i) => {
    const key = `${k}.applications[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      c.fail(key, "must be an object { name, path }");
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const extra of Object.keys(e)) if (extra !== "name" && extra !== "path") c.fail(`${key}.${extra}`, "is not a key of an application (name, path)");
    const name = c.string(`${key}.name`, e.name);
    if (name && !HOST_LABEL.test(name)) c.fail(`${key}.name`, `"${name}" is not an RFC 1123 label (lowercase letters, digits, inner hyphens; at most 63)`);
    if (name && applications.some((a) => a.name === name)) c.fail(`${key}.name`, `"${name}" is listed twice`);
    const path = c.string(`${key}.path`, e.path, GITOPS_DEFAULTS.path);
    if (path && (path.startsWith("/") || path.split("/").includes(".."))) c.fail(`${key}.path`, `"${path}" must be a folder inside the repository (relative, no ..)`);
    applications.push({ name, path });
  });

  const sshKnownHosts = c.stringList(`${k}.sshKnownHosts`, o.sshKnownHosts, []);
  const username = c.string(`${k}.username`, o.username, GITOPS_DEFAULTS.username);
  if (typeof parsed !== "object" || parsed === undefined) return undefined;

  let cred: GitopsSettings["credential"];
  const cKey = GITOPS_CREDENTIAL_KEY;
  if (credential && !credential.secret) {
    c.fail(cKey, `is stored in plain text in the stack config; remove it (\`pulumi config rm ${cKey}\`) and set it encrypted with \`pulumi config set --secret ${cKey} < key-or-token-file\``);
  } else if (parsed.scheme === "ssh") {
    if (!credential) c.fail(cKey, `${k}.repoURL is an ssh URL: set the repository's SSH private key (pulumi config set --secret ${cKey} < id_ed25519), or use its https URL`);
    else if (!SSH_KEY.test(credential.value.replace(/\r\n/g, "\n").trim() + "\n")) c.fail(cKey, `${k}.repoURL is an ssh URL, so the key must hold an unencrypted SSH private key in PEM/OpenSSH form (-----BEGIN ... PRIVATE KEY-----)`);
    else cred = { kind: "sshPrivateKey" };
    if (o.username !== undefined) c.fail(`${k}.username`, "is the user of an https token; an ssh URL names its user itself (git@host)");
    const known = new Set([...CHART_KNOWN_SSH_HOSTS, ...sshKnownHosts.map((l) => l.trim().split(/\s+/)[0]).flatMap((h) => h.split(","))]);
    if (!known.has(knownHostName(parsed.host, parsed.port))) {
      c.fail(`${k}.sshKnownHosts`, `Argo CD checks ${knownHostName(parsed.host, parsed.port)}'s SSH host key and the chart knows only ${CHART_KNOWN_SSH_HOSTS.join(", ")}: add its known_hosts lines (ssh-keyscan ${parsed.port === 22 ? "" : `-p ${parsed.port} `}${parsed.host})`);
    }
  } else if (credential) {
    if (!TOKEN.test(credential.value.trim())) c.fail(cKey, `${k}.repoURL is an https URL, so the key must hold an access token: one word of printable characters`);
    else cred = { kind: "httpsToken", username };
  } else if (o.username !== undefined) {
    c.fail(`${k}.username`, `is the user of the token in ${cKey}, which is not set`);
  }
  for (const [i, line] of sshKnownHosts.entries()) {
    if (line.trim().split(/\s+/).length < 3) c.fail(`${k}.sshKnownHosts[${i}]`, `"${line}" is not a known_hosts line (host key-type key)`);
  }
  return { repository: { url, ...parsed, revision }, namespace, applications, credential: cred, sshKnownHosts };
}

/**
 * An app delivered twice: an Application named like an app of the apps stage. Both keys are named;
 * empty when they are apart.
 */
export function gitopsAppsConflicts(gitops: Pick<GitopsSettings, "applications"> | undefined, appNames: readonly string[]): string[] {
  if (!gitops) return [];
  return gitops.applications.flatMap((a, i) => {
    const j = appNames.indexOf(a.name);
    return j < 0
      ? []
      : [`${GITOPS_KEY}.applications[${i}].name: "${a.name}" is also apps[${j}].name: an app is delivered either by the apps stage or by Argo CD, never both (remove one, or rename the Application)`];
  });
}

/**
 * A valid `gitops` value (platform/opt-ins.ts OPT_INS `example`, the lab and the tests): a public
 * https repository, so no credential is needed. The lab's cluster never reaches it (the repo server
 * runs no container there); the Applications are accepted by the apiserver and stay unsynced.
 */
export const GITOPS_EXAMPLE = {
  repoURL: "https://git.example.com/flatcarmicrocloud/deploy.git",
  revision: "main",
  applications: [{ name: "gitops-demo", path: "demo" }],
} as const;
