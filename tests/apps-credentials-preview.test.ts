/**
 * The apps' credentials Secrets in the preview that turns an opt-in on: the opt-in's new passwords
 * (the registry's users) are unknown until created, and they must not reach the apps' Secrets.
 * lab:kube's opt-ins step found the real preview replacing `apps-api-credentials` and
 * `apps-worker-credentials` ([data, stringData]) when the opt-ins went on: their content was built
 * from every generated password. Here the mock engine gives the registry's passwords unknown
 * outputs, as the real engine does in that preview.
 */
import { OPT_INS } from "../platform/opt-ins";
import { existingClusterConfig } from "./helpers/existing-cluster";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, startHarness, UNKNOWN } from "./helpers/pulumi-harness";

let h: Harness;
const registry = OPT_INS.find((o) => o.key === "registry")!.example;
const worker = {
  name: "worker",
  image: "reference-worker:0.1.0",
  port: 8000,
  replicas: { min: 1, max: 2 },
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  uses: { redis: true, mqtt: true },
};

beforeAll(async () => {
  h = await startHarness({
    stack: "lab",
    preview: true,
    config: existingClusterConfig({ registry, apps: [worker], appsRegistry: "registry.lab.invalid/fmc" }),
    secretKeys: ["kubeconfig"],
    outputsFor: (a) => (a.type === "random:index/randomPassword:RandomPassword" && a.name.startsWith("registry-") ? { result: UNKNOWN, bcryptHash: UNKNOWN } : machineOutputs(a)),
  });
  await import("../index");
  await h.settle();
}, 300_000);

it("an app's credentials Secret is known in that preview: it carries only the passwords the apps use", () => {
  const secret = h.byName("apps-worker-credentials");
  expect(secret).toBeDefined();
  const text = JSON.stringify(secret.inputs);
  expect(text).not.toContain(UNKNOWN);
  expect(text).toContain("stringData");
});
