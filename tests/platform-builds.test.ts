/**
 * The opt-in `builds` (issue 20 item 4): its config key, the Tekton operator's values and CRDs, the
 * TektonConfig, the build Task/Pipeline/PipelineRun against Tekton Pipelines' own CRD schemas, the
 * step scripts (shellcheck, and run with stub tools), namespaces, NetworkPolicies and capacity.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import Ajv from "ajv";
import { BUILDS_EXAMPLE, BuildsSettings, parseBuilds } from "../config/opt-ins/builds";
import { parsePlatformSettings } from "../config/platform";
import { Collector, parseTopology } from "../config/validate";
import { k3sClusterFacts } from "../cluster/facts";
import { capacityReport } from "../platform/capacity";
import { loadCrdManifest } from "../platform/chart-crds";
import { NAMESPACES, platformNamespaces } from "../platform/namespaces";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { isComplete } from "../platform/resources";
import {
  BUILD_SCRIPT,
  CLONE_SCRIPT,
  dockerConfigJson,
  imagesList,
  REFERENCE_IMAGES,
  renderBuildPipeline,
  renderBuildTask,
  renderPipelineRun,
} from "../platform/builds/pipeline";
import { TEKTON_PROFILE, tektonConfigSpec, tektonOperatorValues } from "../platform/values/tekton";
import { BUILDER_IMAGE, CHARTS } from "../versions";
import { BUILDS_CONTEXT } from "./helpers/builds";
import { pruned, Schema, tektonSchema, validateTekton } from "./helpers/tekton-schema";
import { rawStack } from "./helpers/stacks";
import { shellcheck } from "./helpers/tools";

const parse = (value: unknown, ctx = BUILDS_CONTEXT) => {
  const c = new Collector();
  const settings = parseBuilds(c, value, ctx);
  return { settings, problems: c.problems };
};

describe("config key builds", () => {
  it("is off when absent", () => {
    expect(parse(undefined)).toEqual({ settings: undefined, problems: [] });
  });

  it("parses the example, pushing to appsRegistry", () => {
    const { settings, problems } = parse(BUILDS_EXAMPLE);
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      gitUrl: BUILDS_EXAMPLE.gitUrl,
      revision: "main",
      path: "reference-app",
      registry: "registry.example.com/fmc",
      registryHost: "registry.example.com",
      registryPort: 443,
      gitPort: 443,
      tag: "0.1.1",
      pushUser: "builder",
      inClusterRegistry: false,
      keepRuns: 5,
    });
    expect(parse(BUILDS_EXAMPLE, { ...BUILDS_CONTEXT, appsRegistry: "10.17.4.20:5000/fmc/" }).settings).toMatchObject({ registry: "10.17.4.20:5000/fmc", registryHost: "10.17.4.20:5000", registryPort: 5000 });
  });

  it("refuses a stack with nowhere to push before anything is created, naming the keys", () => {
    expect(parse(BUILDS_EXAMPLE, { pushPassword: { set: true, secret: true } }).problems).toEqual([
      expect.stringMatching(/^builds: needs somewhere to push the images: set appsRegistry .* builds\.pushUser and the secret buildsPushPassword/),
    ]);
    expect(parse(BUILDS_EXAMPLE, { appsRegistry: "registry.example.com/fmc" }).problems).toEqual([expect.stringMatching(/^buildsPushPassword: is required with builds/)]);
    expect(parse(BUILDS_EXAMPLE, { appsRegistry: "registry.example.com/fmc", pushPassword: { set: true, secret: false } }).problems).toEqual([
      expect.stringMatching(/^buildsPushPassword: is stored in plain text/),
    ]);
    const withoutUser: Record<string, unknown> = { ...BUILDS_EXAMPLE };
    delete withoutUser.pushUser;
    expect(parse(withoutUser).problems).toEqual([expect.stringMatching(/^builds\.pushUser: is required/)]);
  });

  it("refuses bad values, each naming its field", () => {
    expect(parse("yes").problems).toEqual([expect.stringMatching(/^builds: must be an object/)]);
    expect(parse({ ...BUILDS_EXAMPLE, tag: "latest" }).problems).toEqual([expect.stringMatching(/^builds\.tag: must be a pinned version, not latest/)]);
    expect(parse({ ...BUILDS_EXAMPLE, gitUrl: "https://me:token@git.example.com/r.git" }).problems).toEqual([expect.stringMatching(/^builds\.gitUrl: must be the http\(s\) URL of a git repository without credentials/)]);
    expect(parse({ ...BUILDS_EXAMPLE, gitUrl: "git@example.com:r.git" }).problems).toEqual([expect.stringMatching(/^builds\.gitUrl:/)]);
    expect(parse({ ...BUILDS_EXAMPLE, revision: "a..b" }).problems).toEqual([expect.stringMatching(/^builds\.revision:/)]);
    expect(parse({ ...BUILDS_EXAMPLE, path: "../etc" }).problems).toEqual([expect.stringMatching(/^builds\.path:/)]);
    expect(parse({ ...BUILDS_EXAMPLE, pushUser: "a:b" }).problems).toEqual([expect.stringMatching(/^builds\.pushUser:/)]);
    expect(parse({ ...BUILDS_EXAMPLE, keepRuns: 0 }).problems).toEqual([expect.stringMatching(/^builds\.keepRuns:/)]);
    expect(parse({ ...BUILDS_EXAMPLE, trigger: "push" }).problems).toEqual([expect.stringMatching(/^builds\.trigger: is not a setting of builds/)]);
  });

  it("reaches the platform settings through parsePlatformSettings, and a bad one stops it", () => {
    const topology = parseTopology(rawStack("prod"), "prod");
    expect(parsePlatformSettings({}, topology).builds).toBeUndefined();
    expect(parsePlatformSettings({ builds: BUILDS_EXAMPLE }, topology, { builds: BUILDS_CONTEXT }).builds?.tag).toBe("0.1.1");
    expect(() => parsePlatformSettings({ builds: BUILDS_EXAMPLE }, topology)).toThrow(/builds: needs somewhere to push/);
  });
});

const topology = parseTopology(rawStack("prod"), "prod");
const settings = (builds: boolean) => parsePlatformSettings(builds ? { builds: BUILDS_EXAMPLE } : {}, topology, { builds: BUILDS_CONTEXT });
const plan = (builds: boolean) => planPlatform({ ...k3sClusterFacts(topology), settings: settings(builds) });
const b = settings(true).builds as BuildsSettings;

describe("Tekton operator and TektonConfig", () => {
  it("pins the chart and the images, leaves auto-install off and the CRDs to the program", () => {
    const v = tektonOperatorValues();
    expect(CHARTS.tektonOperator).toMatchObject({ chart: "oci://ghcr.io/tektoncd/operator/charts/tekton-operator", version: "0.81.1" });
    expect(v.operator.image.tag).toBe("v0.81.1");
    expect(v.webhook.image.tag).toBe("v0.81.1");
    expect(v.webhookProxy.image.tag).toBe("v0.81.1");
    expect(v.installCRDs).toBe(false);
    expect(v.operator.autoInstallComponents).toBe(false);
    expect(v.operator.defaultTargetNamespace).toBe("tekton-pipelines");
    const crds = loadCrdManifest("tektonOperator").crds.map((c) => c.metadata.name);
    expect(crds).toEqual(expect.arrayContaining(["tektonconfigs.operator.tekton.dev", "tektonpipelines.operator.tekton.dev", "tektoninstallersets.operator.tekton.dev"]));
  });

  it("the TektonConfig is profile lite, sized, with one pruner, and valid against the chart's TektonConfig CRD schema", () => {
    const spec = tektonConfigSpec(b);
    expect(spec).toMatchObject({ profile: TEKTON_PROFILE, targetNamespace: "tekton-pipelines", pruner: { disabled: false, keep: 5 } });
    const crd = loadCrdManifest("tektonOperator").crds.find((c) => c.metadata.name === "tektonconfigs.operator.tekton.dev");
    const version = (crd?.spec.versions as { name: string; schema: { openAPIV3Schema: object } }[]).find((v) => v.name === "v1alpha1");
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(version?.schema.openAPIV3Schema as object);
    const doc = { apiVersion: "operator.tekton.dev/v1alpha1", kind: "TektonConfig", metadata: { name: "config" }, spec };
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(pruned(doc, version?.schema.openAPIV3Schema as Schema)).toEqual([]);
    // The schema is real: a profile of the wrong type is refused, a misspelt field would be pruned.
    expect(validate({ ...doc, spec: { ...spec, profile: 3 } })).toBe(false);
    expect(pruned({ ...doc, spec: { ...spec, profle: "lite" } }, version?.schema.openAPIV3Schema as Schema)).toEqual(["spec.profle"]);
  });
});

describe("the build Task, Pipeline and manual PipelineRun", () => {
  it("are valid against Tekton Pipelines' v1 CRD schemas at the version the operator installs", () => {
    expect(validateTekton(renderBuildTask())).toEqual([]);
    expect(validateTekton(renderBuildPipeline(b))).toEqual([]);
    expect(validateTekton(renderPipelineRun(b))).toEqual([]);
    for (const doc of [renderBuildTask(), renderBuildPipeline(b), renderPipelineRun(b)]) expect({ kind: doc.kind, pruned: pruned(doc, tektonSchema(doc.kind)) }).toEqual({ kind: doc.kind, pruned: [] });
    // The schemas are real: a misspelt step field would be dropped, a wrong type refused.
    const bad = renderBuildTask();
    (bad.spec.steps as Record<string, unknown>[])[0].imagePullPolicyy = "Never";
    expect(pruned(bad, tektonSchema("Task"))).toEqual(["spec.steps[0].imagePullPolicyy"]);
    (bad.spec.steps as Record<string, unknown>[])[0].env = "GIT_URL=x";
    expect(validateTekton(bad)).not.toEqual([]);
  });

  it("build the images reference-app/build-push.sh builds, with the pinned rootless builder", () => {
    const script = readFileSync(join(__dirname, "..", "reference-app", "build-push.sh"), "utf8");
    const entries = [...script.matchAll(/^\s+"(reference-[a-z]+) \$here\/(\S+) \$here\/(\S+)"$/gm)].map((m) => ({ name: m[1], dockerfile: m[2], context: m[3] }));
    expect(entries).toEqual(REFERENCE_IMAGES.map((i) => ({ ...i })));
    const steps = renderBuildTask().spec.steps as { name: string; image: string; securityContext: Record<string, unknown> }[];
    expect(steps.map((s) => s.name)).toEqual(["clone", "build"]);
    for (const s of steps) expect(s.image).toBe(`docker.io/moby/buildkit:${BUILDER_IMAGE.tag}`);
    expect(BUILDER_IMAGE.tag).toMatch(/^v\d+\.\d+\.\d+-rootless$/);
    // Rootless BuildKit: uid 1000, seccomp and AppArmor unconfined (hence a privileged namespace).
    expect(steps[1].securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true, seccompProfile: { type: "Unconfined" }, appArmorProfile: { type: "Unconfined" } });
    expect(steps[1].securityContext.privileged).toBeUndefined();
    expect(steps[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(NAMESPACES.builds.enforce).toBe("privileged");
  });

  it("the run carries the stack's repository, revision, registry and tag", () => {
    const run = renderPipelineRun(b);
    expect(run.spec.params).toEqual([
      { name: "git-url", value: BUILDS_EXAMPLE.gitUrl },
      { name: "revision", value: "main" },
      { name: "path", value: "reference-app" },
      { name: "registry", value: "registry.example.com/fmc" },
      { name: "tag", value: "0.1.1" },
    ]);
  });

  it("push credentials are Docker's config.json for the registry host only", () => {
    expect(JSON.parse(dockerConfigJson("registry.example.com", "builder", "s3cret"))).toEqual({ auths: { "registry.example.com": { auth: Buffer.from("builder:s3cret").toString("base64") } } });
  });
});

describe("step scripts", () => {
  it("pass shellcheck as POSIX sh (the builder image has no bash)", () => {
    for (const file of [CLONE_SCRIPT, BUILD_SCRIPT]) {
      const r = shellcheck(readFileSync(file, "utf8"), "sh");
      expect({ file, out: r.output, status: r.status }).toEqual({ file, out: "", status: 0 });
    }
  });

  /** Runs `script` with `stub` (name -> body) first on PATH; the stubs log their arguments to $LOG. */
  function runWithStubs(script: string, stubs: Record<string, string>, env: Record<string, string>): { status: number | null; stderr: string; log: string } {
    const dir = mkdtempSync(join(tmpdir(), "builds-"));
    const log = join(dir, "log");
    writeFileSync(log, "");
    for (const [name, body] of Object.entries(stubs)) {
      writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> "$LOG"\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    }
    const r = spawnSync("sh", [script], { env: { PATH: `${dir}:/usr/bin:/bin`, LOG: log, ...env }, encoding: "utf8", cwd: dir });
    return { status: r.status, stderr: r.stderr, log: readFileSync(log, "utf8") };
  }

  it("build: every image of the reference app built from its Dockerfile and context and pushed under the registry and tag", () => {
    const appDir = join(__dirname, "..", "reference-app");
    const r = runWithStubs(BUILD_SCRIPT, { "buildctl-daemonless.sh": "exit 0" }, { APP_DIR: appDir, REGISTRY: "registry.example.com/fmc/", TAG: "0.1.1", IMAGES: imagesList() });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const calls = r.log.trim().split("\n");
    expect(calls).toHaveLength(3);
    expect(calls[0]).toBe(
      `buildctl-daemonless.sh build --frontend dockerfile.v0 --local context=${appDir}/python --local dockerfile=${appDir}/api --opt filename=Dockerfile --output type=image,name=registry.example.com/fmc/reference-api:0.1.1,push=true`,
    );
    expect(calls[2]).toContain(`--local context=${appDir}/frontend --local dockerfile=${appDir}/frontend`);
    expect(calls[2]).toContain("name=registry.example.com/fmc/reference-frontend:0.1.1,push=true");
  });

  it("build: a failed build stops the step; latest and a wrong app folder are refused", () => {
    const appDir = join(__dirname, "..", "reference-app");
    const failed = runWithStubs(BUILD_SCRIPT, { "buildctl-daemonless.sh": "exit 7" }, { APP_DIR: appDir, REGISTRY: "r.example/x", TAG: "1", IMAGES: imagesList() });
    expect(failed.status).toBe(7);
    expect(failed.log.trim().split("\n")).toHaveLength(1);
    expect(runWithStubs(BUILD_SCRIPT, { "buildctl-daemonless.sh": "exit 0" }, { APP_DIR: appDir, REGISTRY: "r.example/x", TAG: "latest", IMAGES: imagesList() }).status).toBe(2);
    const wrong = runWithStubs(BUILD_SCRIPT, { "buildctl-daemonless.sh": "exit 0" }, { APP_DIR: tmpdir(), REGISTRY: "r.example/x", TAG: "1", IMAGES: imagesList() });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/is builds\.path the reference app's folder/);
    expect(wrong.log).toBe("");
  });

  it("clone: a shallow fetch of the revision, checked out detached", () => {
    const source = join(mkdtempSync(join(tmpdir(), "src-")), "source");
    const r = runWithStubs(CLONE_SCRIPT, { git: 'case "$1" in init) mkdir -p "$3" ;; rev-parse) echo 0123abc ;; esac' }, { GIT_URL: "https://git.example.com/r.git", GIT_REVISION: "v1", SOURCE: source });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.log.trim().split("\n")).toEqual([
      `git init -q ${source}`,
      "git remote add origin https://git.example.com/r.git",
      "git fetch -q --depth 1 origin v1",
      "git checkout -q --detach FETCH_HEAD",
      "git rev-parse HEAD",
    ]);
  });
});

describe("the platform with and without builds", () => {
  it("has the builds' namespaces, NetworkPolicies, ServiceMonitor and workloads only with the key", () => {
    const off = renderPlatform(plan(false));
    const on = renderPlatform(plan(true));
    expect(platformNamespaces(false, false)).not.toContain("builds");
    expect(platformNamespaces(false, true)).toEqual(expect.arrayContaining(["tektonOperator", "tektonPipelines", "builds"]));
    const ns = (r: typeof on) => [...new Set(r.networkPolicies.map((p) => p.namespace))];
    expect(ns(off)).not.toEqual(expect.arrayContaining(["builds"]));
    expect(ns(on)).toEqual(expect.arrayContaining(["tekton-operator", "tekton-pipelines", "builds"]));
    expect(off.builds).toBeUndefined();
    expect(off.values.tektonOperator).toBeUndefined();
    expect(on.serviceMonitors.map((m) => m.name)).toContain("tekton-pipelines-controller");
    expect(off.serviceMonitors.map((m) => m.name)).not.toContain("tekton-pipelines-controller");
    expect(on.dashboards.map((d) => d.name)).toContain("fmc-builds-dashboard");
    expect(off.dashboards.map((d) => d.name)).not.toContain("fmc-builds-dashboard");
    // The dashboard reads the metrics Tekton Pipelines v1.15.0 documents (docs/metrics.md at the tag).
    const json = on.dashboards.find((d) => d.name === "fmc-builds-dashboard")?.json ?? "";
    for (const metric of ["tekton_pipelines_controller_running_pipelineruns", "tekton_pipelines_controller_pipelinerun_total", "tekton_pipelines_controller_pipelinerun_duration_seconds_sum"]) expect(json).toContain(metric);
    const releases = (r: typeof on) => new Set(r.workloads.map((w) => w.release));
    expect([...releases(on)].filter((x) => !releases(off).has(x)).sort()).toEqual(["builds", "tekton-operator"]);
    // Everything else is the same with and without: enabling builds touches only its own objects.
    expect(on.networkPolicies.filter((p) => !["tekton-operator", "tekton-pipelines", "builds"].includes(p.namespace))).toEqual(off.networkPolicies);
    expect(on.workloads.filter((w) => !["builds", "tekton-operator"].includes(w.release))).toEqual(off.workloads);
  });

  it("the build pods may reach only DNS and the git, registry and HTTPS ports; nothing reaches them", () => {
    const on = renderPlatform(plan(true));
    const policies = on.networkPolicies.filter((p) => p.namespace === "builds");
    expect(policies.map((p) => p.name).sort()).toEqual(["allow-dns", "allow-git-registries", "default-deny"]);
    const egress = policies.find((p) => p.name === "allow-git-registries")?.spec;
    expect(egress).toMatchObject({ policyTypes: ["Egress"], egress: [{ ports: [{ port: 443, protocol: "TCP" }] }] });
    const with5000 = planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({ builds: { ...BUILDS_EXAMPLE, gitUrl: "http://git.lan:3000/r.git" } }, topology, { builds: { ...BUILDS_CONTEXT, appsRegistry: "10.17.4.20:5000/fmc" } }) });
    const ports = renderPlatform(with5000).networkPolicies.find((p) => p.namespace === "builds" && p.name === "allow-git-registries")?.spec.egress as { ports: { port: number }[] }[];
    expect(ports[0].ports.map((p) => p.port)).toEqual([443, 3000, 5000]);
  });

  it("counts the operator, what it deploys for profile lite and one build pod, every container with requests and limits", () => {
    const on = renderPlatform(plan(true));
    const tekton = on.workloads.filter((w) => ["builds", "tekton-operator"].includes(w.release));
    expect(tekton.map((w) => w.name).sort()).toEqual([
      "build-reference-app",
      "tekton-events-controller",
      "tekton-operator",
      "tekton-operator-proxy-webhook",
      "tekton-operator-webhook",
      "tekton-pipelines-controller",
      "tekton-pipelines-remote-resolvers",
      "tekton-pipelines-webhook",
      "tekton-resource-pruner",
    ]);
    for (const w of tekton) for (const c of w.containers) expect({ w: w.name, c: c.name, complete: isComplete(c.resources) }).toEqual({ w: w.name, c: c.name, complete: true });
    const report = capacityReport(on.workloads, plan(true).nodes);
    const off = capacityReport(renderPlatform(plan(false)).workloads, plan(false).nodes);
    // Steady state adds the Deployments and the build pod's reserved room (the pruner's Job runs at its hour, not counted).
    expect(report.byRelease["tekton-operator"]).toEqual({ cpuMilli: 50 * 2 + 20 + 100 + 20 + 100 + 100 + 100, memoryMiB: 96 * 2 + 48 + 128 + 48 + 100 + 100 + 100 });
    expect(report.byRelease.builds).toEqual({ cpuMilli: 550, memoryMiB: 1600 });
    expect(report.requests.memoryMiB - off.requests.memoryMiB).toBe(716 + 1600);
    // Measured: the seed's prod stack has 15177 MiB allocatable on its workers and the platform alone
    // requests 14060 MiB: builds (2316 MiB more) does not fit next to it; a second host does (docs/builds.md).
    expect(report.fits).toBe(false);
    expect(off.fits).toBe(true);
  });
});
