/**
 * The reference app's image build as Tekton objects (opt-in `builds`, docs/builds.md), rendered as
 * plain data: a Task with two steps in one pod, and a Pipeline running it.
 * - `clone` (platform/scripts/builds-clone.sh): a shallow checkout of `builds.gitUrl` at
 *   `builds.revision` into an emptyDir, as uid 1000 with no capability.
 * - `build` (platform/scripts/builds-build.sh): the three images of reference-app/build-push.sh
 *   (REFERENCE_IMAGES), one after the other, with rootless BuildKit (`buildctl-daemonless.sh`, uid
 *   1000), each pushed as `<appsRegistry>/<name>:<builds.tag>` with the push credentials Secret.
 *   Rootless BuildKit creates user namespaces and mounts inside the container, which the runtime's
 *   default seccomp and AppArmor profiles forbid: its step runs `Unconfined` for both (BuildKit's
 *   examples/kubernetes/job.rootless.yaml), which Pod Security `baseline` refuses, so the builds
 *   namespace enforces `privileged` (../namespaces.ts) and is fenced by NetworkPolicies instead.
 * One pod, steps in sequence: no volume claim is needed between clone and build, and only one
 * builder runs at a time, which is what the capacity check counts (buildWorkloads).
 * A build is started by hand (docs/builds.md): `renderPipelineRun` is that run's manifest.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { BuildsSettings } from "../../config/opt-ins/builds";
import { BUILDER_IMAGE } from "../../versions";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { resources, Resources } from "../resources";
import { BUILDKITD_CONFIG_DIR, BUILDKITD_CONFIGMAP, BUILDKITD_TOML } from "./registry";

export const TEKTON_API_VERSION = "tekton.dev/v1";
export const BUILD_TASK = "build-reference-app";
export const BUILD_PIPELINE = "reference-app";
/** The kubernetes.io/dockerconfigjson Secret the build step pushes with. */
export const PUSH_SECRET = "builds-push";
export const BUILDS_NAMESPACE = NAMESPACES.builds.name;

const SCRIPTS = join(__dirname, "..", "scripts");
export const CLONE_SCRIPT = join(SCRIPTS, "builds-clone.sh");
export const BUILD_SCRIPT = join(SCRIPTS, "builds-build.sh");

/** reference-app/build-push.sh's images: name, Dockerfile and build context, relative to the app's folder. */
export const REFERENCE_IMAGES = [
  { name: "reference-api", dockerfile: "api/Dockerfile", context: "python" },
  { name: "reference-worker", dockerfile: "worker/Dockerfile", context: "python" },
  { name: "reference-frontend", dockerfile: "frontend/Dockerfile", context: "frontend" },
] as const;

/**
 * The build pod's steps. The builder holds one image's BuildKit state and build at a time: the
 * frontend's Vite build is the largest (Node with the app's dependencies).
 */
export const BUILD_SIZING = {
  clone: resources("50m", "64Mi", "500m", "256Mi"),
  build: resources("500m", "1536Mi", "2", "3Gi"),
} as const;

const SOURCE = "/workspace/source";
const BUILDKIT_STATE = "/home/user/.local/share/buildkit";
const DOCKER_CONFIG = "/home/user/.docker";
/** BuildKit's rootless image's user (its Dockerfile: `USER 1000:1000`). */
const BUILDER_UID = 1000;

export interface TektonDoc {
  apiVersion: typeof TEKTON_API_VERSION;
  kind: "Task" | "Pipeline" | "PipelineRun";
  metadata: { name?: string; generateName?: string; namespace: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

const PARAMS = [
  { name: "git-url", description: "the repository holding the reference app (builds.gitUrl)" },
  { name: "revision", description: "branch, tag or commit (builds.revision)" },
  { name: "path", description: "the reference app's folder in the repository (builds.path)" },
  { name: "registry", description: "registry and path the images are pushed under (appsRegistry)" },
  { name: "tag", description: "the images' tag (builds.tag); never latest" },
] as const;

type ParamName = (typeof PARAMS)[number]["name"];

const image = `${BUILDER_IMAGE.repository}:${BUILDER_IMAGE.tag}`;
const param = (name: ParamName) => `$(params.${name})`;

/** The parameters as a Task or Pipeline declares them; the Pipeline's with the stack's values as defaults. */
const paramSpecs = (defaults?: Record<ParamName, string>) =>
  PARAMS.map((p) => ({ name: p.name, type: "string", description: p.description, ...(defaults ? { default: defaults[p.name] } : {}) }));

/** Both steps run as the builder image's user (uid 1000), never as root. */
const AS_BUILDER = { runAsUser: BUILDER_UID, runAsGroup: BUILDER_UID, runAsNonRoot: true } as const;

/** A Tekton object of the builds namespace, named or (a PipelineRun) named by the API server from a prefix. */
function tektonDoc(kind: TektonDoc["kind"], metadata: { name: string } | { generateName: string }, spec: Record<string, unknown>): TektonDoc {
  return { apiVersion: TEKTON_API_VERSION, kind, metadata: { ...metadata, namespace: BUILDS_NAMESPACE }, spec };
}

/** `IMAGES` of the build step: one `<name> <Dockerfile> <context>` line per image. */
export function imagesList(): string {
  return REFERENCE_IMAGES.map((i) => `${i.name} ${i.dockerfile} ${i.context}`).join("\n");
}

/**
 * The Task: clone, then build and push the three images, in one pod. `registryCa`: the builder
 * trusts the in-cluster registry's route CA through buildkitd.toml (./registry.ts), mounted from its
 * ConfigMap and named with `--config`.
 */
export function renderBuildTask(options: { registryCa?: boolean } = {}): TektonDoc {
  const buildkitdFlags = ["--oci-worker-no-process-sandbox", ...(options.registryCa ? [`--config=${BUILDKITD_CONFIG_DIR}/${BUILDKITD_TOML}`] : [])].join(" ");
  return tektonDoc("Task", { name: BUILD_TASK }, {
    description: "Clones the reference app and builds and pushes its api, worker and frontend images with rootless BuildKit.",
    params: paramSpecs(),
    volumes: [
      { name: "source", emptyDir: {} },
      { name: "buildkit-state", emptyDir: {} },
      { name: "push-credentials", secret: { secretName: PUSH_SECRET, items: [{ key: ".dockerconfigjson", path: "config.json" }] } },
      ...(options.registryCa ? [{ name: "buildkitd-config", configMap: { name: BUILDKITD_CONFIGMAP } }] : []),
    ],
    steps: [
      {
        name: "clone",
        image,
        computeResources: BUILD_SIZING.clone,
        env: [
          { name: "GIT_URL", value: param("git-url") },
          { name: "GIT_REVISION", value: param("revision") },
          { name: "SOURCE", value: SOURCE },
        ],
        script: readFileSync(CLONE_SCRIPT, "utf8"),
        volumeMounts: [{ name: "source", mountPath: SOURCE }],
        securityContext: {
          ...AS_BUILDER,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
      {
        name: "build",
        image,
        computeResources: BUILD_SIZING.build,
        env: [
          { name: "APP_DIR", value: `${SOURCE}/${param("path")}` },
          { name: "REGISTRY", value: param("registry") },
          { name: "TAG", value: param("tag") },
          { name: "IMAGES", value: imagesList() },
          // No PID-namespace sandbox for build steps (BuildKit's rootless Kubernetes example):
          // the pod's own namespaces isolate them.
          // With the in-cluster registry, also its route's CA (./registry.ts).
          { name: "BUILDKITD_FLAGS", value: buildkitdFlags },
          { name: "DOCKER_CONFIG", value: DOCKER_CONFIG },
        ],
        script: readFileSync(BUILD_SCRIPT, "utf8"),
        volumeMounts: [
          { name: "source", mountPath: SOURCE, readOnly: true },
          { name: "buildkit-state", mountPath: BUILDKIT_STATE },
          { name: "push-credentials", mountPath: DOCKER_CONFIG, readOnly: true },
          ...(options.registryCa ? [{ name: "buildkitd-config", mountPath: BUILDKITD_CONFIG_DIR, readOnly: true }] : []),
        ],
        securityContext: {
          ...AS_BUILDER,
          seccompProfile: { type: "Unconfined" },
          appArmorProfile: { type: "Unconfined" },
        },
      },
    ],
  });
}

type BuildParams = Pick<BuildsSettings, "gitUrl" | "revision" | "path" | "registry" | "tag">;
const paramValues = (b: BuildParams): Record<ParamName, string> => ({ "git-url": b.gitUrl, revision: b.revision, path: b.path, registry: b.registry, tag: b.tag });

/**
 * The Pipeline: the Task with the run's parameters, each defaulting to the stack's `builds` and
 * `appsRegistry`, so a run that names only the Pipeline builds what the stack says.
 */
export function renderBuildPipeline(b: BuildParams): TektonDoc {
  return tektonDoc("Pipeline", { name: BUILD_PIPELINE }, {
    description: "Builds the reference app's images from git and pushes them to the registry (docs/builds.md).",
    params: paramSpecs(paramValues(b)),
    tasks: [{ name: "build", taskRef: { name: BUILD_TASK }, params: PARAMS.map((p) => ({ name: p.name, value: param(p.name) })) }],
  });
}

/**
 * The manual trigger (`kubectl create -f`): a PipelineRun of the Pipeline, its parameters written out
 * (the same values as the Pipeline's defaults; edit one, e.g. the tag, for another build).
 */
export function renderPipelineRun(b: BuildParams): TektonDoc {
  const values = paramValues(b);
  return tektonDoc("PipelineRun", { generateName: `${BUILD_PIPELINE}-` }, {
    pipelineRef: { name: BUILD_PIPELINE },
    params: PARAMS.map((p) => ({ name: p.name, value: values[p.name] })),
    // The build talks to no Kubernetes API: no token in its pod.
    taskRunTemplate: { podTemplate: { automountServiceAccountToken: false } },
    timeouts: { pipeline: "1h0m0s" },
  });
}

/** The push credentials as `kubernetes.io/dockerconfigjson` (Docker's config.json): only for the registry's host. */
export function dockerConfigJson(registryHost: string, user: string, password: string): string {
  return JSON.stringify({ auths: { [registryHost]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } });
}

/**
 * One build pod (clone and build containers, both counted: requests are summed per pod), its room
 * reserved: a build is started by hand at any time, and a pod that finds no room stays Pending.
 */
export function buildWorkloads(): Workload[] {
  const containers: { name: string; resources: Resources }[] = [
    { name: "step-clone", resources: BUILD_SIZING.clone },
    { name: "step-build", resources: BUILD_SIZING.build },
  ];
  return [{ release: "builds", name: BUILD_TASK, kind: "Job", replicas: 1, containers, reserved: true }];
}
