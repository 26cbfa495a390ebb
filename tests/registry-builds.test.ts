/**
 * The in-cluster registry as the apps' registry and the builds' push target (issue 20 items 1 and 4,
 * docs/registry.md, docs/builds.md), pure: `appsRegistry` on `registry.<domain>` checked against the
 * opt-in, the route's port and its certificate; the builds' push user and password; the nodes'
 * registries.yaml beside an outside mirror; buildkitd.toml with the route's CA; the Task mounting it
 * (valid against Tekton Pipelines' CRD schemas); the builds' egress to the route.
 */
import { parse } from "yaml";
import { k3sClusterFacts } from "../cluster/facts";
import { nodeStdin, registryCaBundle, REGISTRY_CA_FILE, renderRegistriesYaml, STDIN_FILE_MARKER } from "../cluster/registries";
import { BUILDS_EXAMPLE, BuildsContext, parseBuilds } from "../config/opt-ins/builds";
import { appsRegistryProblems, inClusterRegistryOf, parseRegistry, RegistrySettings } from "../config/opt-ins/registry";
import { parsePlatformSettings } from "../config/platform";
import { Collector, parseTopology } from "../config/validate";
import { renderBuildTask } from "../platform/builds/pipeline";
import { BUILDKITD_CONFIG_DIR, buildkitdConfigData, renderBuildkitdToml, routeCa } from "../platform/builds/registry";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { BUILDS_IN_CLUSTER, withRoomForBuilds } from "./helpers/builds";
import { rawStack } from "./helpers/stacks";
import { pruned, tektonSchema, validateTekton } from "./helpers/tekton-schema";

const DOMAIN = "cefaslocalserver.com";
const registry = parseRegistry(new Collector(), { mirrors: [] }) as RegistrySettings;
const IN_CLUSTER = `registry.${DOMAIN}/apps`;

describe("appsRegistry naming the in-cluster registry", () => {
  const check = (appsRegistry: string | undefined, over: Partial<Parameters<typeof appsRegistryProblems>[0]> = {}) =>
    appsRegistryProblems({ appsRegistry, registry, domain: DOMAIN, httpsPort: 443, ...over });

  it("is recognised by its host name, whatever the port; any other registry is not", () => {
    expect(inClusterRegistryOf(IN_CLUSTER, DOMAIN)).toBe(`registry.${DOMAIN}`);
    expect(inClusterRegistryOf(`registry.${DOMAIN}:30443/apps`, DOMAIN)).toBe(`registry.${DOMAIN}:30443`);
    expect(inClusterRegistryOf("registry.example.com/fmc", DOMAIN)).toBeUndefined();
    expect(inClusterRegistryOf(`myregistry.${DOMAIN}/apps`, DOMAIN)).toBeUndefined();
    expect(inClusterRegistryOf(undefined, DOMAIN)).toBeUndefined();
    expect(check("registry.example.com/fmc", { registry: undefined, noCertificate: "no issuer" })).toEqual([]);
  });

  it("is accepted with the opt-in on, the route's port and a certificate", () => {
    expect(check(IN_CLUSTER)).toEqual([]);
    expect(check(`registry.${DOMAIN}:30443/apps`, { httpsPort: 30443 })).toEqual([]);
  });

  it("is refused with the opt-in off, on another port or without a certificate, naming the keys", () => {
    expect(check(IN_CLUSTER, { registry: undefined })).toEqual([
      `appsRegistry: "${IN_CLUSTER}" names the in-cluster registry (registry.${DOMAIN}), but the registry opt-in is off: turn it on (registry: true) or point appsRegistry at another registry`,
    ]);
    expect(check(IN_CLUSTER, { httpsPort: 30443 })).toEqual([
      `appsRegistry: "${IN_CLUSTER}" names the in-cluster registry (registry.${DOMAIN}) on registry.${DOMAIN}, but its route answers on registry.${DOMAIN}:30443: write appsRegistry: registry.${DOMAIN}:30443/apps`,
    ]);
    expect(check(IN_CLUSTER, { noCertificate: "tlsIssuer is none" })).toEqual([expect.stringMatching(/^appsRegistry: .* whose route has no certificate the nodes and the builds could check \(tlsIssuer is none\): give the cluster an issuer/)]);
  });
});

describe("builds pushing to the in-cluster registry", () => {
  const ctx: BuildsContext = { appsRegistry: IN_CLUSTER, inClusterRegistryHost: `registry.${DOMAIN}` };
  const parsed = (value: unknown, over: Partial<BuildsContext> = {}) => {
    const c = new Collector();
    return { settings: parseBuilds(c, value, { ...ctx, ...over }), problems: c.problems };
  };
  const example = BUILDS_IN_CLUSTER;

  it("push as the registry's push user with its own password: neither pushUser nor buildsPushPassword is needed", () => {
    const { settings, problems } = parsed(example);
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ registry: IN_CLUSTER, registryHost: `registry.${DOMAIN}`, registryPort: 443, pushUser: "push", inClusterRegistry: true });
    expect(parsed({ ...example, pushUser: "push" }).problems).toEqual([]);
  });

  it("refuse another push user and a redundant buildsPushPassword, naming each key", () => {
    expect(parsed(BUILDS_EXAMPLE).problems).toEqual([expect.stringMatching(/^builds\.pushUser: "builder" is not a user of the in-cluster registry registry\.cefaslocalserver\.com \(appsRegistry\): leave builds\.pushUser out/)]);
    expect(parsed(example, { pushPassword: { set: true, secret: true } }).problems).toEqual([
      expect.stringMatching(/^buildsPushPassword: is not used when appsRegistry is the in-cluster registry registry\.cefaslocalserver\.com: .*pulumi config rm buildsPushPassword/),
    ]);
  });

  it("an outside registry still needs its user and password", () => {
    expect(parsed(example, { appsRegistry: "registry.example.com/fmc" }).problems).toEqual([expect.stringMatching(/^builds\.pushUser: is required/), expect.stringMatching(/^buildsPushPassword: is required with builds/)]);
  });
});

describe("the nodes' registries.yaml with the apps in the in-cluster registry", () => {
  const FREEIPA_CA = "-----BEGIN CERTIFICATE-----\nRnJlZUlQQQ==\n-----END CERTIFICATE-----";
  const MIRROR_CA = "-----BEGIN CERTIFICATE-----\nTWlycm9y\n-----END CERTIFICATE-----";
  const zotOnly = { endpoint: `https://registry.${DOMAIN}`, registries: [], prefixRepositories: true, caPem: FREEIPA_CA, auth: { username: "pull", password: "pw" }, airGap: false };

  it("registry.mirrors: []: only the registry's own host, with the pull user and FreeIPA's CA", () => {
    expect(parse(renderRegistriesYaml(zotOnly))).toEqual({
      mirrors: { [`registry.${DOMAIN}`]: { endpoint: [`https://registry.${DOMAIN}`] } },
      configs: { [`registry.${DOMAIN}`]: { auth: { username: "pull", password: "pw" }, tls: { ca_file: REGISTRY_CA_FILE } } },
    });
  });

  it("beside an outside air-gap mirror: both hosts configured, one CA file holding both CAs", () => {
    const mirror = {
      endpoint: "https://mirror.lan:5000",
      registries: ["docker.io"],
      prefixRepositories: false,
      caPem: MIRROR_CA,
      airGap: true,
      apps: { endpoint: `https://registry.${DOMAIN}/`, caPem: FREEIPA_CA, auth: { username: "pull", password: "pw" } },
    };
    expect(parse(renderRegistriesYaml(mirror))).toEqual({
      mirrors: {
        "docker.io": { endpoint: ["https://mirror.lan:5000"] },
        "mirror.lan:5000": { endpoint: ["https://mirror.lan:5000"] },
        [`registry.${DOMAIN}`]: { endpoint: [`https://registry.${DOMAIN}`] },
      },
      configs: {
        "mirror.lan:5000": { tls: { ca_file: REGISTRY_CA_FILE } },
        [`registry.${DOMAIN}`]: { auth: { username: "pull", password: "pw" }, tls: { ca_file: REGISTRY_CA_FILE } },
      },
    });
    expect(registryCaBundle(mirror)).toBe(`${MIRROR_CA}\n${FREEIPA_CA}`);
    expect(nodeStdin("token: t\n", mirror)).toContain(`${STDIN_FILE_MARKER} registry-ca.pem\n# Written by FlatcarMicroCloud`);
    expect(nodeStdin("token: t\n", mirror).endsWith(`${MIRROR_CA}\n${FREEIPA_CA}\n`)).toBe(true);
    // Without the apps' registry the file is the mirror's CA alone, as before.
    expect(registryCaBundle({ ...mirror, apps: undefined })).toBe(MIRROR_CA);
    expect(registryCaBundle({ ...mirror, caPem: undefined, apps: undefined })).toBeUndefined();
  });
});

describe("BuildKit trusting the route's CA", () => {
  it("buildkitd.toml names the route's host and the mounted CA (BuildKit v0.32.2 [registry.<host>] ca)", () => {
    expect(renderBuildkitdToml(`registry.${DOMAIN}:30443`)).toBe(
      `# Written by FlatcarMicroCloud (platform/builds/registry.ts): the in-cluster registry's route CA.\n[registry."registry.${DOMAIN}:30443"]\n  ca = ["/home/user/.config/buildkit/registry-ca.pem"]\n`,
    );
    expect(buildkitdConfigData("r.x", "PEM\n\n")).toEqual({ "buildkitd.toml": renderBuildkitdToml("r.x"), "registry-ca.pem": "PEM\n" });
  });

  it("the CA comes from the cluster's issuer; a public ACME CA needs none; no issuer, no route CA", () => {
    expect(routeCa({ issuer: "freeipa", freeipa: { fqdn: "ipa.x", address: "10.0.0.2" }, ingressAddress: "10.0.0.3" })).toEqual({ kind: "freeipa" });
    expect(routeCa({ issuer: "selfSigned", ingressAddress: "10.0.0.3" })).toEqual({ kind: "selfSigned" });
    expect(routeCa({ issuer: "acme", acme: { server: "https://acme.x/dir", email: "a@b.c", caBundle: "PEM" }, ingressAddress: "10.0.0.3" })).toEqual({ kind: "acmeBundle", pem: "PEM" });
    expect(routeCa({ issuer: "acme", acme: { server: "https://acme.x/dir", email: "a@b.c" }, ingressAddress: "10.0.0.3" })).toEqual({ kind: "systemRoots" });
    expect(routeCa(undefined)).toBeUndefined();
  });

  it("the Task mounts buildkitd.toml at the rootless default path and names it with --config; valid against Tekton's Task schema", () => {
    const task = renderBuildTask({ registryCa: true });
    expect(validateTekton(task)).toEqual([]);
    expect(pruned(task, tektonSchema("Task"))).toEqual([]);
    const spec = task.spec as { volumes: { name: string }[]; steps: { name: string; env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[] };
    expect(spec.volumes).toContainEqual({ name: "buildkitd-config", configMap: { name: "builds-buildkitd" } });
    const build = spec.steps[1];
    expect(build.env.find((e) => e.name === "BUILDKITD_FLAGS")?.value).toBe(`--oci-worker-no-process-sandbox --config=${BUILDKITD_CONFIG_DIR}/buildkitd.toml`);
    expect(build.volumeMounts).toContainEqual({ name: "buildkitd-config", mountPath: BUILDKITD_CONFIG_DIR, readOnly: true });
    // Without it the Task is what it was: no volume, no flag.
    const plain = renderBuildTask();
    expect(JSON.stringify(plain)).not.toContain("buildkitd-config");
    expect((plain.spec as typeof spec).steps[1].env.find((e) => e.name === "BUILDKITD_FLAGS")?.value).toBe("--oci-worker-no-process-sandbox");
  });
});

describe("the platform: builds with the in-cluster registry", () => {
  const topology = parseTopology(rawStack("prod"), "prod");
  const plan = (appsRegistry: string) =>
    planPlatform({
      ...withRoomForBuilds(k3sClusterFacts(topology), 2048),
      settings: parsePlatformSettings({ builds: example(appsRegistry), registry: { mirrors: [] } }, topology, {
        builds: { appsRegistry, inClusterRegistryHost: `registry.${DOMAIN}`, ...(appsRegistry === IN_CLUSTER ? {} : { pushPassword: { set: true, secret: true } }) },
      }),
    });
  const example = (appsRegistry: string) => (appsRegistry === IN_CLUSTER ? BUILDS_IN_CLUSTER : BUILDS_EXAMPLE);

  it("renders the route's CA for the builder (FreeIPA on prod) and the Task with it; an outside registry gets neither", () => {
    const inCluster = renderPlatform(plan(IN_CLUSTER)).builds;
    expect(inCluster?.registryCa).toEqual({ kind: "freeipa" });
    expect(JSON.stringify(inCluster?.task)).toContain("buildkitd-config");
    const outside = renderPlatform(plan("registry.example.com/fmc")).builds;
    expect(outside?.registryCa).toBeUndefined();
    expect(JSON.stringify(outside?.task)).not.toContain("buildkitd-config");
  });

  it("the build pods reach the route (Traefik's websecure port) only when they push to the in-cluster registry", () => {
    const policies = (r: string) => renderPlatform(plan(r)).networkPolicies.filter((p) => p.namespace === "builds");
    const route = policies(IN_CLUSTER).find((p) => p.name === "allow-registry-route");
    expect(route?.spec).toMatchObject({ policyTypes: ["Egress"], egress: [{ ports: [{ port: 8443, protocol: "TCP" }], to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } } }] }] });
    expect(policies("registry.example.com/fmc").map((p) => p.name)).not.toContain("allow-registry-route");
    // Everything else in the namespace is the same either way.
    expect(policies(IN_CLUSTER).filter((p) => p.name !== "allow-registry-route")).toEqual(policies("registry.example.com/fmc"));
  });
});
