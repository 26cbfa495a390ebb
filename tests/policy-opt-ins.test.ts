/**
 * The opt-ins' policy rules (policy/policies.ts: registry-authenticated-on-a-claim,
 * gitops-projects-bounded, vpa-recommendation-only, logs-retention-set) over what the Platform
 * component really registers with the registry, GitOps, the VPA and ELK logs on: every mandatory rule passes, and each opt-in rule saw the
 * objects it is about (the check is not vacuous). tests/policy-rules.test.ts holds each rule's
 * violating inputs.
 */
import { k3sClusterFacts } from "../cluster/facts";
import { registryCredentials } from "../cluster/registry-credentials";
import { GITOPS_EXAMPLE } from "../config/opt-ins/gitops";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { AnyPolicy, runPolicies } from "../plan/policy-check";
import { gitopsBounded, logsRetentionSet, policies, registryAuthenticatedOnClaim, vpaRecommendOnly } from "../policy/policies";
import { randomOutputs } from "./helpers/machine-outputs";
import { platformRun } from "./helpers/platform-runs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  const settings = parsePlatformSettings({ registry: { volumeGiB: 10, mirrors: [] }, gitops: GITOPS_EXAMPLE, vpa: { platform: true }, logs: { stack: "elk", retentionDays: 7, volumeGiB: 10 } }, topology);
  // Room for the four opt-ins beside the platform: two more workers like the first.
  const worker = facts.nodes.find((n) => !n.taints?.length)!;
  const nodes = [...facts.nodes, { ...worker, name: "worker4", address: "10.17.4.98" }, { ...worker, name: "worker5", address: "10.17.4.99" }];
  platformRun("on", { ...facts, nodes, settings, registryAuth: registryCredentials(settings.registry, "on") });
  await h.settle();
}, 300_000);

it("the platform with the registry, GitOps, the VPA and ELK logs on passes every mandatory policy", async () => {
  const violations = await runPolicies(policies, h.all());
  expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
});

it("each opt-in rule saw its objects: zot's release, the AppProjects and Applications, the VerticalPodAutoscalers and VPA's release, eck-stack and the retention Job", () => {
  const types = h.all().map((r) => r.type);
  const charts = h.all().filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => String(r.inputs.chart));
  expect(charts).toEqual(expect.arrayContaining([expect.stringMatching(/(^|\/)zot$/), expect.stringMatching(/(^|\/)vertical-pod-autoscaler$/), expect.stringMatching(/(^|\/)eck-stack$/)]));
  expect(h.all().filter((r) => r.type === "kubernetes:batch/v1:Job").map((r) => r.name)).toContain("on-logs-retention");
  for (const t of ["AppProject", "AppProjectPatch", "Application"]) expect(types).toContain(`kubernetes:argoproj.io/v1alpha1:${t}`);
  expect(types).toContain("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler");
});

it("the same objects, loosened, are refused: zot without its config, the AppProject onto the platform's namespaces, a VPA that acts, ELK without its retention Job", async () => {
  const loosened = h.all().filter((r) => r.name !== "on-logs-retention").map((r) => {
    if (r.type === "kubernetes:helm.sh/v3:Release" && /(^|\/)zot$/.test(String(r.inputs.chart))) return { ...r, inputs: { ...r.inputs, values: { ...(r.inputs.values as object), mountConfig: false } } };
    if (r.type === "kubernetes:argoproj.io/v1alpha1:AppProject") {
      const spec = r.inputs.spec as { destinations: object[] };
      return { ...r, inputs: { ...r.inputs, spec: { ...spec, destinations: [...spec.destinations, { server: "https://kubernetes.default.svc", namespace: "monitoring" }] } } };
    }
    if (r.type === "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler") return { ...r, inputs: { ...r.inputs, spec: { ...(r.inputs.spec as object), updatePolicy: { updateMode: "Auto" } } } };
    return r;
  });
  const by = async (policy: AnyPolicy) => (await runPolicies([policy], loosened)).length;
  expect(await by(registryAuthenticatedOnClaim)).toBe(1);
  expect(await by(gitopsBounded)).toBe(1);
  expect(await by(logsRetentionSet)).toBe(1);
  expect(await by(vpaRecommendOnly)).toBe(h.all().filter((r) => r.type === "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler").length);
});
