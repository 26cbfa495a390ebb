/**
 * GitOps with Argo CD (issue 20 item 2; docs/gitops.md): the `gitops` key and its credential
 * validated naming each key before anything is created; who owns what (the AppProject's bounds, the
 * apps stage kept apart); Argo CD's trimmed values, its room in the capacity check, policies,
 * monitors and route; the Platform component's objects under the mock engine; docs/day-two.md rows
 * gitopsOn, gitopsOff, gitopsRepository and gitopsDefaultProject.
 */
import * as pulumi from "@pulumi/pulumi";
import { generateKeyPairSync } from "crypto";
import { readFileSync } from "fs";
import { join } from "path";
import { k3sClusterFacts } from "../cluster/facts";
import { GITOPS_EXAMPLE, gitopsAppsConflicts, parseGitops, parseRepoUrl, RESERVED_NAMESPACES } from "../config/opt-ins/gitops";
import { parsePlatformSettings, PlatformSettings } from "../config/platform";
import { Collector, parseTopology } from "../config/validate";
import { APPS_NAMESPACE } from "../apps/render";
import { capacityReport } from "../platform/capacity";
import { applications, appProjectSpec, deniedNamespaces, IN_CLUSTER, lockedDefaultProjectSpec, repositorySecretData } from "../platform/gitops";
import { NAMESPACES, platformNamespaces } from "../platform/namespaces";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { ARGOCD_SECRET } from "../platform/values/argocd";
import { randomOutputs } from "./helpers/machine-outputs";
import { dayTwo } from "../plan/day-two-model";
import { expectOnlyOwn, platformRun, runChanges, runOf } from "./helpers/platform-runs";
import { problemsOf } from "./helpers/problems";
import { Harness, isSecretAt, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const SSH_KEY = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const KNOWN = "git.internal.example 9.9.9.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const SSH_GITOPS = { repoURL: "ssh://git@git.internal.example:2222/ops/deploy.git", sshKnownHosts: ["[git.internal.example]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"] };

const parse = (raw: unknown, credential?: { value: string; secret: boolean }) => {
  const c = new Collector();
  const g = parseGitops(c, raw, credential);
  return { g, problems: c.problems };
};
const render = (raw: Record<string, unknown> = { gitops: GITOPS_EXAMPLE }) => {
  const plan = planPlatform({ ...facts, settings: parsePlatformSettings(raw, topology) });
  return { plan, rendered: renderPlatform(plan) };
};

describe("the gitops key", () => {
  it("absent: off; the example: a public https repository, revision main, one Application in the namespace gitops", () => {
    expect(parse(undefined)).toEqual({ g: undefined, problems: [] });
    const { g, problems } = parse(GITOPS_EXAMPLE);
    expect(problems).toEqual([]);
    expect(g).toEqual({
      repository: { url: GITOPS_EXAMPLE.repoURL, scheme: "https", host: "git.example.com", port: 443, revision: "main" },
      namespace: "gitops",
      applications: [{ name: "gitops-demo", path: "demo" }],
      credential: undefined,
      sshKnownHosts: [],
    });
    // Defaults: HEAD, the whole repository as one Application `apps`.
    expect(parse({ repoURL: "https://github.com/me/deploy" }).g).toMatchObject({ repository: { revision: "HEAD" }, applications: [{ name: "apps", path: "." }] });
  });

  it("git URLs: https, ssh:// and scp-like, with their port; plain http, git://, embedded credentials refused", () => {
    expect(parseRepoUrl("git@github.com:me/deploy.git")).toEqual({ scheme: "ssh", host: "github.com", port: 22 });
    expect(parseRepoUrl("ssh://git@10.0.0.5:2222/me/deploy.git")).toEqual({ scheme: "ssh", host: "10.0.0.5", port: 2222 });
    expect(parseRepoUrl("https://git.example.com:8443/me/deploy.git")).toEqual({ scheme: "https", host: "git.example.com", port: 8443 });
    expect(parseRepoUrl("http://git.example.com/me/deploy.git")).toMatch(/plain http/);
    expect(parseRepoUrl("git://git.example.com/me/deploy.git")).toMatch(/https:\/\/ or ssh:\/\//);
    expect(parseRepoUrl("https://me:tok@git.example.com/me/deploy.git")).toMatch(/gitopsRepoCredential/);
  });

  it("every problem names its key, the credential's value never", () => {
    const bad = parse({ repoURL: "http://x/y", revision: "a b", namespace: "monitoring", applications: [{ name: "A", path: "../etc" }, { name: "a" }, { name: "a" }], colour: 1 });
    expect(bad.problems).toEqual([
      expect.stringMatching(/^gitops\.colour: is not a key of gitops/),
      expect.stringMatching(/^gitops\.repoURL: .*plain http/),
      expect.stringMatching(/^gitops\.revision: /),
      expect.stringMatching(/^gitops\.namespace: "monitoring" belongs to Kubernetes or the platform/),
      expect.stringMatching(/^gitops\.applications\[0\]\.name: "A" is not an RFC 1123 label/),
      expect.stringMatching(/^gitops\.applications\[0\]\.path: "\.\.\/etc" must be a folder inside the repository/),
      expect.stringMatching(/^gitops\.applications\[2\]\.name: "a" is listed twice/),
    ]);
    expect(parse({ ...GITOPS_EXAMPLE, namespace: "apps" }).problems).toEqual([expect.stringMatching(/^gitops\.namespace: "apps" belongs to the apps stage/)]);
    expect(parse("yes").problems).toEqual([expect.stringMatching(/^gitops: must be an object/)]);
  });

  it("ssh needs an SSH private key in the secret key and the host's known_hosts unless the chart knows it; https takes a token", () => {
    expect(parse(SSH_GITOPS).problems).toEqual([expect.stringMatching(/^gitopsRepoCredential: gitops\.repoURL is an ssh URL: set the repository's SSH private key/)]);
    expect(parse(SSH_GITOPS, { value: "hunter2", secret: true }).problems).toEqual([expect.stringMatching(/^gitopsRepoCredential: .*SSH private key in PEM\/OpenSSH form/)]);
    expect(parse(SSH_GITOPS, { value: SSH_KEY, secret: true })).toMatchObject({ problems: [], g: { credential: { kind: "sshPrivateKey" }, repository: { port: 2222 } } });
    const unknownHost = parse({ repoURL: SSH_GITOPS.repoURL }, { value: SSH_KEY, secret: true }).problems;
    expect(unknownHost).toEqual([expect.stringMatching(/^gitops\.sshKnownHosts: Argo CD checks \[git\.internal\.example\]:2222's SSH host key .*ssh-keyscan -p 2222 git\.internal\.example/)]);
    expect(parse({ repoURL: "git@github.com:me/deploy.git" }, { value: SSH_KEY, secret: true }).problems).toEqual([]);
    expect(parse({ repoURL: "git@git.internal.example:me/deploy.git", sshKnownHosts: [KNOWN] }, { value: SSH_KEY, secret: true }).problems).toEqual([]);
    expect(parse({ ...GITOPS_EXAMPLE, username: "bot" }, { value: "glpat-abc123", secret: true }).g?.credential).toEqual({ kind: "httpsToken", username: "bot" });
    expect(parse(GITOPS_EXAMPLE, { value: "two words", secret: true }).problems).toEqual([expect.stringMatching(/^gitopsRepoCredential: .*access token/)]);
    // Stored in clear: refused, and the message carries no part of the value.
    const clear = parse(GITOPS_EXAMPLE, { value: "glpat-SECRETVALUE", secret: false }).problems;
    expect(clear).toEqual([expect.stringMatching(/^gitopsRepoCredential: is stored in plain text/)]);
    expect(clear.join()).not.toContain("SECRETVALUE");
    expect(parse(undefined, { value: "t", secret: true }).problems).toEqual([expect.stringMatching(/^gitopsRepoCredential: is the credential of the gitops repository and needs gitops/)]);
  });

  it("the reserved namespaces are every platform namespace, the apps stage's and Kubernetes' own", () => {
    for (const ns of [...Object.values(NAMESPACES).map((n) => n.name), APPS_NAMESPACE, "kube-system", "default"]) expect(RESERVED_NAMESPACES).toContain(ns);
    expect([...RESERVED_NAMESPACES].sort()).toEqual(deniedNamespaces());
  });

  it("an app in both the apps stage and Argo CD is refused, naming both keys; in the stack loader too (through parsePlatformSettings)", () => {
    const g = parse({ ...GITOPS_EXAMPLE, applications: [{ name: "shop", path: "shop" }, { name: "api", path: "api" }] }).g;
    expect(gitopsAppsConflicts(g, ["web", "api"])).toEqual([
      'gitops.applications[1].name: "api" is also apps[1].name: an app is delivered either by the apps stage or by Argo CD, never both (remove one, or rename the Application)',
    ]);
    expect(gitopsAppsConflicts(g, ["web"])).toEqual([]);
    expect(gitopsAppsConflicts(undefined, ["api"])).toEqual([]);
    expect(problemsOf(() => parsePlatformSettings({ gitops: { repoURL: "ftp://x/y" } }, topology))).toEqual([expect.stringMatching(/^gitops\.repoURL: /)]);
  });
});

describe("who owns what: the AppProject and the Applications", () => {
  const g = parse(GITOPS_EXAMPLE).g!;
  const spec = appProjectSpec(g);

  it("one allowed destination, the synced apps' namespace; every platform namespace, the apps stage's and Kubernetes' own denied by name", () => {
    const allowed = spec.destinations.filter((d) => !d.namespace.startsWith("!"));
    expect(allowed).toEqual([{ server: IN_CLUSTER, namespace: "gitops" }]);
    const denied = spec.destinations.filter((d) => d.namespace.startsWith("!")).map((d) => d.namespace.slice(1));
    for (const ns of [...platformNamespaces(true, true, true, "elk", true).map((k) => NAMESPACES[k].name), "apps", "kube-system"]) expect(denied).toContain(ns);
    expect(spec.sourceRepos).toEqual([GITOPS_EXAMPLE.repoURL]);
  });

  it("no cluster-scoped kind (Namespace, CRD, ClusterRole...), and not the namespace's LimitRange or ResourceQuota", () => {
    expect(spec.clusterResourceWhitelist).toEqual([]);
    expect(spec.clusterResourceBlacklist).toEqual([{ group: "*", kind: "*" }]);
    expect(spec.namespaceResourceBlacklist.map((k) => k.kind)).toEqual(["LimitRange", "ResourceQuota"]);
  });

  it("each Application follows the revision into the namespace, synced automatically, without creating namespaces", () => {
    expect(applications(g)).toEqual([
      {
        name: "gitops-demo",
        spec: {
          project: "gitops",
          source: { repoURL: GITOPS_EXAMPLE.repoURL, targetRevision: "main", path: "demo" },
          destination: { server: IN_CLUSTER, namespace: "gitops" },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["ServerSideApply=true"] },
        },
      },
    ]);
  });

  it("Argo CD's built-in default project is emptied: no source, destination, Application namespace or kind (its documented lock-down)", () => {
    const locked = lockedDefaultProjectSpec();
    // What argocd-server v3.4.4 creates when the project is missing (server/server.go initializeDefaultProject).
    const created = { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] };
    for (const key of Object.keys(created) as (keyof typeof created)[]) expect(locked[key]).toEqual([]);
    expect(locked).toMatchObject({ sourceNamespaces: [], clusterResourceBlacklist: [{ group: "*", kind: "*" }], namespaceResourceBlacklist: [{ group: "*", kind: "*" }] });
    // Every key the program sets is a field of the AppProject CRD the chart installs (a typo would be dropped by the apiserver, leaving argocd-server's value).
    const fields = (JSON.parse(readFileSync(join(__dirname, "fixtures", "argo-cd-10.1.1-appproject-spec.json"), "utf8")) as { specFields: Record<string, string> }).specFields;
    expect(Object.entries(locked).filter(([k, v]) => fields[k] !== (Array.isArray(v) ? "array" : typeof v))).toEqual([]);
    expect(Object.entries(appProjectSpec(g)).filter(([k, v]) => fields[k] !== (Array.isArray(v) ? "array" : typeof v))).toEqual([]);
  });

  it("the repository Secret: the key for ssh, user and token for https, nothing for a public repository; scoped to the project", () => {
    expect(repositorySecretData(g)).toEqual({ type: "git", url: GITOPS_EXAMPLE.repoURL, project: "gitops", name: "gitops" });
    const token = parse({ ...GITOPS_EXAMPLE, username: "bot" }, { value: "glpat-abc", secret: true }).g!;
    expect(repositorySecretData(token, " glpat-abc\n")).toMatchObject({ username: "bot", password: "glpat-abc" });
    const ssh = parse(SSH_GITOPS, { value: SSH_KEY, secret: true }).g!;
    expect(repositorySecretData(ssh, SSH_KEY.replace(/\n/g, "\r\n"))).toMatchObject({ sshPrivateKey: SSH_KEY, url: SSH_GITOPS.repoURL });
  });
});

describe("Argo CD's values and what they cost", () => {
  const { plan, rendered } = render();
  const v = rendered.values.argoCd!;

  it("trimmed: no Dex, notifications, commit server or redis HA; the ApplicationSet controller at zero; the program's Secrets, no hook Job", () => {
    expect([v.dex.enabled, v.notifications.enabled, v.commitServer.enabled, v["redis-ha"].enabled, v.redisSecretInit.enabled]).toEqual([false, false, false, false, false]);
    expect(v.applicationSet.replicas).toBe(0);
    expect(v.configs.secret.createSecret).toBe(false);
    expect(v.crds).toEqual({ install: true, keep: true });
    expect(v.global.image).toEqual({ repository: "quay.io/argoproj/argocd", tag: "v3.4.4" });
  });

  it("the UI behind Traefik like Grafana: plain HTTP inside (server.insecure), the websecure entry point, the host's certificate", () => {
    expect(v.configs.params["server.insecure"]).toBe(true);
    expect(v.server.ingress).toMatchObject({ enabled: true, ingressClassName: "traefik", hostname: "argocd.cefaslocalserver.com", tls: false });
    expect(v.server.ingress.annotations["traefik.ingress.kubernetes.io/router.entrypoints"]).toBe("websecure");
    expect(v.server.ingress.extraTls).toEqual([{ hosts: ["argocd.cefaslocalserver.com"], secretName: "argocd.cefaslocalserver.com-tls" }]);
    expect(v.configs.cm.url).toBe("https://argocd.cefaslocalserver.com");
    expect(rendered.certificates.map((c) => `${c.namespace}/${c.name}`)).toContain("argocd/argocd.cefaslocalserver.com");
  });

  it("its workloads are counted by the capacity check; none without the opt-in", () => {
    const argo = rendered.workloads.filter((w) => w.release === "argocd");
    expect(argo.map((w) => `${w.name}:${w.replicas}`)).toEqual(["argocd-application-controller:1", "argocd-repo-server:1", "argocd-server:1", "argocd-redis:1", "argocd-applicationset-controller:0"]);
    const off = render({}).rendered;
    expect(off.workloads.filter((w) => w.release === "argocd")).toEqual([]);
    expect(off.values.argoCd).toBeUndefined();
    const on = capacityReport(rendered.workloads, plan.nodes);
    const without = capacityReport(off.workloads, plan.nodes);
    expect(on.requests.memoryMiB - without.requests.memoryMiB).toBe(256 + 128 + 64 + 32);
    expect(on.requests.cpuMilli - without.requests.cpuMilli).toBe(100 + 50 + 25 + 10);
    expect(on.byRelease.argocd).toEqual({ cpuMilli: 185, memoryMiB: 480 });
  });

  it("NetworkPolicies: default deny in argocd; Traefik to the UI, Prometheus to the metrics, DNS and the API; the repo server to the git host's port only", () => {
    const argocd = rendered.networkPolicies.filter((n) => n.namespace === "argocd").map((n) => n.name);
    expect(argocd).toEqual(expect.arrayContaining(["default-deny", "allow-from-traefik", "allow-from-monitoring", "allow-dns", "allow-api-server", "allow-git-host"]));
    const git = rendered.networkPolicies.find((n) => n.namespace === "argocd" && n.name === "allow-git-host")!;
    expect(git.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "argocd-repo-server" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443, protocol: "TCP" }] }],
    });
    const ipRepo = render({ gitops: { repoURL: "ssh://git@10.17.3.9:2222/ops/deploy.git", sshKnownHosts: ["[10.17.3.9]:2222 ssh-ed25519 AAAA"] }, gitopsRepoCredential: { value: SSH_KEY, secret: true } }).rendered;
    expect(ipRepo.networkPolicies.find((n) => n.name === "allow-git-host")!.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: "10.17.3.9/32" } }], ports: [{ port: 2222, protocol: "TCP" }] }]);
    expect(render({}).rendered.networkPolicies.filter((n) => n.namespace === "argocd")).toEqual([]);
  });

  it("three ServiceMonitors (controller, API server, repo server) and a dashboard, only with the opt-in", () => {
    expect(rendered.serviceMonitors.filter((s) => s.namespace === "argocd").map((s) => s.name)).toEqual(["argocd-metrics", "argocd-server-metrics", "argocd-repo-server-metrics"]);
    expect(rendered.dashboards.map((d) => d.name)).toContain("fmc-gitops-dashboard");
    const off = render({}).rendered;
    expect(off.serviceMonitors.some((s) => s.namespace === "argocd")).toBe(false);
    expect(off.dashboards.map((d) => d.name)).not.toContain("fmc-gitops-dashboard");
  });
});

const RELEASE = "kubernetes:helm.sh/v3:Release";
let h: Harness;

function settingsWith(raw: Record<string, unknown>, credential?: string): PlatformSettings {
  const s = parsePlatformSettings({ ...raw, ...(credential ? { gitopsRepoCredential: { value: credential, secret: true } } : {}) }, topology);
  if (s.gitops && credential) s.gitops.credentialValue = pulumi.secret(credential);
  return s;
}

function platform(name: string, settings: PlatformSettings): void {
  passwords[name] = platformRun(name, { ...facts, settings }).platform.passwords;
}
const passwords: Record<string, pulumi.Output<object>> = {};

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  platform("off", settingsWith({}));
  platform("on", settingsWith({ gitops: GITOPS_EXAMPLE }));
  platform("repo", settingsWith({ gitops: { ...SSH_GITOPS, revision: "v2", applications: [{ name: "gitops-demo", path: "demo" }] } }, SSH_KEY));
  await h.settle();
}, 300_000);

const of = (prefix: string) => runOf(h, prefix);

describe("the Platform component", () => {
  it("with gitops: the release in argocd (restricted), its Secrets as secrets with the admin's bcrypt hash, the AppProject and Application after the release, the synced apps' namespace with its guard rails", () => {
    const on = of("on");
    const release = on.find((r) => r.type === RELEASE && r.inputs.name === "argocd")!;
    expect(release.inputs).toMatchObject({ namespace: "argocd", atomic: true, skipCrds: false, chart: "argo-cd", version: "10.1.1" });
    const secret = on.find((r) => r.name === `on-${ARGOCD_SECRET}`)!;
    expect(isSecretAt(secret.rawInputs, ["stringData"])).toBe(true);
    expect(secret.additionalSecretOutputs).toEqual(expect.arrayContaining(["data", "stringData"]));
    expect(secret.inputs.stringData).toEqual({ "admin.password": "$2a$10$h", "server.secretkey": "pw" });
    expect(secret.inputs.metadata).toMatchObject({ labels: { "app.kubernetes.io/part-of": "argocd" } });
    const repo = on.find((r) => r.name === "on-gitops-repository")!;
    expect(repo.inputs.metadata).toMatchObject({ labels: { "argocd.argoproj.io/secret-type": "repository" } });
    const urnOf = (n: string) => on.find((r) => r.name === n)!.urn;
    expect(release.dependencies).toEqual(expect.arrayContaining([urnOf("on-argocd-secret"), urnOf("on-argocd-redis"), urnOf("on-gitops-repository")]));
    const project = on.find((r) => r.name === "on-appproject-gitops")!;
    expect(project.inputs).toMatchObject({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "gitops", namespace: "argocd" } });
    expect(project.dependencies).toContain(release.urn);
    const app = on.find((r) => r.name === "on-application-gitops-demo")!;
    expect(app.inputs).toMatchObject({ kind: "Application", metadata: { name: "gitops-demo", namespace: "argocd" } });
    expect(app.dependencies).toEqual(expect.arrayContaining([project.urn, urnOf("on-gitops-default-deny"), urnOf("on-gitops-container-defaults")]));
    for (const ns of ["on-ns-argocd", "on-ns-gitops"]) {
      expect(on.find((r) => r.name === ns)!.inputs).toMatchObject({ metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
    }
  });

  it("the default project's lock-down: a server-side apply Patch (created or taken over, whichever of Pulumi and argocd-server comes first), after the release, kept on delete", () => {
    const on = of("on");
    const patch = on.find((r) => r.name === "on-appproject-default")!;
    // pulumi-kubernetes treats a resource as a Patch (server-side apply, upsert) when its type is `<kind>Patch`.
    expect(patch.type).toBe("kubernetes:argoproj.io/v1alpha1:AppProjectPatch");
    expect(patch.inputs).toMatchObject({ kind: "AppProject", metadata: { name: "default", namespace: "argocd", annotations: { "pulumi.com/patchForce": "true" } } });
    expect(patch.inputs.spec).toEqual(lockedDefaultProjectSpec());
    expect(patch.retainOnDelete).toBe(true);
    expect(patch.dependencies).toContain(on.find((r) => r.type === RELEASE && r.inputs.name === "argocd")!.urn);
    // No Application of the program's uses it.
    expect(on.filter((r) => r.inputs.kind === "Application").map((r) => (r.inputs.spec as { project: string }).project)).toEqual(["gitops"]);
  });

  it("the admin password joins the stack's secret passwords output", async () => {
    const read = (o: pulumi.Output<object>) => new Promise<{ value: object; secret: boolean }>((resolve) => o.apply((value) => void (o as unknown as { isSecret: Promise<boolean> }).isSecret.then((secret) => resolve({ value, secret }))));
    const on = await read(passwords.on);
    expect(on.secret).toBe(true);
    expect(on.value).toMatchObject({ argocdAdmin: "pw" });
    expect((await read(passwords.off)).value).not.toHaveProperty("argocdAdmin");
  });

  it("an ssh repository: its key in the repository Secret, a secret input", () => {
    const repo = of("repo").find((r) => r.name === "repo-gitops-repository")!;
    expect(isSecretAt(repo.rawInputs, ["stringData"])).toBe(true);
    expect(repo.inputs.stringData).toMatchObject({ url: SSH_GITOPS.repoURL, sshPrivateKey: SSH_KEY });
  });

  it("without gitops: nothing of Argo CD", () => {
    expect(of("off").map((r) => r.name).filter((n) => /argocd|gitops|appproject|application-/.test(n))).toEqual([]);
  });
});

const changes = (before: string, after: string) => runChanges(h, before, after);

const ours = /argocd|gitops|appproject|application-/;

describe("docs/day-two.md row gitopsOff", () => {
  it("Argo CD's objects are deleted (Applications, AppProject, release, Secrets, both namespaces: the synced apps go with theirs); nothing else in the platform changes", () => {
    const r = changes("on", "off");
    expectOnlyOwn(r, "deleted", ours);
    expect(r.deleted).toEqual(expect.arrayContaining(["argocd", "application-gitops-demo", "appproject-gitops", "appproject-default", "argocd-secret", "argocd-redis", "gitops-repository", "ns-argocd", "ns-gitops", "fmc-gitops-dashboard"]));
  });
});

describe("docs/day-two.md row gitopsOn", () => {
  it("the same change backwards: only creates, only Argo CD's", () => {
    const r = changes("off", "on");
    expectOnlyOwn(r, "created", ours);
  });
});

describe("docs/day-two.md row gitopsRepository", () => {
  it("another repository, revision and credential update in place: the repository Secret, the AppProject's source, the Application, the git egress policy and the release (known hosts); nothing replaced", () => {
    const r = changes("on", "repo");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted }).toEqual({ replaced: [], created: [], deleted: [] });
    expect(r.updated.sort()).toEqual(["application-gitops-demo", "appproject-gitops", "argocd", "argocd-allow-git-host", "gitops-repository"]);
  });
});

describe("docs/day-two.md row gitopsDefaultProject", () => {
  it("a live stack with gitops, deployed by a program that left Argo CD's default project open: the next up only creates its lock-down Patch", () => {
    // The earlier program's state: the same run without the Patch.
    const r = dayTwo(h.all().filter((x) => x.name !== "on-appproject-default"), h.all(), "on", "on");
    // A password and the Secret holding it share a name (`grafana-admin`): the model, matching by name, pairs them across (./helpers/platform-runs.ts).
    const names = of("on").map((x) => x.name);
    const updated = r.updated.filter((n) => names.filter((m) => m === `on-${n}`).length === 1);
    expect({ replaced: r.replaced, updated, deleted: r.deleted, created: r.created }).toEqual({ replaced: [], updated: [], deleted: [], created: ["appproject-default"] });
    // A Patch: the provider's server-side apply updates the project argocd-server created (no AlreadyExists).
    expect(r.changes.get("appproject-default")!.type).toMatch(/:AppProjectPatch$/);
  });
});
