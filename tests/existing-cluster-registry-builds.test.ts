/**
 * An existing cluster (tlsIssuer selfSigned) whose apps and builds use the in-cluster registry, the
 * whole program under the mock engine: BuildKit trusts the CA the program makes (read from its
 * Secret once issued), the builds push with the registry's push password, and the apps' pods pull
 * with the Secret registry-pull (the user's nodes have no registries.yaml of the program's).
 */
import { EXISTING_NODES, existingClusterConfig } from "./helpers/existing-cluster";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, isSecretAt, startHarness } from "./helpers/pulumi-harness";

const CA_PEM = "-----BEGIN CERTIFICATE-----\nTEFCIENB\n-----END CERTIFICATE-----\n";
// The route on Traefik's NodePort (no LoadBalancer): the port is part of the registry's name.
const HOST = "registry.home.example:30443";
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    stack: "lab",
    config: existingClusterConfig({
      tlsIssuer: "selfSigned",
      // Room for builds beside the platform (the helper's agents are prod's workers).
      existingNodes: EXISTING_NODES.map((n) => (n.role === "agent" ? { ...n, allocatable: { cpu: "4", memory: "8Gi" } } : n)),
      registry: { mirrors: [] },
      appsRegistry: `${HOST}/apps`,
      builds: { gitUrl: "https://git.example.com/fmc/flatcarmicrocloud.git", tag: "0.1.1" },
      apps: [{ name: "web", image: "web:1.0", port: 8080, replicas: { min: 1, max: 2 }, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } }],
    }),
    secretKeys: ["kubeconfig"],
    outputsFor: (a) =>
      // The CA's Secret as cert-manager writes it, read by the program once the Certificate is issued.
      a.type === "kubernetes:core/v1:Secret" && a.id ? { data: { "tls.crt": Buffer.from(CA_PEM).toString("base64"), "tls.key": "a2V5", "ca.crt": Buffer.from(CA_PEM).toString("base64") } } : machineOutputs(a),
  });
  await import("../index");
  await h.settle();
}, 300_000);

it("BuildKit's config holds the program's CA for the route's host, and the Task waits for it", () => {
  const config = h.byName("platform-builds-buildkitd");
  const data = config.inputs.data as Record<string, string>;
  expect(data["buildkitd.toml"]).toContain(`[registry."${HOST}"]`);
  expect(data["registry-ca.pem"]).toBe(CA_PEM);
  expect(h.dependsOn(h.byName("platform-build-task"), config)).toBe(true);
});

it("the builds push as the registry's push user, for the route's host only", () => {
  const push = h.byName("platform-builds-push");
  expect(isSecretAt(push.rawInputs, ["stringData"])).toBe(true);
  const doc = JSON.parse((push.inputs.stringData as Record<string, string>)[".dockerconfigjson"]) as { auths: Record<string, { auth: string }> };
  expect(Object.keys(doc.auths)).toEqual([HOST]);
  expect(Buffer.from(doc.auths[HOST].auth, "base64").toString()).toMatch(/^push:/);
});

it("the apps' pods pull with registry-pull (the pull user), their image under the in-cluster registry", () => {
  const secret = h.byName("apps-registry-pull");
  expect(secret.inputs).toMatchObject({ type: "kubernetes.io/dockerconfigjson", metadata: { name: "registry-pull", namespace: "apps" } });
  const doc = JSON.parse((secret.inputs.stringData as Record<string, string>)[".dockerconfigjson"]) as { auths: Record<string, { username: string }> };
  expect(Object.entries(doc.auths).map(([host, a]) => [host, a.username])).toEqual([[HOST, "pull"]]);
  const deployment = h.byType("kubernetes:apps/v1:Deployment").find((d) => d.name === "apps-web")!;
  expect((deployment.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec).toMatchObject({
    imagePullSecrets: [{ name: "registry-pull" }],
    containers: [{ image: `${HOST}/apps/web:1.0` }],
  });
});
