/**
 * The in-cluster registry as the apps' registry and the builds' push target, wired (SDK mock engine):
 * the Platform's builds Secret from the registry's own push password and BuildKit's config with
 * FreeIPA's CA; the nodes' registries.yaml (cluster/target.ts nodeMirrorFor) for the apps' images
 * with `registry.mirrors: []` and beside an outside mirror; the apps' Deployments pulling
 * `registry.<domain>/<path>/...` with no pull Secret (containerd authenticates from registries.yaml).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { StackConfig, VmStackConfig } from "../config";
import type { Platform } from "../platform";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { BUILDS_IN_CLUSTER, withRoomForBuilds } from "./helpers/builds";
import { FREEIPA_CA_PEM as CA_PEM } from "./helpers/machine-outputs";
import { platformOnProd, SECRET } from "./helpers/platform-component";
import { Harness, isSecretAt, resolveOutput } from "./helpers/pulumi-harness";
import { rawStack, stackConfig } from "./helpers/stacks";

const HOST = "registry.cefaslocalserver.com";
const WEB = { name: "web", image: "web:1.0", port: 8080, replicas: { min: 1, max: 2 }, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } };
const APPS_REGISTRY = `${HOST}/apps`;
let h: Harness;
const topology = parseTopology(rawStack("prod"), "prod");
const settings = parsePlatformSettings({ builds: BUILDS_IN_CLUSTER, registry: { mirrors: [] } }, topology, { builds: { appsRegistry: APPS_REGISTRY, inClusterRegistryHost: HOST } });

beforeAll(async () => {
  let platform: Platform;
  ({ h, platform } = await platformOnProd(async (_topology, facts) => {
    const { registryCredentials } = await import("../cluster/registry-credentials");
    return { ...withRoomForBuilds(facts, 2048), settings, registryAuth: registryCredentials(settings.registry) };
  }));
  // The apps as an existing cluster's (its nodes are the user's): they pull with an imagePullSecret.
  const { Apps } = await import("../apps");
  const { parseApps } = await import("../config/apps");
  const { apps } = parseApps({ appsRegistry: APPS_REGISTRY, apps: [WEB] }, topology);
  new Apps("apps", {
    provider: new k8s.Provider("apps-k", { kubeconfig: "x" }),
    settings: { registry: APPS_REGISTRY, apps },
    services: platform.services,
    credentials: pulumi.output({ redisPassword: "r", redisSentinelPassword: "s", mqttUser: "mqtt", mqttPassword: "m" }),
    after: [platform],
    imagePull: { host: HOST, username: "pull", password: pulumi.secret("pw-pull") },
  });
  await h.settle();
}, 600_000);

it("the builds push as the registry's push user with its generated password (no buildsPushPassword), as a secret", () => {
  expect(settings.builds).toMatchObject({ inClusterRegistry: true, pushUser: "push", registryHost: HOST });
  const push = h.byName("platform-builds-push");
  expect(push.inputs.type).toBe("kubernetes.io/dockerconfigjson");
  expect(isSecretAt(push.rawInputs, ["stringData"])).toBe(true);
  const doc = JSON.parse((push.inputs.stringData as Record<string, string>)[".dockerconfigjson"]) as { auths: Record<string, { auth: string }> };
  expect(Object.keys(doc.auths)).toEqual([HOST]);
  expect(Buffer.from(doc.auths[HOST].auth, "base64").toString()).toBe("push:pw-registry-push");
  // The same password the registry's own push Secret carries.
  expect((h.byName("platform-registry-push").inputs.stringData as Record<string, string>)[".dockerconfigjson"]).toContain("pw-registry-push");
  expect(h.byType(SECRET).filter((s) => (s.inputs.metadata as { namespace?: string }).namespace === "builds").map((s) => s.name)).toEqual(["platform-builds-push"]);
});

it("BuildKit's config: a ConfigMap in builds with buildkitd.toml for the route's host and FreeIPA's CA, before the Task", () => {
  const config = h.byName("platform-builds-buildkitd");
  expect(config.type).toBe("kubernetes:core/v1:ConfigMap");
  expect(config.inputs.metadata).toMatchObject({ name: "builds-buildkitd", namespace: "builds" });
  const data = config.inputs.data as Record<string, string>;
  expect(data["buildkitd.toml"]).toContain(`[registry."${HOST}"]\n  ca = ["/home/user/.config/buildkit/registry-ca.pem"]`);
  expect(data["registry-ca.pem"]).toBe(CA_PEM);
  const task = h.byName("platform-build-task");
  expect(h.dependsOn(task, config)).toBe(true);
  expect(JSON.stringify(task.inputs.spec)).toContain("--config=/home/user/.config/buildkit/buildkitd.toml");
});

describe("the nodes' registries.yaml (nodeMirrorFor)", () => {
  const vmConfig = (over: { mirrors?: string[]; registryMirror?: VmStackConfig["cluster"]["registryMirror"]; appsRegistry?: string }): VmStackConfig =>
    ({
      target: "vms",
      topology,
      platform: { ...settings, registry: { volumeGiB: 20, mirrors: over.mirrors ?? [] } },
      apps: { registry: over.appsRegistry, apps: [] },
      cluster: { registryMirror: over.registryMirror },
    }) as unknown as VmStackConfig;
  const auth = () => ({
    push: { username: "push", password: pulumi.output("pw-push"), bcryptHash: pulumi.output("h") },
    pull: { username: "pull", password: pulumi.output("pw-pull"), bcryptHash: pulumi.output("h") },
  });
  const yamlOf = async (config: VmStackConfig) => {
    const { nodeMirrorFor } = await import("../cluster/target");
    const { renderRegistriesYaml } = await import("../cluster/registries");
    const { value, secret } = await resolveOutput(nodeMirrorFor(config, pulumi.output(CA_PEM), auth()));
    return { doc: value && parse(renderRegistriesYaml(value)), secret };
  };

  it("with registry.mirrors: [] the nodes get the registry's host only when the apps pull from it", async () => {
    expect((await yamlOf(vmConfig({ appsRegistry: "registry.example.com/fmc" }))).doc).toBeUndefined();
    const { doc, secret } = await yamlOf(vmConfig({ appsRegistry: APPS_REGISTRY }));
    expect(secret).toBe(true);
    expect(doc).toEqual({
      mirrors: { [HOST]: { endpoint: [`https://${HOST}`] } },
      configs: { [HOST]: { auth: { username: "pull", password: "pw-pull" }, tls: { ca_file: "/etc/rancher/k3s/flatcarmicrocloud/registry-ca.pem" } } },
    });
  });

  it("with the public mirrors on, the apps' images need nothing more: the same host, credentials and CA", async () => {
    const withApps = (await yamlOf(vmConfig({ mirrors: ["docker.io"], appsRegistry: APPS_REGISTRY }))).doc;
    expect(withApps).toEqual((await yamlOf(vmConfig({ mirrors: ["docker.io"] }))).doc);
    expect(withApps.configs[HOST].auth.username).toBe("pull");
  });

  it("beside an outside mirror (registryMirror, air gap) the registry's host is configured too", async () => {
    const registryMirror = { settings: { endpoint: "https://mirror.lan:5000", registries: ["docker.io"], prefixRepositories: false, airGap: true }, password: pulumi.output("") } as unknown as VmStackConfig["cluster"]["registryMirror"];
    const { doc } = await yamlOf(vmConfig({ registryMirror, appsRegistry: APPS_REGISTRY }));
    expect(Object.keys(doc.mirrors)).toEqual(["docker.io", "mirror.lan:5000", HOST]);
    expect(doc.configs).toEqual({ [HOST]: { auth: { username: "pull", password: "pw-pull" }, tls: { ca_file: "/etc/rancher/k3s/flatcarmicrocloud/registry-ca.pem" } } });
    expect(Object.keys((await yamlOf(vmConfig({ registryMirror }))).doc.mirrors)).toEqual(["docker.io", "mirror.lan:5000"]);
  });
});

it("the apps' Deployments pull registry.<domain>/<path>/<name>:<tag>, with no imagePullSecrets", async () => {
  const { parseApps } = await import("../config/apps");
  const { renderApps, APPS_NAMESPACE } = await import("../apps/render");
  const { platformServices } = await import("../platform/services");
  const { planPlatform } = await import("../platform/plan");
  const { k3sClusterFacts } = await import("../cluster/facts");
  const { appDatabase } = await import("../apps/facts");
  const { parseRoleSettings } = await import("../config/roles");
  const { apps } = parseApps({ appsRegistry: APPS_REGISTRY, apps: stackConfig("prod").apps }, topology);
  const plan = planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({}, topology) });
  const rendered = renderApps(apps, { namespace: APPS_NAMESPACE, services: platformServices(plan), database: appDatabase(topology, parseRoleSettings(stackConfig("prod"), topology).postgres) });
  const pods = rendered.apps.map((a) => (a.deployment.spec.template as unknown as { spec: { imagePullSecrets?: unknown; containers: { image: string }[] } }).spec);
  expect(pods.map((p) => p.containers[0].image).sort()).toEqual(["reference-api", "reference-frontend", "reference-worker"].map((n) => `${APPS_REGISTRY}/${n}:0.1.0`));
  for (const p of pods) expect(p.imagePullSecrets).toBeUndefined();
});

describe("an existing cluster's apps (its nodes are the user's: no registries.yaml of the program's)", () => {
  it("pull with the registry-pull Secret (the pull user, for the registry's host only), secret, created before the Deployments", () => {
    const secret = h.byName("apps-registry-pull");
    expect(secret.inputs).toMatchObject({ type: "kubernetes.io/dockerconfigjson", metadata: { name: "registry-pull", namespace: "apps" } });
    expect(isSecretAt(secret.rawInputs, ["stringData"])).toBe(true);
    const doc = JSON.parse((secret.inputs.stringData as Record<string, string>)[".dockerconfigjson"]) as { auths: Record<string, { username: string; password: string }> };
    expect(Object.entries(doc.auths).map(([host, a]) => [host, a.username, a.password])).toEqual([[HOST, "pull", "pw-pull"]]);
    const deployment = h.byType("kubernetes:apps/v1:Deployment").find((d) => d.name === "apps-web")!;
    expect((deployment.inputs.spec as { template: { spec: { imagePullSecrets: unknown; containers: { image: string }[] } } }).template.spec).toMatchObject({
      imagePullSecrets: [{ name: "registry-pull" }],
      containers: [{ image: `${APPS_REGISTRY}/web:1.0` }],
    });
    expect(h.dependsOn(deployment, secret)).toBe(true);
  });

  it("appsImagePull: only on an existing cluster whose appsRegistry is the in-cluster registry", async () => {
    const { appsImagePull } = await import("../apps/credentials");
    const { k3sClusterFacts } = await import("../cluster/facts");
    const facts = { ...k3sClusterFacts(topology), ingress: { ...k3sClusterFacts(topology).ingress, httpsPort: 30443 } };
    const auth = { push: { username: "push", password: pulumi.output("a"), bcryptHash: pulumi.output("h") }, pull: { username: "pull", password: pulumi.output("b"), bcryptHash: pulumi.output("h") } };
    const config = (target: "existing" | "vms", registry: string) => ({ target, apps: { registry, apps: [] } }) as unknown as StackConfig;
    expect(appsImagePull(config("existing", `${HOST}:30443/apps`), facts, auth)).toMatchObject({ host: `${HOST}:30443`, username: "pull" });
    expect(appsImagePull(config("vms", `${HOST}:30443/apps`), facts, auth)).toBeUndefined();
    expect(appsImagePull(config("existing", "registry.example.com/fmc"), facts, auth)).toBeUndefined();
    expect(appsImagePull(config("existing", `${HOST}:30443/apps`), facts, undefined)).toBeUndefined();
  });
});
