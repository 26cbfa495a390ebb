/**
 * The FlatcarMicroCloud policies (Pulumi CrossGuard), as plain data: policy/index.ts serves them
 * (`pulumi preview --policy-pack policy`), the offline plan and the tests call them directly.
 *
 * What a policy sees: each resource's inputs with secrets already decrypted (CrossGuard gives
 * policies no way to tell a secret from plain text: pulumi/pulumi-policy#241), its options
 * (`protect`, ...), and for stack policies the dependency graph.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { looksSecretKey, PRIVATE_KEY_BLOCK } from "./secret-keys";

type Props = Record<string, unknown>;
type Path = (string | number)[];

const HELM_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart"];
const VOLUME = "libvirt:index/volume:Volume";
const DOMAIN = "libvirt:index/domain:Domain";

function isObj(v: unknown): v is Props {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function at(v: unknown, path: Path): unknown {
  let cur = v;
  for (const k of path) {
    if (Array.isArray(cur) && typeof k === "number") cur = cur[k];
    else if (isObj(cur) && typeof k === "string") cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** Every (path, value) pair under `v`, depth first. */
function* walk(v: unknown, path: Path = []): Generator<[Path, unknown]> {
  yield [path, v];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* walk(v[i], [...path, i]);
  else if (isObj(v)) for (const [k, c] of Object.entries(v)) yield* walk(c, [...path, k]);
}

function show(path: Path): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

// ---- Helm: pinned versions ----------------------------------------------------------------------

/** An exact SemVer 2 version (Helm accepts a leading v): no ranges, wildcards or tags like `latest`. */
export const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmPinnedVersion: ResourceValidationPolicy = {
  name: "helm-release-pinned-version",
  description: "Every Helm release names an exact chart version (no range, no `latest`, not left to the repository's newest).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!HELM_TYPES.includes(args.type)) return;
    const version = args.props.version as unknown;
    if (typeof version !== "string" || version === "") {
      report(`Helm chart ${String(args.props.chart)} has no version: the repository's newest would be installed. Pin an exact version.`);
    } else if (!EXACT_VERSION.test(version)) {
      report(`Helm chart ${String(args.props.chart)} version "${version}" is not an exact version. Pin one (e.g. 41.3.0).`);
    }
  },
};

// ---- requests and limits ------------------------------------------------------------------------

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATH: Record<string, Path> = {
  "kubernetes:core/v1:Pod": ["spec"],
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

interface ResourcesConfig {
  /** Also require a CPU limit (default true). */
  requireCpuLimit?: boolean;
  /** Helm release names that may set no `resources` at all (charts of CRDs only, say). */
  exemptReleases?: string[];
}

/** What a `resources` block lacks: `requests.cpu`, `limits.memory`, ... */
function missingAmounts(resources: unknown, requireCpuLimit: boolean): string[] {
  const needed: Path[] = [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]];
  if (requireCpuLimit) needed.push(["limits", "cpu"]);
  return needed.filter((p) => {
    const v = at(resources, p);
    return v === undefined || v === null || v === "";
  }).map((p) => p.join("."));
}

/**
 * A `resources` block in chart values: either requests and limits for one workload, or (Rook's
 * `cephClusterSpec.resources`) one such block per component.
 */
function checkValuesResources(path: Path, block: Props, requireCpuLimit: boolean): string[] {
  // Storage requests of a volume claim (`resources.requests.storage`) are not compute resources.
  if (path.some((k) => typeof k === "string" && /volumeClaimTemplate/i.test(k)) || at(block, ["requests", "storage"]) !== undefined) return [];
  const direct = "requests" in block || "limits" in block;
  if (direct || Object.keys(block).length === 0) {
    const missing = missingAmounts(block, requireCpuLimit);
    return missing.length > 0 ? [`${show(path)} lacks ${missing.join(", ")}`] : [];
  }
  return Object.entries(block).flatMap(([component, inner]) =>
    isObj(inner) ? checkValuesResources([...path, component], inner, requireCpuLimit) : [`${show([...path, component])} is not a requests/limits block`],
  );
}

export const requestsAndLimits: ResourceValidationPolicy = {
  name: "workloads-have-requests-and-limits",
  description: "Every workload sets CPU and memory requests and limits, so the capacity check and the scheduler see what it needs.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      requireCpuLimit: { type: "boolean", default: true },
      exemptReleases: { type: "array", items: { type: "string" }, default: [] },
    },
  },
  validateResource: (args, report) => {
    const config = args.getConfig<ResourcesConfig>();
    const requireCpuLimit = config.requireCpuLimit ?? true;
    const podSpecPath = POD_SPEC_PATH[args.type];
    if (podSpecPath) {
      const spec = at(args.props, podSpecPath);
      for (const list of ["initContainers", "containers"]) {
        const containers = at(spec, [list]);
        if (!Array.isArray(containers)) continue;
        containers.forEach((c: unknown, i) => {
          const missing = missingAmounts(at(c, ["resources"]), requireCpuLimit);
          const named = at(c, ["name"]);
          const name = typeof named === "string" ? named : String(i);
          if (missing.length > 0) report(`container ${name} (${list}) lacks resources ${missing.join(", ")}`);
        });
      }
      return;
    }
    if (HELM_TYPES.includes(args.type)) {
      const values: unknown = args.props.values;
      const blocks = [...walk(values)].filter(([p, v]) => p[p.length - 1] === "resources" && isObj(v)) as [Path, Props][];
      const release = String(args.props.name ?? args.name);
      if (blocks.length === 0 && !(config.exemptReleases ?? []).includes(release)) {
        report(`Helm release ${release} sets no resources in its values: the chart's defaults (often none) would apply`);
      }
      for (const [p, block] of blocks) for (const problem of checkValuesResources(["values", ...p], block, requireCpuLimit)) report(problem);
      return;
    }
    // Custom resources that run pods (Strimzi's KafkaNodePool, ...) keep `resources` in their spec.
    if (
      args.type.startsWith("kubernetes:") &&
      !args.type.startsWith("kubernetes:apiextensions.k8s.io") &&
      !args.type.startsWith("kubernetes:rbac") &&
      args.type !== "kubernetes:core/v1:PersistentVolumeClaim"
    ) {
      for (const [p, v] of walk(args.props.spec, ["spec"])) {
        if (p[p.length - 1] === "resources" && isObj(v)) for (const problem of checkValuesResources(p, v, requireCpuLimit)) report(problem);
      }
    }
  },
};

// ---- no LoadBalancer Services -------------------------------------------------------------------

/**
 * Charts whose default Service is a LoadBalancer: their values must say otherwise. (K3s's
 * servicelb is disabled: such a Service would stay Pending, and the load balancer VM is the entry.)
 */
const LOADBALANCER_BY_DEFAULT: { chart: RegExp; typePath: Path; enabledPath: Path }[] = [
  { chart: /(^|\/)traefik$/, typePath: ["service", "spec", "type"], enabledPath: ["service", "enabled"] },
];

export const noLoadBalancer: ResourceValidationPolicy = {
  name: "no-loadbalancer-service",
  description: "No Service of type LoadBalancer: K3s's servicelb is off and traffic enters through the load balancer VM (NodePorts).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === "kubernetes:core/v1:Service") {
      if (at(args.props, ["spec", "type"]) === "LoadBalancer") report("Service type LoadBalancer: use NodePort behind the load balancer VM");
      return;
    }
    if (!HELM_TYPES.includes(args.type)) return;
    const values: unknown = args.props.values;
    for (const [p, v] of walk(values, ["values"])) {
      if (p[p.length - 1] === "type" && v === "LoadBalancer") report(`${show(p)} is LoadBalancer: use NodePort behind the load balancer VM`);
    }
    const chart = String(args.props.chart ?? "");
    for (const d of LOADBALANCER_BY_DEFAULT) {
      if (!d.chart.test(chart) || at(values, d.enabledPath) === false) continue;
      if (at(values, d.typePath) === undefined) {
        report(`chart ${chart} creates a LoadBalancer Service unless values.${show(d.typePath)} says otherwise (e.g. NodePort)`);
      }
    }
  },
};

// ---- reboots coordinated ------------------------------------------------------------------------

/**
 * kured's chart values that make its reboots safe, each a setting the chart accepts silently when it
 * is wrong: the chart drops `rebootSentinelCommand` unless `useRebootSentinelHostPath` is false (and
 * then watches a file Flatcar's update-engine may not have written), reboots several nodes at once
 * with `concurrency` above 1, reboots past an unfinished drain with `forceReboot`, and without
 * `prometheusUrl` reboots whatever the alerts (Ceph's health among them) say.
 */
export const rebootsCoordinated: ResourceValidationPolicy = {
  name: "reboots-coordinated",
  description:
    "A kured release reboots one node at a time (concurrency 1), only after a finished drain (no forceReboot, a drainTimeout), " +
    "gated on Prometheus's alerts (prometheusUrl), with its sentinel command actually passed (useRebootSentinelHostPath false).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!HELM_TYPES.includes(args.type) || !/(^|\/)kured$/.test(String(args.props.chart ?? ""))) return;
    const c = at(args.props.values, ["configuration"]);
    const setting = (key: string) => at(c, [key]);
    const concurrency = setting("concurrency");
    if (concurrency !== 1) report(`values.configuration.concurrency is ${concurrency === undefined ? "unset" : JSON.stringify(concurrency)}: reboot one node at a time (1)`);
    if (setting("forceReboot") === true) report("values.configuration.forceReboot reboots a node whose drain did not finish: leave it false");
    const drainTimeout = setting("drainTimeout");
    if (typeof drainTimeout !== "string" || drainTimeout === "" || /^0+[a-z]*$/.test(drainTimeout)) {
      report("values.configuration.drainTimeout is unset: a drain blocked by a PodDisruptionBudget would hold the reboot lock forever");
    }
    const url = setting("prometheusUrl");
    if (typeof url !== "string" || url === "") report("values.configuration.prometheusUrl is unset: reboots would ignore every alert, Ceph's health included");
    const command = setting("rebootSentinelCommand");
    if (typeof command === "string" && command !== "" && setting("useRebootSentinelHostPath") !== false) {
      report("values.configuration.rebootSentinelCommand is dropped by the chart unless useRebootSentinelHostPath is false");
    }
  },
};

// ---- secrets in plain resource properties -------------------------------------------------------

/**
 * Properties that carry secrets by design, and that the program must therefore always pass as
 * secrets (the tests check that under the mock engine, where secretness is visible): the SSH
 * connection of a remote command, a Kubernetes Secret's data, a provider's kubeconfig.
 */
export const SECRET_CARRIERS: Record<string, string[]> = {
  "command:remote:Command": ["connection"],
  "command:remote:CopyToRemote": ["connection"],
  "kubernetes:core/v1:Secret": ["data", "stringData"],
  "pulumi:providers:kubernetes": ["kubeconfig"],
};

/** The first-boot documents through which stage 1 hands a VM its own secrets (secret there when they do). */
const FIRST_BOOT_CARRIERS: Record<string, string[]> = {
  "libvirt:index/cloudinitDisk:CloudinitDisk": ["userData"],
  "libvirt:index/ignition:Ignition": ["content"],
};

/** A Kubernetes object name (DNS-1123 subdomain). */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const noPlaintextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secrets",
  description:
    "No secret-looking value (a key named *password, *token, *secret, *privateKey, ... or a private key block) in a resource property " +
    "other than the few that carry secrets by design: read secrets with config.requireSecret and hand them to workloads as Kubernetes Secrets (existingSecret).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const carriers = [...(SECRET_CARRIERS[args.type] ?? []), ...(FIRST_BOOT_CARRIERS[args.type] ?? [])];
    for (const [p, v] of walk(args.props)) {
      if (p.length === 0 || carriers.includes(String(p[0]))) continue;
      if (typeof v !== "string" || v === "") continue;
      const key = [...p].reverse().find((k): k is string => typeof k === "string") ?? "";
      const last = p[p.length - 1];
      // A container env entry: { name: DB_PASSWORD, value: ... }.
      const envName = last === "value" ? at(args.props, [...p.slice(0, -1), "name"]) : undefined;
      if (PRIVATE_KEY_BLOCK.test(v)) report(`${show(p)} holds a private key in a plain property`);
      // In Kubernetes objects a field named just `secret` names a Secret (Traefik's basicAuth.secret).
      else if (key.toLowerCase() === "secret" && OBJECT_NAME.test(v)) continue;
      else if (looksSecretKey(key) && typeof last === "string") report(`${show(p)} looks like a secret in a plain property`);
      else if (typeof envName === "string" && looksSecretKey(envName)) report(`${show(p)} (${envName}) looks like a secret in a plain env value: use valueFrom.secretKeyRef`);
    }
  },
};

// ---- stateful disks protected -------------------------------------------------------------------

/** Roles whose root disk holds data of their own (the directory, the database): see config/topology.ts. */
export const STATEFUL_ROLES = ["freeipa", "postgresql"];

/** The role stage 1 writes into each domain's description: `FlatcarMicroCloud <stack>: <role> (<os>)`. */
export function roleOfDomain(props: Props): string | undefined {
  const d = props.description;
  return typeof d === "string" ? /: ([a-z0-9-]+) \((rocky|flatcar)\)$/.exec(d)?.[1] : undefined;
}

interface ProtectConfig {
  /** A disposable stack (a workstation's dev stack) may leave its disks unprotected. */
  disposable?: boolean;
}

export const statefulDisksProtected: StackValidationPolicy = {
  name: "stateful-disks-protected",
  description:
    "Disks that hold data are protected from deletion: every Ceph OSD volume (`*-ceph-osd.raw`) and the disks of the FreeIPA and PostgreSQL VMs.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { disposable: { type: "boolean", default: false } } },
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    if (args.getConfig<ProtectConfig>().disposable) return;
    const volumes = args.resources.filter((r) => r.type === VOLUME);
    for (const v of volumes) {
      if (String(v.props.name ?? "").endsWith("-ceph-osd.raw") && !v.opts.protect) {
        report(`Ceph OSD volume ${String(v.props.name)} is not protected (protect: true)`, v.urn);
      }
    }
    for (const d of args.resources.filter((r) => r.type === DOMAIN)) {
      const role = roleOfDomain(d.props);
      if (!role || !STATEFUL_ROLES.includes(role)) continue;
      const disks: PolicyResource[] = (d.propertyDependencies.disks ?? []).filter((r) => r.type === VOLUME);
      if (disks.length === 0) report(`${role} VM ${String(d.props.name)}: its disks cannot be traced to volumes`, d.urn);
      for (const disk of disks) {
        // The resource's own name: a root volume's libvirt name carries a hash unknown in a preview.
        if (!disk.opts.protect) report(`disk ${disk.name} of ${role} VM ${String(d.props.name)} is not protected (protect: true)`, disk.urn);
      }
    }
  },
};

// ---- K3s server count ---------------------------------------------------------------------------

export const oddServerCount: StackValidationPolicy = {
  name: "k3s-server-count-odd",
  description: "An odd number of K3s servers: etcd needs a majority, so an even count tolerates no more failures than one server fewer.",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const servers = args.resources.filter((r) => r.type === DOMAIN && roleOfDomain(r.props) === "k3s-server");
    if (servers.length > 0 && servers.length % 2 === 0) {
      report(`${servers.length} K3s servers (${servers.map((s) => String(s.props.name)).join(", ")}): add or remove one for an odd count`);
    }
  },
};

// ---- certificates FreeIPA can sign ---------------------------------------------------------------

const CLUSTER_ISSUER_TYPE = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const CERTIFICATE_TYPE = "kubernetes:cert-manager.io/v1:Certificate";
/** The key sizes FreeIPA's ACME profile admits (`acmeIPAServerCert.cfg`: keyType=RSA, keyParameters). */
const FREEIPA_RSA_SIZES = [2048, 3072, 4096, 8192];

interface FreeipaIssuerConfig {
  /** ClusterIssuers known to be FreeIPA's, by name (their spec may be unknown in a first preview). */
  issuers?: string[];
}

/** Dogtag's ACME responder serves its directory at `/acme/directory` (Let's Encrypt's is `/directory`). */
function isFreeipaAcmeServer(server: unknown): boolean {
  if (typeof server !== "string") return false;
  try {
    return new URL(server).pathname === "/acme/directory";
  } catch {
    return false;
  }
}

/**
 * FreeIPA's ACME profile (`install/share/profiles/acmeIPAServerCert.cfg`, every release through
 * 4.13.3) signs RSA keys of 2048, 3072, 4096 or 8192 bits and nothing else: an ECDSA request fails,
 * and cert-manager then waits 1 h, 2 h, ... 32 h before it asks again, while the routes serve
 * Traefik's self-signed default. cert-manager's default key is RSA 2048 (no `privateKey`).
 */
export const freeipaCertificateKeys: StackValidationPolicy = {
  name: "freeipa-certificate-keys",
  description:
    "A Certificate issued by FreeIPA's ACME service (a ClusterIssuer on a /acme/directory server, or named in the config) asks for an " +
    "RSA key of 2048, 3072, 4096 or 8192 bits, the only keys FreeIPA's ACME profile signs.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { issuers: { type: "array", items: { type: "string" }, default: ["freeipa-acme"] } } },
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const freeipa = new Set(args.getConfig<FreeipaIssuerConfig>().issuers ?? []);
    for (const issuer of args.resources.filter((r) => r.type === CLUSTER_ISSUER_TYPE)) {
      const name = at(issuer.props, ["metadata", "name"]);
      if (typeof name === "string" && isFreeipaAcmeServer(at(issuer.props, ["spec", "acme", "server"]))) freeipa.add(name);
    }
    for (const cert of args.resources.filter((r) => r.type === CERTIFICATE_TYPE)) {
      const ref = at(cert.props, ["spec", "issuerRef"]);
      const issuerName = at(ref, ["name"]);
      if (at(ref, ["kind"]) !== "ClusterIssuer" || typeof issuerName !== "string" || !freeipa.has(issuerName)) continue;
      const algorithm = at(cert.props, ["spec", "privateKey", "algorithm"]) ?? "RSA";
      const size = at(cert.props, ["spec", "privateKey", "size"]) ?? 2048;
      const named = at(cert.props, ["metadata", "name"]);
      const certName = typeof named === "string" ? named : cert.name;
      if (algorithm !== "RSA") {
        report(`Certificate ${certName}: FreeIPA's ACME issuer ${issuerName} signs RSA keys only, not ${JSON.stringify(algorithm)}: set spec.privateKey.algorithm RSA`, cert.urn);
      } else if (typeof size !== "number" || !FREEIPA_RSA_SIZES.includes(size)) {
        report(`Certificate ${certName}: FreeIPA's ACME issuer ${issuerName} signs RSA keys of ${FREEIPA_RSA_SIZES.join(", ")} bits, not ${JSON.stringify(size)}`, cert.urn);
      }
    }
  },
};

// ---- pinned, hardened app containers -----------------------------------------------------------

/** A tag after the last `/` (not `latest`), or a sha256 digest. */
function imagePinned(image: string): boolean {
  const [name, digest] = image.split("@");
  if (digest !== undefined) return /^sha256:[a-f0-9]{64}$/.test(digest);
  const tag = name.slice(name.lastIndexOf("/") + 1).split(":")[1];
  return tag !== undefined && tag !== "" && tag !== "latest";
}

export const podsPinnedAndHardened: ResourceValidationPolicy = {
  name: "pods-pinned-and-hardened",
  description:
    "Workloads the program defines itself (Deployments, StatefulSets, ...) pin their images by tag or digest (never latest) and run " +
    "non-root with a read-only root filesystem, no privilege escalation and all capabilities dropped.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const podSpecPath = POD_SPEC_PATH[args.type];
    if (!podSpecPath) return;
    const spec = at(args.props, podSpecPath);
    const podNonRoot = at(spec, ["securityContext", "runAsNonRoot"]) === true;
    for (const list of ["initContainers", "containers"]) {
      const containers = at(spec, [list]);
      if (!Array.isArray(containers)) continue;
      containers.forEach((c: unknown, i) => {
        const named = at(c, ["name"]);
        const name = typeof named === "string" ? named : String(i);
        const image = at(c, ["image"]);
        if (typeof image !== "string" || !imagePinned(image)) report(`container ${name}: image ${String(image)} is not pinned by a tag or digest (latest moves)`);
        const sc = at(c, ["securityContext"]);
        const missing = [
          podNonRoot || at(sc, ["runAsNonRoot"]) === true ? undefined : "runAsNonRoot",
          at(sc, ["readOnlyRootFilesystem"]) === true ? undefined : "readOnlyRootFilesystem",
          at(sc, ["allowPrivilegeEscalation"]) === false ? undefined : "allowPrivilegeEscalation: false",
          (at(sc, ["capabilities", "drop"]) as unknown[] | undefined)?.includes("ALL") ? undefined : "capabilities.drop [ALL]",
        ].filter((m): m is string => m !== undefined);
        if (missing.length > 0) report(`container ${name} lacks ${missing.join(", ")}`);
      });
    }
  },
};

// ---- build steps ---------------------------------------------------------------------------------

const TEKTON_TASK = "kubernetes:tekton.dev/v1:Task";
/** The one namespace whose build pods may run without the runtime's seccomp or AppArmor profile (docs/builds.md). */
export const BUILDS_NAMESPACE = "builds";

export const buildStepsBounded: ResourceValidationPolicy = {
  name: "build-steps-pinned-and-bounded",
  description:
    "Tekton Task steps pin their images (never latest) and set computeResources requests and limits; a step may drop the runtime's " +
    "seccomp or AppArmor profile (rootless BuildKit) only in the builds namespace, and none runs privileged.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TEKTON_TASK) return;
    const namespace = at(args.props, ["metadata", "namespace"]);
    const steps = at(args.props, ["spec", "steps"]);
    if (!Array.isArray(steps)) return;
    steps.forEach((step: unknown, i) => {
      const named = at(step, ["name"]);
      const name = typeof named === "string" ? named : String(i);
      const image = at(step, ["image"]);
      if (typeof image !== "string" || !imagePinned(image)) report(`step ${name}: image ${String(image)} is not pinned by a tag or digest (latest moves)`);
      const missing = missingAmounts(at(step, ["computeResources"]), true);
      if (missing.length > 0) report(`step ${name} lacks computeResources ${missing.join(", ")}`);
      const sc = at(step, ["securityContext"]);
      if (at(sc, ["privileged"]) === true) report(`step ${name} runs privileged`);
      const unconfined = at(sc, ["seccompProfile", "type"]) === "Unconfined" || at(sc, ["appArmorProfile", "type"]) === "Unconfined";
      if (unconfined && namespace !== BUILDS_NAMESPACE) report(`step ${name} runs without the runtime's seccomp or AppArmor profile outside the ${BUILDS_NAMESPACE} namespace`);
    });
  },
};

// ---- opt-ins: the registry ----------------------------------------------------------------------

/** zot's own ways to authenticate a client (pkg/api/config AuthConfig); without one every client is anonymous. */
const ZOT_AUTH = ["htpasswd", "ldap", "openid", "bearer"];

/** What is wrong with a zot release's values: the config it mounts, its authentication, its storage. */
function zotProblems(values: unknown): string[] {
  const problems: string[] = [];
  const text = at(values, ["configFiles", "config.json"]);
  let config: unknown;
  if (at(values, ["mountConfig"]) !== true || typeof text !== "string") {
    problems.push("values.mountConfig and values.configFiles[\"config.json\"] are not set: zot runs the image's own config, which authenticates nobody");
  } else {
    try {
      config = JSON.parse(text);
    } catch {
      problems.push("values.configFiles[\"config.json\"] is not JSON");
    }
  }
  if (config !== undefined) {
    const auth = at(config, ["http", "auth"]);
    if (!ZOT_AUTH.some((k) => isObj(at(auth, [k])))) problems.push(`config.json http.auth sets none of ${ZOT_AUTH.join(", ")}: every client is anonymous`);
    for (const [path, v] of walk(at(config, ["http", "accessControl"]), ["http", "accessControl"])) {
      if (path[path.length - 1] === "anonymousPolicy" && Array.isArray(v) && v.length > 0) problems.push(`config.json ${show(path)} lets anonymous clients ${v.join(", ")}`);
    }
  }
  const claim = at(values, ["pvc", "create"]) === true || (typeof at(values, ["pvc", "name"]) === "string" && at(values, ["pvc", "name"]) !== "");
  if (at(values, ["persistence"]) !== true || !claim) problems.push("values.persistence is not on a claim (persistence true with pvc.create or pvc.name): the images would live in the pod's emptyDir and go with it");
  return problems;
}

export const registryAuthenticatedOnClaim: ResourceValidationPolicy = {
  name: "registry-authenticated-on-a-claim",
  description:
    "A zot release mounts its own config.json, which authenticates every client (htpasswd, LDAP, OpenID or bearer) and gives anonymous " +
    "clients no action, and keeps its images on a persistent volume claim.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!HELM_TYPES.includes(args.type) || !/(^|\/)zot$/.test(String(args.props.chart ?? ""))) return;
    for (const problem of zotProblems(args.props.values)) report(problem);
  },
};

// ---- opt-ins: GitOps -----------------------------------------------------------------------------

const ARGOCD_TYPES = { project: "kubernetes:argoproj.io/v1alpha1:AppProject", projectPatch: "kubernetes:argoproj.io/v1alpha1:AppProjectPatch", application: "kubernetes:argoproj.io/v1alpha1:Application" };
/** Argo CD's built-in project: it allows everything unless emptied, so no Application of the program's may use it. */
const ARGOCD_DEFAULT_PROJECT = "default";
/** Kubernetes' own namespaces. */
const KUBERNETES_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
/** A glob Argo CD matches destinations with (`*`, `?`, `[...]`). */
const GLOB = /[*?[]/;

/** The namespaces the stack deploys into itself: its Helm releases' and its workloads'. */
function deployedNamespaces(resources: { type: string; props: Props }[]): Set<string> {
  const names = resources.flatMap((r) => {
    const ns = HELM_TYPES.includes(r.type) ? r.props.namespace : POD_SPEC_PATH[r.type] ? at(r.props, ["metadata", "namespace"]) : undefined;
    return typeof ns === "string" && ns !== "" ? [ns] : [];
  });
  return new Set([...KUBERNETES_NAMESPACES, ...names]);
}

/**
 * What an AppProject lets Argo CD do beyond its bounds: any cluster-scoped kind, a destination by
 * glob, or a destination namespace the program deploys into itself (the platform's, the apps stage's)
 * or Kubernetes' own. Deny entries (`!name`) only narrow, so they are not checked.
 */
function projectProblems(name: string, spec: unknown, platform: Set<string>): string[] {
  const problems: string[] = [];
  const whitelist = at(spec, ["clusterResourceWhitelist"]);
  if (Array.isArray(whitelist) && whitelist.length > 0) problems.push(`AppProject ${name} allows cluster-scoped kinds (clusterResourceWhitelist ${JSON.stringify(whitelist)}): leave it empty`);
  const destinations = at(spec, ["destinations"]);
  for (const d of Array.isArray(destinations) ? destinations : []) {
    const namespace = at(d, ["namespace"]);
    const server = at(d, ["server"]);
    if (typeof namespace !== "string" || namespace.startsWith("!")) continue;
    if (GLOB.test(namespace) || (typeof server === "string" && GLOB.test(server))) problems.push(`AppProject ${name} allows destination ${String(server)} ${namespace} by glob: name one namespace`);
    else if (platform.has(namespace)) problems.push(`AppProject ${name} allows namespace ${namespace}, which the program (or Kubernetes) deploys into itself`);
  }
  return problems;
}

export const gitopsBounded: StackValidationPolicy = {
  name: "gitops-projects-bounded",
  description:
    "Argo CD's AppProjects (and the program's patch of its built-in default project) allow no cluster-scoped kind, no destination by glob and " +
    "no namespace the program deploys into itself or Kubernetes' own; every Application names one of the program's AppProjects, never default.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const platform = deployedNamespaces(args.resources);
    const projects = args.resources.filter((r) => r.type === ARGOCD_TYPES.project || r.type === ARGOCD_TYPES.projectPatch);
    for (const p of projects) {
      for (const problem of projectProblems(String(at(p.props, ["metadata", "name"])), p.props.spec, platform)) report(problem);
    }
    const own = new Set(projects.filter((p) => p.type === ARGOCD_TYPES.project).map((p) => at(p.props, ["metadata", "name"])));
    own.delete(ARGOCD_DEFAULT_PROJECT);
    for (const app of args.resources.filter((r) => r.type === ARGOCD_TYPES.application)) {
      const project = at(app.props, ["spec", "project"]);
      const name = String(at(app.props, ["metadata", "name"]));
      if (typeof project !== "string" || project === "" || project === ARGOCD_DEFAULT_PROJECT) report(`Application ${name} uses Argo CD's default project: name the program's AppProject`);
      else if (!own.has(project)) report(`Application ${name} names project ${project}, which the program does not define`);
    }
  },
};

// ---- opt-ins: the Vertical Pod Autoscaler ----------------------------------------------------------

const VPA_TYPE = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler";
/** The chart's components that act on pods, both on by default (vertical-pod-autoscaler 0.11.0 values.yaml). */
const VPA_ACTING = ["updater", "admissionController"];

export const vpaRecommendOnly: ResourceValidationPolicy = {
  name: "vpa-recommendation-only",
  description:
    "VerticalPodAutoscalers only recommend (updatePolicy.updateMode Off) and a vertical-pod-autoscaler release turns its updater and " +
    "admission controller off: nothing evicts or resizes a pod behind the capacity check's back.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === VPA_TYPE) {
      const mode = at(args.props, ["spec", "updatePolicy", "updateMode"]);
      if (mode !== "Off") report(`VerticalPodAutoscaler ${String(at(args.props, ["metadata", "name"]))}: updatePolicy.updateMode is ${mode === undefined ? "unset (the VPA's default is Auto)" : JSON.stringify(mode)}: set "Off" (recommendations only)`);
      return;
    }
    if (!HELM_TYPES.includes(args.type) || !/(^|\/)vertical-pod-autoscaler$/.test(String(args.props.chart ?? ""))) return;
    for (const part of VPA_ACTING) {
      if (at(args.props.values, [part, "enabled"]) !== false) report(`values.${part}.enabled is not false (the chart's default is true): it would resize pods`);
    }
  },
};

// ---- opt-ins: logs' retention --------------------------------------------------------------------

/** A Loki (Prometheus) duration such as `168h`, `7d` or `1d12h` that is not zero (`0s` and the like keep logs forever). */
const LOKI_RETENTION = /^(?!(0+(ms|s|m|h|d|w|y))+$)(\d+(ms|s|m|h|d|w|y))+$/;

/** The delete phase's `min_age` of an ILM policy given as JSON, or a problem. */
function ilmDeleteAge(json: unknown): string | undefined {
  if (typeof json !== "string") return undefined;
  try {
    const age = at(JSON.parse(json), ["policy", "phases", "delete", "min_age"]);
    return typeof age === "string" && age !== "" ? age : undefined;
  } catch {
    return undefined;
  }
}

export const logsRetentionSet: StackValidationPolicy = {
  name: "logs-retention-set",
  description:
    "A Loki release deletes old logs (compactor.retention_enabled with a non-zero limits_config.retention_period), and an eck-stack " +
    "release comes with the program's retention Job in its namespace, whose ILM policy (env ILM_POLICY) has a delete phase: no logs " +
    "store grows until its volume is full.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources.filter((x) => HELM_TYPES.includes(x.type))) {
      const chart = String(r.props.chart ?? "");
      if (/(^|\/)loki$/.test(chart)) {
        const loki = at(r.props.values, ["loki"]);
        if (at(loki, ["compactor", "retention_enabled"]) !== true) report("loki: values.loki.compactor.retention_enabled is not true: Loki never deletes a log");
        const period = at(loki, ["limits_config", "retention_period"]);
        if (typeof period !== "string" || !LOKI_RETENTION.test(period)) report(`loki: values.loki.limits_config.retention_period is ${JSON.stringify(period)}: set a non-zero duration (e.g. 168h)`);
      } else if (/(^|\/)eck-stack$/.test(chart)) {
        const namespace: unknown = r.props.namespace;
        const jobs = args.resources.filter((x) => x.type === "kubernetes:batch/v1:Job" && at(x.props, ["metadata", "namespace"]) === namespace);
        const ages = jobs.flatMap((j) => {
          const containers = at(j.props, ["spec", "template", "spec", "containers"]);
          return (Array.isArray(containers) ? containers : []).flatMap((c: unknown) => {
            const env = at(c, ["env"]);
            return (Array.isArray(env) ? env : []).filter((e: unknown) => at(e, ["name"]) === "ILM_POLICY").map((e: unknown) => ilmDeleteAge(at(e, ["value"])));
          });
        });
        if (!ages.some((a) => a !== undefined)) report(`eck-stack in ${String(namespace)}: no Job there puts an ILM policy with a delete phase (env ILM_POLICY): Elasticsearch would keep every index`);
      }
    }
  },
};

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  helmPinnedVersion,
  requestsAndLimits,
  noLoadBalancer,
  rebootsCoordinated,
  noPlaintextSecrets,
  statefulDisksProtected,
  oddServerCount,
  podsPinnedAndHardened,
  freeipaCertificateKeys,
  buildStepsBounded,
  registryAuthenticatedOnClaim,
  gitopsBounded,
  vpaRecommendOnly,
  logsRetentionSet,
];
