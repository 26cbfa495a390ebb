/**
 * Each policy on crafted resources: the bad ones must fail, their fixed twins must pass.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { AnyPolicy, runPolicies, Violation } from "../plan/policy-check";
import { Recorded } from "../plan/recorder";
import { pemBlock } from "../plan/stack-config";
import {
  freeipaCertificateKeys,
  helmPinnedVersion,
  noLoadBalancer,
  noPlaintextSecrets,
  oddServerCount,
  podsPinnedAndHardened,
  buildStepsBounded,
  gitopsBounded,
  logsRetentionSet,
  policies,
  registryAuthenticatedOnClaim,
  vpaRecommendOnly,
  rebootsCoordinated,
  requestsAndLimits,
  statefulDisksProtected,
} from "../policy/policies";
import { renderBuildTask } from "../platform/builds/pipeline";
import { k3sClusterFacts } from "../cluster/facts";
import { GITOPS_EXAMPLE } from "../config/opt-ins/gitops";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { applications, appProjectSpec, lockedDefaultProjectSpec } from "../platform/gitops";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { vpaFor } from "../platform/vpa-objects";
import { vpaValues } from "../platform/values/vpa";
import { lokiValues } from "../platform/values/loki";
import { rawStack } from "./helpers/stacks";

let n = 0;
function fake(type: string, inputs: Record<string, unknown>, extra: Partial<Recorded> = {}): Recorded {
  const name = `r${n++}`;
  return {
    type, name, urn: `urn:pulumi:test::flatcarmicrocloud::${type}::${name}`, custom: true, parent: "", provider: "",
    dependencies: [], propertyDependencies: {}, deleteBeforeReplace: false, replaceOnChanges: [], ignoreChanges: [],
    additionalSecretOutputs: [], protect: false, deletedWith: "", retainOnDelete: false, rawInputs: inputs, inputs, ...extra,
  };
}

async function check(policy: AnyPolicy, resources: Recorded[], config = {}): Promise<string[]> {
  return (await runPolicies([policy], resources, config)).map((v: Violation) => v.message);
}

const RELEASE = "kubernetes:helm.sh/v3:Release";
const full = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

it("every policy has a unique name, a description and an enforcement level; only the server count is advisory", () => {
  expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
  for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
  expect(policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name)).toEqual(["k3s-server-count-odd"]);
  expect(policies.filter((p) => p.enforcementLevel !== "mandatory" && p.enforcementLevel !== "advisory")).toEqual([]);
});

describe("helm-release-pinned-version", () => {
  it.each([[undefined], [""], ["^41.0.0"], ["41.x"], ["~1.2"], [">=1.0.0"], ["latest"], ["41.3"]])("fails for version %p", async (version) => {
    expect(await check(helmPinnedVersion, [fake(RELEASE, { chart: "traefik", version })])).toHaveLength(1);
  });
  it.each([["41.3.0"], ["v1.20.6"], ["1.0.0-rc.1"]])("passes %p", async (version) => {
    expect(await check(helmPinnedVersion, [fake(RELEASE, { chart: "traefik", version })])).toEqual([]);
  });
});

describe("workloads-have-requests-and-limits", () => {
  const deployment = (resources: unknown) =>
    fake("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ name: "app", resources }] } } } });

  it("fails a Deployment container without limits, and one without anything", async () => {
    expect(await check(requestsAndLimits, [deployment({ requests: full.requests })])).toEqual(["container app (containers) lacks resources limits.memory, limits.cpu"]);
    expect(await check(requestsAndLimits, [deployment(undefined)])).toHaveLength(1);
  });

  it("checks init containers and CronJobs too, and passes complete ones", async () => {
    const cron = fake("kubernetes:batch/v1:CronJob", {
      spec: { jobTemplate: { spec: { template: { spec: { initContainers: [{ name: "init" }], containers: [{ name: "c", resources: full }] } } } } },
    });
    expect(await check(requestsAndLimits, [cron])).toEqual([expect.stringContaining("container init (initContainers)")]);
    expect(await check(requestsAndLimits, [deployment(full)])).toEqual([]);
  });

  it("fails a Helm release whose values set no resources, or an incomplete block; passes per-component blocks", async () => {
    expect(await check(requestsAndLimits, [fake(RELEASE, { name: "redis", chart: "redis-ha", version: "4.39.0", values: {} })])).toEqual([
      expect.stringContaining("sets no resources"),
    ]);
    expect(await check(requestsAndLimits, [fake(RELEASE, { name: "x", values: { redis: { resources: { requests: full.requests } } } })])).toEqual([
      "values.redis.resources lacks limits.memory, limits.cpu",
    ]);
    const rook = fake(RELEASE, { name: "rook-ceph-cluster", values: { cephClusterSpec: { resources: { mon: full, osd: full, mgr: { limits: full.limits } } } } });
    expect(await check(requestsAndLimits, [rook])).toEqual(["values.cephClusterSpec.resources.mgr lacks requests.cpu, requests.memory"]);
  });

  it("lets a CPU limit be optional and a CRD-only release be exempt, by policy config", async () => {
    const noCpuLimit = deployment({ requests: full.requests, limits: { memory: "1Gi" } });
    expect(await check(requestsAndLimits, [noCpuLimit], { "workloads-have-requests-and-limits": { requireCpuLimit: false } })).toEqual([]);
    const crds = fake(RELEASE, { name: "crds", values: {} });
    expect(await check(requestsAndLimits, [crds], { "workloads-have-requests-and-limits": { exemptReleases: ["crds"] } })).toEqual([]);
  });

  it("leaves storage requests of volume claims alone", async () => {
    const pvc = fake("kubernetes:core/v1:PersistentVolumeClaim", { spec: { resources: { requests: { storage: "1Gi" } } } });
    const prometheus = fake(RELEASE, {
      name: "kps",
      values: { prometheus: { prometheusSpec: { resources: full, storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "20Gi" } } } } } } } },
    });
    expect(await check(requestsAndLimits, [pvc, prometheus])).toEqual([]);
  });

  it("checks the resources of custom resources that run pods (Strimzi's node pools)", async () => {
    const pool = fake("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", { spec: { replicas: 3, resources: { requests: full.requests } } });
    expect(await check(requestsAndLimits, [pool])).toEqual(["spec.resources lacks limits.memory, limits.cpu"]);
  });
});

describe("reboots-coordinated", () => {
  const kured = (configuration: Record<string, unknown>) => fake(RELEASE, { chart: "kured", values: { configuration } });
  const safe = {
    concurrency: 1,
    forceReboot: false,
    drainTimeout: "20m",
    prometheusUrl: "http://prometheus:9090",
    useRebootSentinelHostPath: false,
    rebootSentinelCommand: "/bin/sh -c 'exit 1'",
  };

  it("passes the platform's own kured values", async () => {
    const { kuredValues } = await import("../platform/values/kured");
    const window = { days: ["sa"], start: "01:00", end: "05:00" };
    expect(await check(rebootsCoordinated, [fake(RELEASE, { chart: "kured", values: kuredValues(window) })])).toEqual([]);
    expect(await check(rebootsCoordinated, [kured(safe)])).toEqual([]);
  });

  it("fails each unsafe setting by name, and ignores other charts", async () => {
    const bad = async (change: Record<string, unknown>) => check(rebootsCoordinated, [kured({ ...safe, ...change })]);
    expect(await bad({ concurrency: 2 })).toEqual([expect.stringContaining("concurrency is 2")]);
    expect(await bad({ concurrency: undefined })).toEqual([expect.stringContaining("concurrency is unset")]);
    expect(await bad({ forceReboot: true })).toEqual([expect.stringContaining("forceReboot")]);
    expect(await bad({ drainTimeout: "" })).toEqual([expect.stringContaining("drainTimeout")]);
    expect(await bad({ drainTimeout: "0s" })).toEqual([expect.stringContaining("drainTimeout")]);
    expect(await bad({ prometheusUrl: "" })).toEqual([expect.stringContaining("prometheusUrl")]);
    // The chart's default (true) silently drops the command.
    expect(await bad({ useRebootSentinelHostPath: undefined })).toEqual([expect.stringContaining("useRebootSentinelHostPath")]);
    expect(await check(rebootsCoordinated, [fake(RELEASE, { chart: "traefik", values: { configuration: { concurrency: 9 } } })])).toEqual([]);
  });
});

describe("no-loadbalancer-service", () => {
  it("fails a LoadBalancer Service and passes a NodePort one", async () => {
    expect(await check(noLoadBalancer, [fake("kubernetes:core/v1:Service", { spec: { type: "LoadBalancer" } })])).toHaveLength(1);
    expect(await check(noLoadBalancer, [fake("kubernetes:core/v1:Service", { spec: { type: "NodePort" } })])).toEqual([]);
  });

  it("fails a LoadBalancer anywhere in Helm values, and Traefik left at its LoadBalancer default", async () => {
    expect(await check(noLoadBalancer, [fake(RELEASE, { chart: "redis-ha", values: { haproxy: { service: { type: "LoadBalancer" } } } })])).toEqual([
      "values.haproxy.service.type is LoadBalancer: use NodePort behind the load balancer VM",
    ]);
    expect(await check(noLoadBalancer, [fake(RELEASE, { chart: "traefik", values: {} })])).toEqual([expect.stringContaining("service.spec.type")]);
    expect(await check(noLoadBalancer, [fake(RELEASE, { chart: "traefik", values: { service: { spec: { type: "NodePort" } } } })])).toEqual([]);
  });
  it("is the one policy policy/config.loadbalancer.json turns off (an existing cluster with ingressServiceType LoadBalancer)", () => {
    const config = JSON.parse(readFileSync(join(__dirname, "..", "policy", "config.loadbalancer.json"), "utf8")) as Record<string, unknown>;
    expect(config).toEqual({ [noLoadBalancer.name]: "disabled" });
    expect(policies.map((p) => p.name)).toContain(noLoadBalancer.name);
  });
});

describe("no-plaintext-secrets", () => {
  it("fails secret-looking values, private key blocks and secret env values in plain properties", async () => {
    expect(await check(noPlaintextSecrets, [fake(RELEASE, { values: { grafana: { adminPassword: "hunter2" } } })])).toEqual([
      "values.grafana.adminPassword looks like a secret in a plain property",
    ]);
    expect(await check(noPlaintextSecrets, [fake("kubernetes:core/v1:ConfigMap", { data: { "id": pemBlock("OPENSSH PRIVATE KEY", "x") } })])).toHaveLength(1);
    const env = fake("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ env: [{ name: "DB_PASSWORD", value: "x" }] }] } } } });
    expect(await check(noPlaintextSecrets, [env])).toEqual([expect.stringContaining("DB_PASSWORD")]);
  });

  it("reads a field named just `secret` as the name of a Secret, unless its value is no object name", async () => {
    const middleware = (secret: string) => fake(RELEASE, { values: { extraObjects: [{ kind: "Middleware", spec: { basicAuth: { secret } } }] } });
    expect(await check(noPlaintextSecrets, [middleware("traefik-dashboard-auth")])).toEqual([]);
    expect(await check(noPlaintextSecrets, [middleware("Hunter2!")])).toHaveLength(1);
  });

  it("passes references to secrets and the properties that carry secrets by design", async () => {
    expect(await check(noPlaintextSecrets, [fake(RELEASE, { values: { grafana: { admin: { existingSecret: "grafana-admin" } } } })])).toEqual([]);
    const cmd = fake("command:remote:Command", { connection: { host: "h", privateKey: pemBlock("OPENSSH PRIVATE KEY", "x") } });
    expect(await check(noPlaintextSecrets, [cmd])).toEqual([]);
    expect(await check(noPlaintextSecrets, [fake("kubernetes:core/v1:Secret", { stringData: { password: "x" } })])).toEqual([]);
    const env = fake("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db" } } }] }] } } } });
    expect(await check(noPlaintextSecrets, [env])).toEqual([]);
  });
});

describe("stateful-disks-protected", () => {
  const VOLUME = "libvirt:index/volume:Volume";
  const graph = (protect: boolean) => {
    const osd = fake(VOLUME, { name: "worker1-ceph-osd.raw" }, { protect });
    const root = fake(VOLUME, { name: "postgresql1-root-0123456789.qcow2" }, { protect, name: "infra-postgresql1-root" });
    const workerRoot = fake(VOLUME, { name: "worker1-root-0123456789.qcow2" });
    const db = fake("libvirt:index/domain:Domain", { name: "postgresql1", description: "FlatcarMicroCloud prod: postgresql (rocky)" }, {
      propertyDependencies: { disks: [root.urn] },
    });
    const worker = fake("libvirt:index/domain:Domain", { name: "worker1", description: "FlatcarMicroCloud prod: k3s-agent (flatcar)" }, {
      propertyDependencies: { disks: [workerRoot.urn, osd.urn] },
    });
    return [osd, root, workerRoot, db, worker];
  };

  it("fails an unprotected Ceph volume and an unprotected database disk", async () => {
    expect(await check(statefulDisksProtected, graph(false))).toEqual([
      "Ceph OSD volume worker1-ceph-osd.raw is not protected (protect: true)",
      "disk infra-postgresql1-root of postgresql VM postgresql1 is not protected (protect: true)",
    ]);
  });

  it("passes when they are protected (a worker's root disk need not be), or on a stack declared disposable", async () => {
    expect(await check(statefulDisksProtected, graph(true))).toEqual([]);
    expect(await check(statefulDisksProtected, graph(false), { "stateful-disks-protected": { disposable: true } })).toEqual([]);
  });
});

describe("k3s-server-count-odd (advisory)", () => {
  const server = (name: string) => fake("libvirt:index/domain:Domain", { name, description: "FlatcarMicroCloud prod: k3s-server (flatcar)" });
  it("advises against an even count and is silent on an odd one", async () => {
    const even = await runPolicies([oddServerCount], [server("a"), server("b")]);
    expect(even.map((v) => [v.enforcementLevel, v.message])).toEqual([["advisory", "2 K3s servers (a, b): add or remove one for an odd count"]]);
    expect(await check(oddServerCount, [server("a"), server("b"), server("c")])).toEqual([]);
  });
});

describe("pods-pinned-and-hardened", () => {
  const hardened = { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
  const deployment = (image: string, securityContext: Record<string, unknown> = hardened) =>
    fake("kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ name: "app", image, securityContext }] } } } });

  it("passes a pinned, hardened container (tag or digest)", async () => {
    expect(await check(podsPinnedAndHardened, [deployment("registry.example.com:5000/fmc/api:0.1.0")])).toEqual([]);
    expect(await check(podsPinnedAndHardened, [deployment(`registry.example.com/api@sha256:${"a".repeat(64)}`)])).toEqual([]);
  });

  it.each(["registry.example.com/api", "registry.example.com:5000/api", "api:latest", "api@sha256:short"])("refuses the image %s", async (image) => {
    expect(await check(podsPinnedAndHardened, [deployment(image)])).toEqual([`container app: image ${image} is not pinned by a tag or digest (latest moves)`]);
  });

  it("names what a container lacks", async () => {
    expect(await check(podsPinnedAndHardened, [deployment("api:1", { readOnlyRootFilesystem: false })])).toEqual([
      "container app lacks runAsNonRoot, readOnlyRootFilesystem, allowPrivilegeEscalation: false, capabilities.drop [ALL]",
    ]);
  });
});

describe("freeipa-certificate-keys", () => {
  const ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
  const CERT = "kubernetes:cert-manager.io/v1:Certificate";
  const issuer = (name: string, server: unknown) => fake(ISSUER, { metadata: { name }, spec: { acme: { server } } });
  const cert = (issuerName: string, privateKey?: unknown) =>
    fake(CERT, { metadata: { name: "grafana" }, spec: { issuerRef: { kind: "ClusterIssuer", name: issuerName }, ...(privateKey ? { privateKey } : {}) } });
  const freeipa = issuer("ipa", "https://freeipa1.example.com/acme/directory");

  it("fails an ECDSA key, and an RSA size FreeIPA's profile does not list, on a FreeIPA issuer", async () => {
    expect(await check(freeipaCertificateKeys, [freeipa, cert("ipa", { algorithm: "ECDSA", size: 256 })])).toEqual([
      `Certificate grafana: FreeIPA's ACME issuer ipa signs RSA keys only, not "ECDSA": set spec.privateKey.algorithm RSA`,
    ]);
    expect(await check(freeipaCertificateKeys, [freeipa, cert("ipa", { algorithm: "Ed25519" })])).toHaveLength(1);
    expect(await check(freeipaCertificateKeys, [freeipa, cert("ipa", { algorithm: "RSA", size: 1024 })])).toEqual([
      "Certificate grafana: FreeIPA's ACME issuer ipa signs RSA keys of 2048, 3072, 4096, 8192 bits, not 1024",
    ]);
  });

  it("knows the program's issuer by name when its spec is not known yet (a first preview)", async () => {
    const unknownSpec = fake(ISSUER, { metadata: { name: "freeipa-acme" } });
    expect(await check(freeipaCertificateKeys, [unknownSpec, cert("freeipa-acme", { algorithm: "ECDSA", size: 256 })])).toHaveLength(1);
  });

  it("passes RSA keys of the listed sizes, cert-manager's default (RSA 2048), and any key on another issuer", async () => {
    for (const size of [2048, 3072, 4096, 8192]) expect(await check(freeipaCertificateKeys, [freeipa, cert("ipa", { algorithm: "RSA", size })])).toEqual([]);
    expect(await check(freeipaCertificateKeys, [freeipa, cert("ipa")])).toEqual([]);
    const letsEncrypt = issuer("le", "https://acme-v02.api.letsencrypt.org/directory");
    expect(await check(freeipaCertificateKeys, [letsEncrypt, cert("le", { algorithm: "ECDSA", size: 256 })])).toEqual([]);
  });
});

describe("build-steps-pinned-and-bounded", () => {
  const task = (namespace: string, edit: (steps: Record<string, unknown>[]) => void = () => undefined) => {
    const doc = renderBuildTask();
    edit(doc.spec.steps as Record<string, unknown>[]);
    return fake("kubernetes:tekton.dev/v1:Task", { metadata: { ...doc.metadata, namespace }, spec: doc.spec });
  };
  it("passes the builds Task as rendered", async () => {
    expect(await check(buildStepsBounded, [task("builds")])).toEqual([]);
  });
  it("refuses the rootless builder's unconfined step outside the builds namespace", async () => {
    expect(await check(buildStepsBounded, [task("default")])).toEqual(["step build runs without the runtime's seccomp or AppArmor profile outside the builds namespace"]);
  });
  it("refuses an unpinned image, missing computeResources and a privileged step", async () => {
    const bad = task("builds", (steps) => {
      steps[0].image = "docker.io/moby/buildkit:latest";
      delete steps[0].computeResources;
      steps[1].securityContext = { privileged: true };
    });
    expect(await check(buildStepsBounded, [bad])).toEqual([
      "step clone: image docker.io/moby/buildkit:latest is not pinned by a tag or digest (latest moves)",
      "step clone lacks computeResources requests.cpu, requests.memory, limits.memory, limits.cpu",
      "step build runs privileged",
    ]);
  });
});

// ---- the opt-ins' rules, on what the program renders (compliant) and on one change each (violating) ----

const prod = parseTopology(rawStack("prod"), "prod");
const renderedWith = (raw: Record<string, unknown>) => renderPlatform(planPlatform({ ...k3sClusterFacts(prod), settings: parsePlatformSettings(raw, prod) }));

describe("registry-authenticated-on-a-claim", () => {
  const zot = renderedWith({ registry: { volumeGiB: 10, mirrors: [] } }).values.zot!;
  const release = (values: unknown, chart = "zot") => fake(RELEASE, { chart, version: "0.1.122", values });
  type ZotConfig = { http: { auth?: unknown; accessControl: { repositories: Record<string, Record<string, unknown>> } } };
  const withConfig = (edit: (config: ZotConfig) => void) => {
    const config = JSON.parse(zot.configFiles["config.json"]) as ZotConfig;
    edit(config);
    return { ...zot, configFiles: { "config.json": JSON.stringify(config) } };
  };
  it("passes zot's values as the registry opt-in renders them; ignores other charts", async () => {
    expect(await check(registryAuthenticatedOnClaim, [release(zot)])).toEqual([]);
    expect(await check(registryAuthenticatedOnClaim, [release({}, "traefik")])).toEqual([]);
  });
  it("refuses anonymous access: an anonymousPolicy, no authentication, or the image's own config", async () => {
    const anonymous = withConfig((c) => (c.http.accessControl.repositories["**"].anonymousPolicy = ["read"]));
    expect(await check(registryAuthenticatedOnClaim, [release(anonymous)])).toEqual(['config.json http.accessControl.repositories.**.anonymousPolicy lets anonymous clients read']);
    const noAuth = withConfig((c) => delete c.http.auth);
    expect(await check(registryAuthenticatedOnClaim, [release(noAuth)])).toEqual(["config.json http.auth sets none of htpasswd, ldap, openid, bearer: every client is anonymous"]);
    expect(await check(registryAuthenticatedOnClaim, [release({ ...zot, mountConfig: false })])).toEqual([expect.stringMatching(/^values.mountConfig .* authenticates nobody$/)]);
  });
  it("refuses images off a claim (the chart's default: persistence false)", async () => {
    expect(await check(registryAuthenticatedOnClaim, [release({ ...zot, persistence: false })])).toEqual([expect.stringMatching(/^values.persistence is not on a claim/)]);
    expect(await check(registryAuthenticatedOnClaim, [release({ ...zot, pvc: { create: false } })])).toEqual([expect.stringMatching(/^values.persistence is not on a claim/)]);
  });
});

describe("gitops-projects-bounded", () => {
  const g = parsePlatformSettings({ gitops: GITOPS_EXAMPLE }, prod).gitops!;
  const ARGO = "argoproj.io/v1alpha1";
  const project = (name: string, spec: unknown, type = "AppProject") => fake(`kubernetes:${ARGO}:${type}`, { apiVersion: ARGO, kind: "AppProject", metadata: { name, namespace: "argocd" }, spec });
  const app = (name: string, project: string | undefined) => fake(`kubernetes:${ARGO}:Application`, { kind: "Application", metadata: { name, namespace: "argocd" }, spec: { project } });
  // The platform deploys into monitoring (a release) and the apps stage into apps (a Deployment).
  const platform = [fake(RELEASE, { chart: "kube-prometheus-stack", namespace: "monitoring" }), fake("kubernetes:apps/v1:Deployment", { metadata: { name: "api", namespace: "apps" } })];
  const programs = () => [...platform, project("gitops", appProjectSpec(g)), project("default", lockedDefaultProjectSpec(), "AppProjectPatch"), ...applications(g).map((a) => app(a.name, a.spec.project))];
  it("passes the gitops opt-in's AppProject, the default project's lock-down and its Applications", async () => {
    expect(await check(gitopsBounded, programs())).toEqual([]);
  });
  it("refuses a destination the program deploys into, Kubernetes' own, one by glob, and any cluster-scoped kind", async () => {
    const spec = appProjectSpec(g);
    const open = { ...spec, destinations: [...spec.destinations, ...["monitoring", "apps", "kube-system", "shop-*"].map((namespace) => ({ server: "https://kubernetes.default.svc", namespace }))], clusterResourceWhitelist: [{ group: "*", kind: "*" }] };
    expect(await check(gitopsBounded, [...platform, project("gitops", open)])).toEqual([
      'AppProject gitops allows cluster-scoped kinds (clusterResourceWhitelist [{"group":"*","kind":"*"}]): leave it empty',
      "AppProject gitops allows namespace monitoring, which the program (or Kubernetes) deploys into itself",
      "AppProject gitops allows namespace apps, which the program (or Kubernetes) deploys into itself",
      "AppProject gitops allows namespace kube-system, which the program (or Kubernetes) deploys into itself",
      "AppProject gitops allows destination https://kubernetes.default.svc shop-* by glob: name one namespace",
    ]);
  });
  it("refuses the default project as argocd-server creates it (a Patch that does not empty it)", async () => {
    const created = { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] };
    expect(await check(gitopsBounded, [project("default", created, "AppProjectPatch")])).toHaveLength(2);
  });
  it("refuses an Application in the default project, with none, or in a project the program does not define", async () => {
    expect(await check(gitopsBounded, [...programs(), app("a", "default"), app("b", undefined), app("c", "other")])).toEqual([
      "Application a uses Argo CD's default project: name the program's AppProject",
      "Application b uses Argo CD's default project: name the program's AppProject",
      "Application c names project other, which the program does not define",
    ]);
  });
});

describe("vpa-recommendation-only", () => {
  const vpa = (mode: unknown) => {
    const doc = vpaFor({ namespace: "apps", kind: "Deployment", name: "api" });
    return fake("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler", { metadata: { name: doc.name, namespace: doc.namespace }, spec: { ...doc.spec, updatePolicy: mode === undefined ? undefined : { updateMode: mode } } });
  };
  const release = (values: unknown) => fake(RELEASE, { chart: "vertical-pod-autoscaler", version: "0.11.0", values });
  it("passes the opt-in's VerticalPodAutoscalers and release values", async () => {
    const doc = vpaFor({ namespace: "apps", kind: "Deployment", name: "api" });
    expect(await check(vpaRecommendOnly, [fake("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler", { metadata: { name: doc.name }, spec: doc.spec }), release(vpaValues())])).toEqual([]);
  });
  it("refuses a VerticalPodAutoscaler that would act (Auto, Recreate, or no mode: the VPA's default is Auto)", async () => {
    expect(await check(vpaRecommendOnly, [vpa("Auto"), vpa("Recreate"), vpa(undefined)])).toHaveLength(3);
  });
  it("refuses the updater or the admission controller left on (the chart's defaults)", async () => {
    expect(await check(vpaRecommendOnly, [release({ ...vpaValues(), updater: { enabled: true } }), release({ recommender: { enabled: true } })])).toEqual([
      "values.updater.enabled is not false (the chart's default is true): it would resize pods",
      "values.updater.enabled is not false (the chart's default is true): it would resize pods",
      "values.admissionController.enabled is not false (the chart's default is true): it would resize pods",
    ]);
  });
});

describe("logs-retention-set", () => {
  const loki = (values: unknown) => fake(RELEASE, { chart: "loki", version: "7.3.0", namespace: "logging", values });
  const lokiWith = (edit: (v: ReturnType<typeof lokiValues>) => void) => {
    const v = structuredClone(lokiValues(parsePlatformSettings({ logs: { stack: "loki", retentionDays: 7 } }, prod).logs!));
    edit(v);
    return loki(v);
  };
  const elk = renderedWith({ logs: { stack: "elk", retentionDays: 7, volumeGiB: 10 } });
  const eckStack = fake(RELEASE, { chart: "eck-stack", version: "0.20.0", namespace: "logging", values: elk.values.eckStack });
  const job = (spec: unknown, namespace = "logging") => fake("kubernetes:batch/v1:Job", { metadata: { name: "logs-retention", namespace }, spec });
  const retentionJob = elk.logsRetentionJob!;

  it("passes Loki's values and the ELK stack with its retention Job as the logs opt-in renders them", async () => {
    expect(await check(logsRetentionSet, [lokiWith(() => undefined)])).toEqual([]);
    expect(await check(logsRetentionSet, [lokiWith((v) => (v.loki.limits_config.retention_period = "1d12h"))])).toEqual([]);
    expect(await check(logsRetentionSet, [eckStack, job(retentionJob)])).toEqual([]);
  });
  it("refuses Loki keeping logs forever: the compactor's retention off, or a zero period", async () => {
    expect(await check(logsRetentionSet, [lokiWith((v) => ((v.loki.compactor as { retention_enabled: boolean }).retention_enabled = false))])).toEqual(["loki: values.loki.compactor.retention_enabled is not true: Loki never deletes a log"]);
    expect(await check(logsRetentionSet, [lokiWith((v) => (v.loki.limits_config.retention_period = "0s"))])).toEqual(['loki: values.loki.limits_config.retention_period is "0s": set a non-zero duration (e.g. 168h)']);
  });
  it("refuses the ELK stack without the retention Job in its namespace, or with an ILM policy that deletes nothing", async () => {
    const message = "eck-stack in logging: no Job there puts an ILM policy with a delete phase (env ILM_POLICY): Elasticsearch would keep every index";
    expect(await check(logsRetentionSet, [eckStack])).toEqual([message]);
    expect(await check(logsRetentionSet, [eckStack, job(retentionJob, "default")])).toEqual([message]);
    const noDelete = structuredClone(retentionJob);
    const env = noDelete.template.spec.containers[0].env as { name: string; value?: string }[];
    const ilm = env.find((e) => e.name === "ILM_POLICY")!;
    ilm.value = JSON.stringify({ policy: { phases: { hot: { min_age: "0ms", actions: {} } } } });
    expect(await check(logsRetentionSet, [eckStack, job(noDelete)])).toEqual([message]);
  });
});
