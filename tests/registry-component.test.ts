/**
 * The registry opt-in wired by the Platform component on prod (no builds: prod cannot hold both
 * beside the volume backups), under the SDK's mock engine: its Secrets, release, certificate,
 * monitor and outputs (the platform without the key has none of them: tests/platform-component.test.ts).
 */
import { parsePlatformSettings } from "../config/platform";
import type { Platform as PlatformClass } from "../platform";
import { platformOnProd, RELEASE, SECRET } from "./helpers/platform-component";
import { Harness, isSecretAt, Recorded, resolveOutput } from "./helpers/pulumi-harness";

let h: Harness;
let platform: PlatformClass;

beforeAll(async () => {
  ({ h, platform } = await platformOnProd(async (topology, facts) => {
    const { registryCredentials } = await import("../cluster/registry-credentials");
    const settings = parsePlatformSettings({ registry: { volumeGiB: 25 } }, topology);
    return { ...facts, settings, registryAuth: registryCredentials(settings.registry) };
  }));
}, 600_000);

const release = (name: string): Recorded => h.byType(RELEASE).find((r) => r.inputs.name === name) as Recorded;
const inRegistry = (type: string) => h.byType(type).filter((r) => (r.inputs.metadata as { namespace?: string } | undefined)?.namespace === "registry");

it("the htpasswd Secret holds the users' bcrypt hashes, never a password; the push credentials are a dockerconfigjson; all secret", () => {
  expect(inRegistry(SECRET).map((s) => s.name).sort()).toEqual(["platform-registry-metrics-auth", "platform-registry-push", "platform-zot-htpasswd"]);
  const htpasswd = h.byName("platform-zot-htpasswd");
  expect(isSecretAt(htpasswd.rawInputs, ["stringData"])).toBe(true);
  const file = (htpasswd.inputs.stringData as Record<string, string>).htpasswd;
  expect(file).toBe("push:$2a$10$hash-of-registry-push\npull:$2a$10$hash-of-registry-pull\n");
  expect(file).not.toContain("pw-registry");
  const push = h.byName("platform-registry-push");
  expect(push.inputs.type).toBe("kubernetes.io/dockerconfigjson");
  expect(isSecretAt(push.rawInputs, ["stringData"])).toBe(true);
  const doc = JSON.parse((push.inputs.stringData as Record<string, string>)[".dockerconfigjson"]) as { auths: Record<string, { username: string; password: string }> };
  expect(Object.entries(doc.auths).map(([host, a]) => [host, a.username, a.password])).toEqual([["registry.cefaslocalserver.com", "push", "pw-registry-push"]]);
});

it("zot installs in namespace registry after its Secrets, its guard rails and its claim of registry.volumeGiB on ceph-block (after the storage gate)", () => {
  const zot = release("zot");
  expect(zot.inputs).toMatchObject({ chart: "zot", version: "0.1.122", namespace: "registry", atomic: true });
  for (const dep of ["platform-zot-htpasswd", "platform-registry-metrics-auth", "platform-zot-images", "platform-ceph-block-ready", "platform-registry-default-deny"]) expect(h.dependsOn(zot, h.byName(dep))).toBe(true);
  expect((zot.inputs.values as { pvc: unknown }).pvc).toEqual({ create: false, name: "zot-images" });
  const claim = h.byName("platform-zot-images");
  expect(claim.inputs.spec).toEqual({ storageClassName: "ceph-block", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "25Gi" } } });
  const ns = h.byName("platform-ns-registry");
  expect((ns.inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  expect(h.dependsOn(zot, h.byName("platform-registry-container-defaults"))).toBe(true);
});

it("its Certificate from the issuer and its ServiceMonitor (after monitoring and zot)", () => {
  const cert = h.byName("platform-certificate-registry.cefaslocalserver.com");
  expect((cert.inputs.spec as { dnsNames: string[]; secretName: string }).secretName).toBe("registry.cefaslocalserver.com-tls");
  const monitor = h.byName("platform-zot-monitor");
  expect(h.dependsOn(monitor, release("zot"))).toBe(true);
  expect(h.dependsOn(monitor, release("kube-prometheus-stack"))).toBe(true);
  expect(h.byName("platform-registry-dashboard")).toBeDefined();
});

it("outputs where to push, as whom, and the Secret's name; the passwords only inside the secret passwords output", async () => {
  expect(platform.endpoints.registry).toEqual({
    endpoint: "registry.cefaslocalserver.com",
    internalEndpoint: "zot.registry.svc.cluster.local:5000",
    username: "push",
    secretName: "registry-push",
    namespace: "registry",
  });
  expect(platform.urls.registry).toBe("https://registry.cefaslocalserver.com/");
  const { value, secret } = await resolveOutput(platform.passwords);
  expect(secret).toBe(true);
  expect(value).toMatchObject({ registryPush: "pw-registry-push", registryPull: "pw-registry-pull" });
});
