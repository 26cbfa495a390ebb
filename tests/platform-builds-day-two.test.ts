/**
 * docs/day-two.md rows buildsOn, buildsOff and buildsSettings: the Platform component under the mock
 * engine with and without the opt-in `builds`, compared by the day-two model (plan/day-two-model.ts):
 * enabling or disabling it creates or deletes only its own objects; a change of its settings updates
 * its objects in place.
 */
import * as pulumi from "@pulumi/pulumi";
import { k3sClusterFacts } from "../cluster/facts";
import { BUILDS_EXAMPLE } from "../config/opt-ins/builds";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { BUILDS_CONTEXT, withRoomForBuilds } from "./helpers/builds";
import { randomOutputs } from "./helpers/machine-outputs";
import { expectOnlyOwn, platformRun, runChanges, runOf } from "./helpers/platform-runs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
// More room than the seed's workers have (builds does not fit next to the platform there), in every run alike.
const facts = withRoomForBuilds(k3sClusterFacts(topology));
let h: Harness;

function platform(name: string, builds?: Record<string, unknown>, password = "push-password", appsRegistry = BUILDS_CONTEXT.appsRegistry): void {
  const parsed = parsePlatformSettings(builds ? { builds } : {}, topology, { builds: { ...BUILDS_CONTEXT, appsRegistry } });
  const settings = parsed.builds ? { ...parsed, builds: { ...parsed.builds, pushPassword: pulumi.secret(password) } } : parsed;
  platformRun(name, { ...facts, settings });
}

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  platform("off");
  platform("on", BUILDS_EXAMPLE);
  platform("settings", { ...BUILDS_EXAMPLE, revision: "v2", tag: "0.2.0", keepRuns: 3, gitUrl: "http://git.lan:3000/fmc/fmc.git" }, "rotated", "10.17.4.20:5000/fmc");
  await h.settle();
}, 600_000);

const of = (prefix: string) => runOf(h, prefix);

const changes = (before: string, after: string) => runChanges(h, before, after);

/** The opt-in's own objects: its namespaces' resources, the release, TektonConfig, Task, Pipeline, Secret, monitor, CRDs. */
const ours = /tekton|builds|build-(task|pipeline)|^crd-[a-z]+\.operator\.tekton\.dev$/;

describe("docs/day-two.md row buildsOn", () => {
  it("turning builds on only creates its own objects: namespaces, guard rails, the operator's CRDs and release, the TektonConfig, Task, Pipeline, push Secret and monitor", () => {
    const r = changes("off", "on");
    expectOnlyOwn(r, "created", ours);
    expect(r.created).toEqual(
      expect.arrayContaining([
        "ns-tekton-operator",
        "ns-tekton-pipelines",
        "ns-builds",
        "tekton-operator",
        "tekton-config",
        "build-task",
        "build-pipeline",
        "builds-push",
        "tekton-pipelines-controller-monitor",
        "crd-tektonconfigs.operator.tekton.dev",
        "builds-allow-git-registries",
      ]),
    );
  });
});

describe("docs/day-two.md row buildsOff", () => {
  it("turning builds off deletes only its own objects; the operator's CRDs stay (retainOnDelete)", () => {
    const r = changes("on", "off");
    expectOnlyOwn(r, "deleted", ours);
    const crds = of("on").filter((x) => x.name.startsWith("on-crd-") && x.name.endsWith(".operator.tekton.dev"));
    expect(crds).toHaveLength(13);
    expect(crds.every((x) => x.retainOnDelete)).toBe(true);
  });
});

describe("docs/day-two.md row buildsSettings", () => {
  it("another repository, revision, tag, registry, password or keepRuns updates in place: the Pipeline's defaults, the TektonConfig's pruner, the push Secret and the egress policy; nothing replaced", () => {
    const r = changes("on", "settings");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted }).toEqual({ replaced: [], created: [], deleted: [] });
    expect(r.updated.sort()).toEqual(["build-pipeline", "builds-allow-git-registries", "builds-push", "tekton-config"]);
  });
});
